#!/usr/bin/env bash
# What fills each Windows ywx.dll, by crate. The shipped DLL is stripped, so
# this links it once more as scripts/build-windows.sh does, with `-C
# strip=none` (the same code and layout, plus the symbol table), and sums
# its functions by crate with scripts/dll-size.py; constants and C code go
# by the object they came from (the linker map build.rs asks for).
#
#   scripts/dll-size.sh [--top N] [FOLDER...]     default: win-x64
#
# The unstripped DLL and its map are kept in $CARGO_TARGET_DIR/dll-size/FOLDER/.
# ci/windows.sh runs this for a DLL over the budget (ci/dll-budget). The
# next scripts/build-windows.sh links the stripped DLL again.
set -euo pipefail
cd "$(dirname "$0")/.."
top=12
if [ "${1:-}" = --top ]; then
  top=$2
  shift 2
fi
folders=("$@")
[ ${#folders[@]} -gt 0 ] || folders=(win-x64)
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
export CARGO_TARGET_DIR=$target_dir

for folder in "${folders[@]}"; do
  # the folders of scripts/build-windows.sh
  case $folder in
    win-x64) triple=x86_64-pc-windows-gnu ;;
    win-x86) triple=i686-pc-windows-gnu ;;
    win7-x64) triple=x86_64-win7-windows-gnu ;;
    win7-x86) triple=i686-win7-windows-gnu ;;
    *) echo "unknown folder $folder (win-x64 win-x86 win7-x64 win7-x86)" >&2; exit 2 ;;
  esac
  echo "== $folder ($triple), linked without stripping" >&2
  if [[ $triple == *-win7-* ]]; then
    cargo +nightly rustc -q --release --lib -p ywx --target "$triple" --crate-type cdylib \
      -Z build-std=std,panic_unwind -- -C strip=none
  else
    cargo rustc -q --release --lib -p ywx --target "$triple" --crate-type cdylib -- -C strip=none
  fi
  out=$target_dir/dll-size/$folder
  mkdir -p "$out"
  cp "$target_dir/$triple/release/ywx.dll" "$out/ywx.dll"
  map=$(ls -t "$target_dir/$triple/release/build/"ywx-*/out/ywx.map | head -n1)
  cp "$map" "$out/ywx.map"
  python3 scripts/dll-size.py --top "$top" "$out/ywx.dll" "$out/ywx.map"
done
