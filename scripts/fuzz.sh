#!/usr/bin/env bash
# Fuzzing, for a bounded time (CI: .ci/run). Three cargo-fuzz targets on
# nightly (fuzz/): `request` — decode, parse, rules and request shaping
# through ywx::api::prepare and the C ABI's ywx_call, any method name;
# `config` — ywx::config::Config::parse, which must never answer in the
# parser's English; and `verify` — ywx_verify_local's DER, CMS, certificate
# and timestamp parsing. Seeds: fuzz/corpus/ (the vendor document's
# examples, checked by tests/fuzz_corpus.rs; corpus/verify: public SM2
# samples, tests/fixtures/verify/README.md). A crash, a hang (10 s for one input),
# more than 2 GB of memory, or a panic caught at the boundary fails the
# run; the input is left in fuzz/artifacts/TARGET/.
#
#   YWX_FUZZ_SECONDS=60   time per target (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${YWX_FUZZ_SECONDS:-60}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if ! command -v cargo-fuzz >/dev/null; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# No sanitizer: the targets are safe Rust over the library (scripts/
# sanitize.sh runs AddressSanitizer); coverage and panics are what count.
started=$(date +%s)
cargo +nightly fuzz build --sanitizer none
echo "== fuzz: build took $(( $(date +%s) - started ))s"

for target in request config verify; do
  mkdir -p "$work/$target"
  started=$(date +%s)
  # New inputs go to the first, temporary corpus; the committed seeds in
  # the second are only read.
  if ! cargo +nightly fuzz run --sanitizer none "$target" "$work/$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      > "$work/$target.log" 2>&1; then
    tail -n 60 "$work/$target.log"
    echo "== fuzz: $target FAILED; the input is in fuzz/artifacts/$target/"
    echo "   reproduce: cargo +nightly fuzz run --sanitizer none $target fuzz/artifacts/$target/<file>"
    exit 1
  fi
  runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$' || echo '?')
  echo "== fuzz: $target ran $runs inputs in $(( $(date +%s) - started ))s, no crash"
done
