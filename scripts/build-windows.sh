#!/usr/bin/env bash
# Builds the four Windows DLLs from one source and lays them out in dist/:
#
#   dist/win-x64/    x86_64-pc-windows-gnu     64-bit, Windows 10+
#   dist/win-x86/    i686-pc-windows-gnu       32-bit, Windows 10+
#   dist/win7-x64/   x86_64-win7-windows-gnu   64-bit, Windows 7+ (nightly, build-std)
#   dist/win7-x86/   i686-win7-windows-gnu     32-bit, Windows 7+ (nightly, build-std)
#
# each with ywx.dll, ywx.def, the MinGW import library libywx.dll.a, the
# command ywx.exe (`ywx check` for the implementer, docs/packaging.md), a
# sample ywx.json and the linker map ywx.map (not shipped: what fills the
# DLL, scripts/dll-size.py); dist/include/ywx.h and dist/README.txt beside
# them.
#
# ywx.exe links the library statically (its rlib: the same source, target
# and release profile as ywx.dll), so it runs alone and cannot meet a
# ywx.dll of another version. It is built in a target directory of its own
# ($CARGO_TARGET_DIR/ywx-exe): building the bin builds the lib with all its
# crate types, whose non-LTO ywx.dll would otherwise overwrite the LTO one
# that the cdylib-only build below leaves there (same file name).
#
#   scripts/build-windows.sh [FOLDER...]     default: all four
#
# Needs mingw-w64 and the Rust targets (ci/windows.sh installs them).
# CARGO_TARGET_DIR is honoured (CI keeps it outside the clone).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target_dir=${CARGO_TARGET_DIR:-$root/target}
export CARGO_TARGET_DIR=$target_dir

triple_of() {
  case $1 in
    win-x64) echo x86_64-pc-windows-gnu ;;
    win-x86) echo i686-pc-windows-gnu ;;
    win7-x64) echo x86_64-win7-windows-gnu ;;
    win7-x86) echo i686-win7-windows-gnu ;;
    *) echo "unknown folder $1 (win-x64 win-x86 win7-x64 win7-x86)" >&2; return 1 ;;
  esac
}

folders=("$@")
[ ${#folders[@]} -gt 0 ] || folders=(win-x86 win-x64 win7-x86 win7-x64)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
mkdir -p dist/include
cp include/ywx.h dist/include/ywx.h
# with a UTF-8 BOM, so that Notepad on Windows 7 shows the Chinese right
{ printf '\357\273\277'; cat scripts/windows/README.txt; } >dist/README.txt

for folder in "${folders[@]}"; do
  triple=$(triple_of "$folder")
  case $triple in
    i686-*) mingw=i686-w64-mingw32; machine=i386; bits=32 ;;
    *) mingw=x86_64-w64-mingw32; machine=i386:x86-64; bits=64 ;;
  esac
  echo "== $folder: $triple"
  start=$(date +%s)
  # Only the cdylib: the staticlib and rlib are not shipped.
  if [[ $triple == *-win7-* ]]; then
    cargo +nightly rustc --release --lib -p ywx --target "$triple" --crate-type cdylib \
      -Z build-std=std,panic_unwind
  else
    cargo rustc --release --lib -p ywx --target "$triple" --crate-type cdylib
  fi
  out=dist/$folder
  rm -rf "$out"
  mkdir -p "$out"
  cp "$target_dir/$triple/release/ywx.dll" "$out/ywx.dll"
  # the linker's map of it (build.rs: OUT_DIR/ywx.map), for
  # scripts/dll-size.py: what fills the DLL (not shipped)
  cp "$(ls -t "$target_dir/$triple/release/build/"ywx-*/out/ywx.map | head -n1)" "$out/ywx.map"
  dll_done=$(date +%s)

  # ywx.exe (see the top of this file)
  if [[ $triple == *-win7-* ]]; then
    CARGO_TARGET_DIR=$target_dir/ywx-exe cargo +nightly build --release -p ywx --bin ywx \
      --target "$triple" -Z build-std=std,panic_unwind
  else
    CARGO_TARGET_DIR=$target_dir/ywx-exe cargo build --release -p ywx --bin ywx --target "$triple"
  fi
  cp "$target_dir/ywx-exe/$triple/release/ywx.exe" "$out/ywx.exe"

  # ywx.def from the header: the exported (undecorated) names; on 32-bit
  # with their stdcall decoration (@ bytes of arguments), which dlltool -k
  # and MSVC's lib /def strip from the imported name.
  {
    echo "LIBRARY ywx.dll"
    echo "EXPORTS"
    awk -v bits="$bits" '
      /^[^ \/#].*YWX_CALL ywx_[a-z0-9_]*\(/ {
        s = $0; sub(/.*YWX_CALL /, "", s)
        name = s; sub(/\(.*/, "", name)
        args = s; sub(/^[^(]*\(/, "", args); sub(/\).*/, "", args)
        n = (args == "void" || args == "") ? 0 : split(args, a, ",")
        if (bits == 32) printf "  %s@%d\n", name, 4 * n; else printf "  %s\n", name
      }' include/ywx.h
  } >"$out/ywx.def"
  if [ "$bits" = 32 ]; then
    "$mingw-dlltool" -m "$machine" -k -d "$out/ywx.def" -D ywx.dll -l "$out/libywx.dll.a"
  else
    "$mingw-dlltool" -m "$machine" -d "$out/ywx.def" -D ywx.dll -l "$out/libywx.dll.a"
  fi
  enc=utf-8
  [ "$bits" = 32 ] && enc=gbk
  sed "s/@ENCODING@/$enc/" scripts/windows/ywx.json | sed 's/$/\r/' >"$out/ywx.json"
  printf '%s  %s  ywx.dll %s bytes (%ss), ywx.exe %s bytes (%ss)\n' "$folder" "$triple" \
    "$(stat -c %s "$out/ywx.dll")" "$(( dll_done - start ))" \
    "$(stat -c %s "$out/ywx.exe")" "$(( $(date +%s) - dll_done ))"
done
echo "== dist/ (ywx $version)"
ls -l dist/*/ywx.dll dist/*/ywx.exe
