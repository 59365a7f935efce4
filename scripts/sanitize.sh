#!/usr/bin/env bash
# AddressSanitizer (CI: .ci/run): the library built with nightly's
# -Zsanitizer=address, then
#   1. the C flow (examples-c/flow.c, the program tests/c_examples.rs runs)
#      compiled with gcc -fsanitize=address against it, run against the
#      simulator;
#   2. the thread test (tests/threads.rs: 16 threads, every kind of export)
#      built and run with the same flags;
#   3. a check that the setup sees errors at all: a C program that frees a
#      ywx string twice must be reported.
# Any AddressSanitizer or LeakSanitizer report fails the step.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
triple=x86_64-unknown-linux-gnu
dir=$root/target/asan
lib=$dir/$triple/debug
work=$(mktemp -d)
sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1

started=$(date +%s)
# --target: the flags reach the library and the tests, not build scripts.
RUSTFLAGS="-Zsanitizer=address" cargo +nightly build -p ywx --lib --target $triple --target-dir "$dir"
RUSTFLAGS="-Zsanitizer=address" cargo +nightly test --no-run --test threads --target $triple --target-dir "$dir"
env -u RUSTFLAGS cargo build -p ywx-sim --bin ywx-sim
echo "== asan: build took $(( $(date +%s) - started ))s"

# 1. The C flow.
started=$(date +%s)
gcc -std=c99 -g -fsanitize=address -I include examples-c/flow.c -o "$work/flow" \
    -L "$lib" -lywx -Wl,-rpath,"$lib"
target/debug/ywx-sim --addr 127.0.0.1:0 --auto-sign 500 > "$work/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$work/sim.out" && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/sim.out" | head -n1)
[ -n "$url" ] || { cat "$work/sim.out"; echo "== asan: the simulator did not start"; exit 1; }
mkdir -p "$work/flow-work"
if ! LD_LIBRARY_PATH="$lib" "$work/flow" "$url" "$work/flow-work" > "$work/flow.out" 2>&1 \
    || grep -q 'Sanitizer' "$work/flow.out" || ! grep -q 'ALL STEPS PASSED' "$work/flow.out"; then
  cat "$work/flow.out"
  echo "== asan: the C flow FAILED"
  exit 1
fi
echo "== asan: C flow clean in $(( $(date +%s) - started ))s"

# 2. The thread test.
started=$(date +%s)
RUSTFLAGS="-Zsanitizer=address" cargo +nightly test --test threads --target $triple --target-dir "$dir" \
    > "$work/threads.out" 2>&1 || { cat "$work/threads.out"; echo "== asan: the thread test FAILED"; exit 1; }
if grep -q 'Sanitizer' "$work/threads.out"; then
  cat "$work/threads.out"; echo "== asan: the thread test FAILED"; exit 1
fi
echo "== asan: thread test clean in $(( $(date +%s) - started ))s"

# 3. The setup reports what it should: a string freed twice.
cat > "$work/double_free.c" <<'C'
#include "ywx.h"
int main(void) {
    char *s = ywx_digest("{\"originData\":\"abc\"}");
    ywx_free(s);
    ywx_free(s);
    return 0;
}
C
gcc -std=c99 -g -fsanitize=address -I include "$work/double_free.c" -o "$work/double_free" \
    -L "$lib" -lywx -Wl,-rpath,"$lib"
if LD_LIBRARY_PATH="$lib" "$work/double_free" > "$work/df.out" 2>&1 \
    || ! grep -q 'AddressSanitizer' "$work/df.out"; then
  cat "$work/df.out"
  echo "== asan: a double free went unreported: the sanitizer setup is broken"
  exit 1
fi
echo "== asan: a double free is reported (the check is real)"
