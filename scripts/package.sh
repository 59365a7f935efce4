#!/usr/bin/env bash
# Makes the release files, all named with the version of Cargo.toml
# ([workspace.package] version), into dist/ (docs/packaging.md):
#
#   ywx-V-windows.zip            win-x86/ win-x64/ win7-x86/ win7-x64/ (ywx.dll,
#                                ywx.exe, ywx.def, libywx.dll.a, ywx.json),
#                                include/ywx.h, README.txt, ywx.json, SHA256SUMS
#   ywx-V-linux-x86_64.tar.gz    ywx-V-linux-x86_64/: libywx.so, libywx.a, ywx,
#                                include/ywx.h, ywx.json, SHA256SUMS
#   Ywx.V.nupkg                  lib/net40/Ywx.dll, lib/netstandard2.0/Ywx.dll,
#                                runtimes/{win-x86,win-x64,linux-x64}/native/,
#                                build/Ywx.targets
#   ywx-V-py3-none-linux_x86_64.whl, ywx-V-py3-none-win32.whl,
#   ywx-V-py3-none-win_amd64.whl  ywx/__init__.py (bindings/python/ywx.py) and
#                                the native library beside it
#   SHA256SUMS                   of the files above
#
# From what is built already: the Windows folders of dist/ (run
# scripts/build-windows.sh first) and the Linux release build, which this
# script asks cargo for (`cargo build --release -p ywx`: nothing to do when
# it is current; CARGO_TARGET_DIR is honoured). The NuGet package and the
# Windows wheels take the win7-* DLLs: they run on Windows 7 to 11.
#
# Needs: zip, sha256sum, mcs with mono's reference assemblies (mono-devel),
# nuget (Debian's, on mono), python3 with venv; hatchling comes from PyPI
# into a build virtualenv kept in $CARGO_TARGET_DIR/package-venv.
#
#   scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target_dir=${CARGO_TARGET_DIR:-$root/target}
export CARGO_TARGET_DIR=$target_dir
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
[ -n "$version" ] || { echo "package.sh: no version in Cargo.toml" >&2; exit 1; }
folders=(win-x86 win-x64 win7-x86 win7-x64)
t0=$(date +%s)
step() { echo "== [package $(( $(date +%s) - t0 ))s] $*"; }

missing=()
for tool in zip sha256sum mcs nuget python3; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -f /usr/lib/mono/4.0-api/mscorlib.dll ] || missing+=("mono-devel (/usr/lib/mono/4.0-api)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "package.sh: missing ${missing[*]}" >&2
  echo "  apt-get install zip coreutils mono-mcs mono-devel nuget python3 python3-venv" >&2
  exit 1
fi
for f in "${folders[@]}"; do
  for file in ywx.dll ywx.exe ywx.def libywx.dll.a ywx.json; do
    [ -f "dist/$f/$file" ] || {
      echo "package.sh: dist/$f/$file is missing: run scripts/build-windows.sh first" >&2
      exit 1
    }
  done
done

step "Linux release build (cargo build --release -p ywx)"
cargo build --release -p ywx --lib --bin ywx
linux=$target_dir/release
for file in libywx.so libywx.a ywx; do
  [ -f "$linux/$file" ] || { echo "package.sh: $linux/$file missing" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# SHA256SUMS of every file under the current directory, sorted, paths with /.
sums() { find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs -d '\n' sha256sum >SHA256SUMS; }
# the sample config, encoding utf-8, with CR LF for Windows or LF
sample() { sed "s/@ENCODING@/utf-8/" scripts/windows/ywx.json | if [ "$1" = crlf ]; then sed 's/$/\r/'; else cat; fi; }

step "dist/ywx-$version-windows.zip"
w=$stage/windows
mkdir -p "$w/include"
for f in "${folders[@]}"; do
  mkdir -p "$w/$f"
  cp dist/"$f"/{ywx.dll,ywx.exe,ywx.def,libywx.dll.a,ywx.json} "$w/$f/"
done
cp include/ywx.h "$w/include/"
{ printf '\357\273\277'; cat scripts/windows/README.txt; } >"$w/README.txt"
sample crlf >"$w/ywx.json"
(cd "$w" && sums)
rm -f "dist/ywx-$version-windows.zip"
(cd "$w" && zip -q -X -r -9 "$root/dist/ywx-$version-windows.zip" .)

step "dist/ywx-$version-linux-x86_64.tar.gz"
name=ywx-$version-linux-x86_64
l=$stage/$name
mkdir -p "$l/include"
cp "$linux"/{libywx.so,libywx.a,ywx} "$l/"
cp include/ywx.h "$l/include/"
sample lf >"$l/ywx.json"
(cd "$l" && sums)
tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name -czf "dist/$name.tar.gz" "$name"

step "dist/Ywx.$version.nupkg"
n=$stage/nuget
mkdir -p "$n/lib/net40" "$n/lib/netstandard2.0" "$n/build" \
  "$n/runtimes/win-x86/native" "$n/runtimes/win-x64/native" "$n/runtimes/linux-x64/native"
numeric=$(printf '%s' "$version" | sed 's/[-+].*//')
cat >"$stage/AssemblyInfo.cs" <<EOF
using System.Reflection;
[assembly: AssemblyTitle("Ywx")]
[assembly: AssemblyDescription("医网信院内移动签名网关客户端 ywx 的 C# 封装")]
[assembly: AssemblyProduct("ywx")]
[assembly: AssemblyVersion("$numeric.0")]
[assembly: AssemblyFileVersion("$numeric.0")]
[assembly: AssemblyInformationalVersion("$version")]
EOF
# .NET Framework 4.0: against mono's 4.0 reference assemblies, C# 4.
mcs -target:library -langversion:4 -warnaserror -nowarn:1591 -nologo -optimize+ \
  -nostdlib -r:/usr/lib/mono/4.0-api/mscorlib.dll -r:/usr/lib/mono/4.0-api/System.dll \
  -out:"$n/lib/net40/Ywx.dll" -doc:"$n/lib/net40/Ywx.xml" \
  bindings/csharp/Ywx.cs "$stage/AssemblyInfo.cs"
# .NET Standard 2.0: against mono's netstandard facade (4.7.2-api) with the
# mscorlib it forwards to; mcs resolves the forwarders, so the assembly
# references mscorlib 4.0.0.0, which every .NET Standard 2.0 platform
# provides (docs/packaging.md).
mcs -target:library -langversion:4 -warnaserror -nowarn:1591 -nologo -optimize+ \
  -nostdlib -r:/usr/lib/mono/4.7.2-api/Facades/netstandard.dll -r:/usr/lib/mono/4.7.2-api/mscorlib.dll \
  -out:"$n/lib/netstandard2.0/Ywx.dll" -doc:"$n/lib/netstandard2.0/Ywx.xml" \
  bindings/csharp/Ywx.cs "$stage/AssemblyInfo.cs"
cp dist/win7-x86/ywx.dll "$n/runtimes/win-x86/native/ywx.dll"
cp dist/win7-x64/ywx.dll "$n/runtimes/win-x64/native/ywx.dll"
cp "$linux/libywx.so" "$n/runtimes/linux-x64/native/libywx.so"
cp packaging/nuget/Ywx.targets "$n/build/Ywx.targets"
sed "s/@VERSION@/$version/" packaging/nuget/Ywx.nuspec >"$n/Ywx.nuspec"
rm -f "dist/Ywx.$version.nupkg"
nuget pack "$n/Ywx.nuspec" -BasePath "$n" -OutputDirectory "$root/dist" -NoPackageAnalysis -NonInteractive
[ -f "dist/Ywx.$version.nupkg" ] || { echo "package.sh: nuget pack made no dist/Ywx.$version.nupkg" >&2; exit 1; }

step "Python wheels (hatchling)"
venv=$target_dir/package-venv
if ! "$venv/bin/python" -c 'import hatchling' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" || {
    echo "package.sh: python3 -m venv failed: apt-get install python3-venv" >&2
    exit 1
  }
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "hatchling>=1.27,<2"
fi
rm -f dist/ywx-"$version"-*.whl
for plat in linux_x86_64 win32 win_amd64; do
  p=$stage/wheel-$plat
  mkdir -p "$p/ywx"
  cp packaging/python/hatch_build.py packaging/python/README.md "$p/"
  sed -e "s/@VERSION@/$version/" -e "s/@PLATFORM@/$plat/" packaging/python/pyproject.toml >"$p/pyproject.toml"
  cp bindings/python/ywx.py "$p/ywx/__init__.py"
  case $plat in
    linux_x86_64) cp "$linux/libywx.so" "$p/ywx/libywx.so" ;;
    win32) cp dist/win7-x86/ywx.dll "$p/ywx/ywx.dll" ;;
    win_amd64) cp dist/win7-x64/ywx.dll "$p/ywx/ywx.dll" ;;
  esac
  "$venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation \
    -w "$root/dist" "$p"
done

step "dist/SHA256SUMS"
release=("ywx-$version-windows.zip" "$name.tar.gz" "Ywx.$version.nupkg")
for w in dist/ywx-"$version"-py3-none-*.whl; do release+=("$(basename "$w")"); done
[ ${#release[@]} = 6 ] || { echo "package.sh: expected 3 wheels, found: ${release[*]:3}" >&2; exit 1; }
(cd dist && sha256sum "${release[@]}" >SHA256SUMS)
ls -l "${release[@]/#/dist/}"
step "done: ywx $version"
