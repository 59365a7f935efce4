#!/usr/bin/env bash
# Checks the release files that scripts/package.sh left in dist/, as their
# users would take them (ci/windows.sh calls it, after the Windows builds):
#
#   zip, tar.gz   the layout (every file, no more), `sha256sum -c` inside,
#                 dist/SHA256SUMS over the release files
#   nupkg         its file list; installed from a local folder with the nuget
#                 client; a C# program (bindings/csharp/test/Flow.cs) compiled
#                 with mcs against the installed lib/net40 and
#                 lib/netstandard2.0 assemblies, run with mono against the
#                 simulator with the package's linux-x64 libywx.so; and
#                 build/Ywx.targets run by xbuild for x86, x64 and
#                 AnyCPU + Prefer32Bit: the right ywx.dll lands beside the program
#   wheels        file lists and tags; the linux_x86_64 wheel pip-installed
#                 into a fresh virtualenv, bindings/python/test/flow.py run
#                 from elsewhere with no library path set
#
#   ci/packages.sh SIM_URL     SIM_URL: a ywx-sim whose doctors sign by themselves
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sim_url=${1:?usage: ci/packages.sh SIM_URL (a ywx-sim --auto-sign)}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "   ok: $*"; }

# ---- the archives ------------------------------------------------------------
zipf=dist/ywx-$version-windows.zip
tarf=dist/ywx-$version-linux-x86_64.tar.gz
[ -f "$zipf" ] || fail "$zipf missing"
[ -f "$tarf" ] || fail "$tarf missing"
want_zip=$(
  for f in win-x86 win-x64 win7-x86 win7-x64; do
    for file in libywx.dll.a ywx.def ywx.dll ywx.exe ywx.json; do echo "$f/$file"; done
  done
  printf '%s\n' include/ywx.h README.txt SHA256SUMS ywx.json
)
got_zip=$(unzip -Z1 "$zipf" | grep -v '/$')
[ "$(LC_ALL=C sort <<<"$got_zip")" = "$(LC_ALL=C sort <<<"$want_zip")" ] ||
  fail "$zipf layout: $(diff <(LC_ALL=C sort <<<"$want_zip") <(LC_ALL=C sort <<<"$got_zip") || true)"
mkdir -p "$work/zip"
unzip -q "$zipf" -d "$work/zip"
(cd "$work/zip" && sha256sum --quiet -c SHA256SUMS) || fail "$zipf: sha256sum -c SHA256SUMS"
[ "$(grep -c . "$work/zip/SHA256SUMS")" = "$(( $(grep -c . <<<"$want_zip") - 1 ))" ] ||
  fail "$zipf: SHA256SUMS does not list every other file"
cmp -s "$work/zip/win7-x86/ywx.exe" dist/win7-x86/ywx.exe || fail "$zipf: win7-x86/ywx.exe is not dist's"
head -c3 "$work/zip/README.txt" | cmp -s - <(printf '\357\273\277') || fail "README.txt has no UTF-8 BOM"
ok "$zipf: $(grep -c . <<<"$got_zip") files as listed, sha256sum -c accepts SHA256SUMS"

top=ywx-$version-linux-x86_64
want_tar=$(printf "$top/%s\n" SHA256SUMS include/ywx.h libywx.a libywx.so ywx ywx.json)
got_tar=$(tar -tzf "$tarf" | grep -v '/$')
[ "$(LC_ALL=C sort <<<"$got_tar")" = "$(LC_ALL=C sort <<<"$want_tar")" ] ||
  fail "$tarf layout: $(diff <(LC_ALL=C sort <<<"$want_tar") <(LC_ALL=C sort <<<"$got_tar") || true)"
tar -xzf "$tarf" -C "$work"
(cd "$work/$top" && sha256sum --quiet -c SHA256SUMS) || fail "$tarf: sha256sum -c SHA256SUMS"
[ "$("$work/$top/ywx" --version)" = "ywx $version" ] || fail "$tarf: ywx --version"
ok "$tarf: $(grep -c . <<<"$got_tar") files as listed, sha256sum -c accepts SHA256SUMS, ywx --version = ywx $version"
(cd dist && sha256sum --quiet -c SHA256SUMS) || fail "dist/SHA256SUMS"
[ "$(grep -c . dist/SHA256SUMS)" = 6 ] || fail "dist/SHA256SUMS: 6 release files wanted"
ok "dist/SHA256SUMS: the six release files"

# ---- the NuGet package ---------------------------------------------------------
nupkg=dist/Ywx.$version.nupkg
[ -f "$nupkg" ] || fail "$nupkg missing"
list=$(unzip -Z1 "$nupkg")
for want in lib/net40/Ywx.dll lib/netstandard2.0/Ywx.dll runtimes/win-x86/native/ywx.dll \
  runtimes/win-x64/native/ywx.dll runtimes/linux-x64/native/libywx.so build/Ywx.targets Ywx.nuspec; do
  grep -qx "$want" <<<"$list" || fail "$nupkg has no $want"
done
unzip -q "$nupkg" -d "$work/nupkg-raw"
file -b "$work/nupkg-raw/runtimes/win-x86/native/ywx.dll" | grep -q 'PE32 .*Intel 80386' ||
  fail "runtimes/win-x86/native/ywx.dll is not a 32-bit DLL"
file -b "$work/nupkg-raw/runtimes/win-x64/native/ywx.dll" | grep -q 'PE32+ .*x86-64' ||
  fail "runtimes/win-x64/native/ywx.dll is not a 64-bit DLL"
cmp -s "$work/nupkg-raw/runtimes/win-x86/native/ywx.dll" dist/win7-x86/ywx.dll ||
  fail "runtimes/win-x86/native/ywx.dll is not dist/win7-x86/ywx.dll"
ok "$nupkg: lib/net40, lib/netstandard2.0, runtimes/{win-x86,win-x64,linux-x64}/native, build/Ywx.targets"

mkdir -p "$work/feed"
cp "$nupkg" "$work/feed/"
nuget install Ywx -Version "$version" -Source "$work/feed" -OutputDirectory "$work/packages" \
  -NonInteractive >"$work/nuget.log" 2>&1 || { cat "$work/nuget.log"; fail "nuget install"; }
pkg=$work/packages/Ywx.$version
[ -f "$pkg/lib/net40/Ywx.dll" ] || { cat "$work/nuget.log"; fail "nuget install: no $pkg/lib/net40/Ywx.dll"; }
ok "nuget install Ywx $version from a local folder: $pkg"

# The flow program against each installed assembly, under mono, with the
# package's libywx.so (LD_LIBRARY_PATH: its runtimes/linux-x64/native).
for tfm in net40 netstandard2.0; do
  exe=$work/flow-$tfm.exe
  case $tfm in
    net40) refs=() ;;
    netstandard2.0) refs=(-r:/usr/lib/mono/4.5/Facades/netstandard.dll) ;;
  esac
  mcs -langversion:4 -warnaserror -nologo "${refs[@]}" -r:"$pkg/lib/$tfm/Ywx.dll" \
    -out:"$exe" bindings/csharp/test/Flow.cs || fail "mcs Flow.cs -r:lib/$tfm/Ywx.dll"
  cp "$pkg/lib/$tfm/Ywx.dll" "$work/"
  mkdir -p "$work/run-$tfm"
  LD_LIBRARY_PATH=$pkg/runtimes/linux-x64/native mono "$exe" "$sim_url" "$work/run-$tfm" utf-8 \
    >"$work/flow-$tfm.log" 2>&1 || true
  grep -q '^ALL STEPS PASSED' "$work/flow-$tfm.log" || { cat "$work/flow-$tfm.log"; fail "mono flow ($tfm)"; }
  rm "$work/Ywx.dll"
  ok "Flow.cs compiled against the installed lib/$tfm/Ywx.dll, run by mono with the package's libywx.so: ALL STEPS PASSED"
done

# build/Ywx.targets, as a packages.config project imports it (xbuild).
proj=$work/targets
mkdir -p "$proj"
cp bindings/csharp/test/Flow.cs "$proj/"
cat >"$proj/Flow.csproj" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<Project ToolsVersion="4.0" DefaultTargets="Build" xmlns="http://schemas.microsoft.com/developer/msbuild/2003">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <AssemblyName>flow</AssemblyName>
    <TargetFrameworkVersion>v4.5</TargetFrameworkVersion>
    <OutputPath>bin\\\$(Case)\\</OutputPath>
    <IntermediateOutputPath>obj\\\$(Case)\\</IntermediateOutputPath>
  </PropertyGroup>
  <ItemGroup>
    <Reference Include="System" />
    <Reference Include="Ywx"><HintPath>$pkg/lib/net40/Ywx.dll</HintPath></Reference>
    <Compile Include="Flow.cs" />
  </ItemGroup>
  <Import Project="\$(MSBuildToolsPath)\\Microsoft.CSharp.targets" />
  <Import Project="$pkg/build/Ywx.targets" />
</Project>
EOF
for c in "x86|/p:PlatformTarget=x86|PE32 .*Intel 80386" "x64|/p:PlatformTarget=x64|PE32\+ .*x86-64" \
  "anycpu32|/p:PlatformTarget=AnyCPU /p:Prefer32Bit=true|PE32 .*Intel 80386"; do
  IFS='|' read -r case props machine <<<"$c"
  # shellcheck disable=SC2086
  (cd "$proj" && xbuild /nologo /v:minimal /p:Case="$case" $props Flow.csproj) >"$work/xbuild-$case.log" 2>&1 ||
    { cat "$work/xbuild-$case.log"; fail "xbuild ($case)"; }
  out=$proj/bin/$case
  [ -f "$out/ywx.dll" ] || { cat "$work/xbuild-$case.log"; fail "xbuild ($case): no ywx.dll beside flow.exe"; }
  file -b "$out/ywx.dll" | grep -qE "$machine" || fail "xbuild ($case): ywx.dll is $(file -b "$out/ywx.dll")"
  [ -f "$out/libywx.so" ] || fail "xbuild ($case): no libywx.so beside flow.exe (mono)"
done
# and the program xbuild made runs as it is: mono finds libywx.so beside it
mono "$proj/bin/x86/flow.exe" "$sim_url" "$work/run-xbuild" utf-8 >"$work/flow-xbuild.log" 2>&1 || true
grep -q '^ALL STEPS PASSED' "$work/flow-xbuild.log" || { cat "$work/flow-xbuild.log"; fail "mono flow (xbuild output)"; }
ok "build/Ywx.targets (xbuild): x86 → 32-bit ywx.dll, x64 → 64-bit, AnyCPU+Prefer32Bit → 32-bit; the built flow.exe runs (mono)"

# ---- the wheels ------------------------------------------------------------------
for plat in linux_x86_64 win32 win_amd64; do
  whl=dist/ywx-$version-py3-none-$plat.whl
  [ -f "$whl" ] || fail "$whl missing"
  case $plat in
    linux_x86_64) lib=ywx/libywx.so magic='ELF 64-bit' ;;
    win32) lib=ywx/ywx.dll magic='PE32 .*Intel 80386' ;;
    win_amd64) lib=ywx/ywx.dll magic='PE32\+ .*x86-64' ;;
  esac
  python3 - "$whl" "$lib" "$plat" "$version" <<'EOF' || fail "$whl: file list"
import sys, zipfile
whl, lib, plat, version = sys.argv[1:]
names = set(zipfile.ZipFile(whl).namelist())
info = "ywx-%s.dist-info/" % version
want = {"ywx/__init__.py", lib, info + "WHEEL", info + "METADATA", info + "RECORD"}
missing = want - names
extra = {n for n in names - want if not n.startswith(info)}
if missing or extra:
    sys.exit("%s: missing %s, unexpected %s" % (whl, sorted(missing), sorted(extra)))
wheel = zipfile.ZipFile(whl).read(info + "WHEEL").decode()
if "Tag: py3-none-%s" % plat not in wheel or "Root-Is-Purelib: false" not in wheel:
    sys.exit("%s: WHEEL says %r" % (whl, wheel))
EOF
  unzip -q -o "$whl" "$lib" -d "$work/whl-$plat"
  file -b "$work/whl-$plat/$lib" | grep -qE "$magic" || fail "$whl: $lib is $(file -b "$work/whl-$plat/$lib")"
  ok "$whl: ywx/__init__.py, $lib ($magic), Tag py3-none-$plat"
done

python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check --no-index \
  "dist/ywx-$version-py3-none-linux_x86_64.whl" || fail "pip install the wheel"
# flow.py from a folder with no ywx.py near it, no YWX_LIB, no LD_LIBRARY_PATH
mkdir -p "$work/py/test" "$work/py-run"
cp bindings/python/test/flow.py "$work/py/test/"
(cd "$work" && env -u YWX_LIB -u LD_LIBRARY_PATH "$work/venv/bin/python" -c '
import ywx, os, sys
lib = ywx.load()
here = os.path.dirname(ywx.__file__)
assert here.startswith(sys.prefix), (here, sys.prefix)
assert lib._name == os.path.join(here, "libywx.so"), lib._name
print("   ywx from", here, "library", lib._name, "version", lib.ywx_version().decode())
') || fail "import ywx from the installed wheel"
(cd "$work" && env -u YWX_LIB -u LD_LIBRARY_PATH PYTHONIOENCODING=utf-8 "$work/venv/bin/python" \
  py/test/flow.py "$sim_url" "$work/py-run" utf-8) >"$work/py-flow.log" 2>&1 || true
grep -q '^ALL STEPS PASSED' "$work/py-flow.log" || { cat "$work/py-flow.log"; fail "python flow from the wheel"; }
ok "a fresh virtualenv: pip install the wheel, flow.py signs against the simulator with no library path: ALL STEPS PASSED"
echo "packages: all checks passed"
