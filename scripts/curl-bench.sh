#!/usr/bin/env bash
# An independent check against libcurl: libcurl keep-alive POSTs vs
# ywx_sign_status through the C ABI, against a ywx-sim process on loopback.
# Needs libcurl's headers (Debian: libcurl4-openssl-dev).
#   scripts/curl-bench.sh [seconds-per-window] [--log LEVEL]
#   scripts/curl-bench.sh --callgrind [calls] [--log LEVEL]   instructions
#       per call of ywx_sign_status and of curl_easy_perform (valgrind;
#       load-independent)
# ywx runs in the README's default configuration (outbox on, logging at
# `info`), its log and outbox in a temporary directory the harness makes
# and removes; `--log off` (no log) or `--log error` to compare. The first
# line printed names the configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --lib -p ywx >&2
cargo build --release -p ywx-sim >&2
out=target/curl-bench
mkdir -p "$out"
gcc -O2 -o "$out/harness" benches/curl/harness.c -Iinclude -Ltarget/release -lywx -lcurl -lpthread \
    -Wl,-rpath,"$PWD/target/release"
target/release/ywx-sim --addr 127.0.0.1:0 > "$out/sim.out" &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q listening "$out/sim.out" 2>/dev/null && break
    sleep 0.05
done
base=$(sed -n 's/^listening on //p' "$out/sim.out" | head -1)
if [ "${1:-}" = --callgrind ]; then
  shift
  calls=1000
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then calls=$1; shift; fi
  for f in ywx_sign_status curl_easy_perform; do
    TMPDIR=$PWD/$out valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$f" \
      --toggle-collect="$f" "$out/harness" "$base" count "$calls" "$@" 2>"$out/valgrind.$f.log" >"$out/harness.$f.out"
    [ "$f" = ywx_sign_status ] && head -1 "$out/harness.$f.out"
    total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/valgrind.$f.log")
    echo "$f: $((total / calls)) instructions per call"
  done
  exit 0
fi
TMPDIR=$PWD/$out "$out/harness" "$base" "$@"
