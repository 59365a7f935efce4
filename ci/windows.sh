#!/usr/bin/env bash
# The Windows stage of CI (.ci/run calls it): build the four DLLs into dist/,
# check each with objdump, then run under wine, for each DLL, the C test
# programs against a ywx-sim on 127.0.0.1:
#   wintest.exe        LoadLibrary/GetProcAddress, every function ywx.h
#                      declares, the sign flow over HTTP (the doctor signs
#                      through POST /sim/sign), GBK in and out, the version
#                      resource, a stack-balance loop of thousands of calls
#   wintest-linked.exe the same, linked through the import library
#                      (libywx.dll.a from ywx.def), in GBK
#   flow.exe           examples-c/flow.c linked through the import library,
#                      against a simulator whose doctors sign by themselves
#   flow-direct.exe    (32-bit) the same linked straight against ywx.dll
#   unload.exe         FreeLibrary while the delivery thread waits on a
#                      gateway that never answers, with and without
#                      ywx_shutdown; the host lives on 5 s and exits 0
#   logtest.exe        the call log's lines at exit, after FreeLibrary without
#                      ywx_shutdown, and after ywx_shutdown (the DLL unloads)
#   wintest-cdecl.exe  (win-x86) wintest.c with YWX_CALL defined empty: it
#                      must fail, or the stack-balance check sees nothing
#   ywx.exe            the command beside each DLL: --version, and `check`
#                      against four configs (wrong domain, closed port, wrong
#                      secret, good) in a Chinese locale (code page 936), its
#                      output checked byte for byte as GBK
#                      (tests/windows/check-exe.py); and `verify` of a P7
#                      made by openssl (ECDSA P-256, a root of its own):
#                      verified against that root (exit 0, GBK text, --json),
#                      not against another (exit 1)
# Then the release files (scripts/package.sh: the zip, the tar.gz, the nupkg,
# the wheels) are made from these builds and checked (ci/packages.sh).
# 64-bit on the host's wine64; 32-bit in an i386 Debian tree with wine32
# (ci/i386-root.sh). The Windows-10 builds get a stand-in
# bcryptprimitives.dll beside the exe (wine 8 lacks it); the win7 builds
# run without it.
#
# Caches (outside the clone, reused by later runs): $YWX_CI_CACHE
# (default /var/cache/ywx-ci): target/ (Rust builds), i386-root/ (the i386
# tree with wine32 and its wine prefix), wine64/ (the 64-bit wine prefix).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache=${YWX_CI_CACHE:-/var/cache/ywx-ci}
mkdir -p "$cache"
exec 9>"$cache/windows.lock"
flock 9
export CARGO_TARGET_DIR=${YWX_WIN_TARGET_DIR:-$cache/target}
export CARGO_TERM_COLOR=never
t0=$(date +%s)
step() { echo "== [windows $(( $(date +%s) - t0 ))s] $*"; }

# ---- install (only what is missing) ----------------------------------------
missing=()
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(mingw-w64)
command -v i686-w64-mingw32-gcc >/dev/null || missing+=(mingw-w64)
command -v wine >/dev/null || missing+=(wine)
[ -x /usr/lib/wine/wine64 ] || missing+=(wine64)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v file >/dev/null || missing+=(file)
command -v python3 >/dev/null || missing+=(python3)
# ywx.exe's Chinese output: a zh_CN locale for wine (localedef, from locales)
command -v localedef >/dev/null && [ -f /usr/share/i18n/locales/zh_CN ] || missing+=(locales)
# the release files (scripts/package.sh) and their checks (ci/packages.sh)
command -v zip >/dev/null || missing+=(zip)
command -v unzip >/dev/null || missing+=(unzip)
command -v mcs >/dev/null || missing+=(mono-mcs)
[ -f /usr/lib/mono/4.0-api/mscorlib.dll ] || missing+=(mono-devel)
command -v nuget >/dev/null || missing+=(nuget)
command -v xbuild >/dev/null || missing+=(mono-xbuild)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    $(printf '%s\n' "${missing[@]}" | sort -u)
fi
installed=$(rustup target list --installed)
for t in x86_64-pc-windows-gnu i686-pc-windows-gnu; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup component list --installed --toolchain nightly | grep -q '^rust-src' ||
  rustup component add rust-src --toolchain nightly

# ---- the i386 tree, made while the DLLs build --------------------------------
chroot_dir=$cache/i386-root
step "i386 tree (background): $chroot_dir"
"$root/ci/i386-root.sh" "$chroot_dir" >"$cache/i386-root.log" 2>&1 &
i386_pid=$!

# ---- build ---------------------------------------------------------------
# Build in a fixed place, $cache/src: cargo keys a workspace crate's
# artefacts on its path and its files' mtimes, so a fresh clone elsewhere
# would rebuild (and re-LTO) ywx for every target. Only files whose content
# changed are copied there.
src=$cache/src
step "sync the sources into $src"
mkdir -p "$src"
git ls-files --cached --others --exclude-standard | LC_ALL=C sort -u >"$cache/files.txt"
copied=0
while IFS= read -r f; do
  [ -f "$f" ] || continue
  if ! cmp -s "$f" "$src/$f"; then
    mkdir -p "$src/$(dirname "$f")"
    cp -p "$f" "$src/$f"
    copied=$((copied + 1))
  fi
done <"$cache/files.txt"
(cd "$src" && find . -type f -not -path './dist/*' -not -path './target/*' | sed 's|^\./||' | LC_ALL=C sort) |
  LC_ALL=C comm -23 - "$cache/files.txt" | while IFS= read -r f; do rm -f "$src/$f"; done
echo "   $copied file(s) changed"

step "build the four DLLs (scripts/build-windows.sh)"
"$src/scripts/build-windows.sh"
rm -rf dist
cp -r "$src/dist" dist
folders=(win-x86 win-x64 win7-x86 win7-x64)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)

# ---- objdump checks ----------------------------------------------------------
step "objdump: exports, imports"
for f in "${folders[@]}"; do
  case $f in
    win7-*) tests/windows/check-dll.sh "dist/$f/ywx.dll" win7 ;;
    *) tests/windows/check-dll.sh "dist/$f/ywx.dll" ;;
  esac
done
# The Win7 check must catch the Windows-10 build's imports, or it checks nothing.
if tests/windows/check-dll.sh dist/win-x64/ywx.dll win7 >/dev/null; then
  echo "FAIL: check-dll.sh win7 accepts the Windows-10 DLL: the Win8+ list is not applied"
  exit 1
fi
echo "ok: the win7 check refuses the Windows-10 DLL (ProcessPrng, WaitOnAddress, ...)"
for f in "${folders[@]}"; do
  case $f in
    win7-*) tests/windows/check-dll.sh "dist/$f/ywx.exe" win7 ;;
    *) tests/windows/check-dll.sh "dist/$f/ywx.exe" ;;
  esac
  # its version resource (文件属性 → 详细信息): an application, named
  # ywx.exe, of this version
  case $f in *x86) m=i686-w64-mingw32 ;; *) m=x86_64-w64-mingw32 ;; esac
  res=$("$m-windres" -i "dist/$f/ywx.exe" -O rc)
  for want in 'FILETYPE 0x1$' "VALUE \"FileVersion\", \"$version\"" "VALUE \"ProductVersion\", \"$version\"" \
    'VALUE "OriginalFilename", "ywx.exe"'; do
    grep -q "$want" <<<"$res" || { printf '%s\n' "$res"; echo "FAIL: dist/$f/ywx.exe: no $want in its version resource"; exit 1; }
  done
done
echo "ok: the four ywx.exe carry a version resource: ywx.exe, $version"
# issue 14: the DLL is copied onto thousands of PCs (Cargo.toml's opt-level
# choices are weighed against this). The budget is ci/dll-budget; what fills
# each DLL is printed every time (by object: scripts/dll-size.py reads the
# linker map), and by crate for a DLL over the budget (scripts/dll-size.sh).
budget_kib=$(sed 's/#.*//' ci/dll-budget | tr -d '[:space:]')
budget=$((budget_kib * 1024))
over=()
for f in "${folders[@]}"; do
  size=$(stat -c %s "dist/$f/ywx.dll")
  printf '   %-9s ywx.dll %8d bytes (%d%% of %d KiB), ywx.exe %8d bytes\n' "$f" "$size" \
    $(( size * 100 / budget )) "$budget_kib" "$(stat -c %s "dist/$f/ywx.exe")"
  python3 scripts/dll-size.py --top 6 "dist/$f/ywx.dll" "dist/$f/ywx.map" | tail -n +3 | sed 's/^/     /' ||
    echo "     (scripts/dll-size.py: no summary)"
  [ "$size" -le "$budget" ] || over+=("$f")
done
if [ ${#over[@]} -gt 0 ]; then
  for f in "${over[@]}"; do
    echo "FAIL: dist/$f/ywx.dll is $(stat -c %s "dist/$f/ywx.dll") bytes, more than the budget of $budget_kib KiB (ci/dll-budget); what fills it:"
    scripts/dll-size.sh --top 25 "$f" || echo "   (scripts/dll-size.sh failed)"
  done
  exit 1
fi
echo "ok: the four DLLs are within $budget_kib KiB (ci/dll-budget)"

# ---- the test programs ---------------------------------------------------------
step "compile the C test programs with MinGW"
work=$cache/run
rm -rf "$work"
mkdir -p "$work"
# every function ywx.h declares, called through the import library
awk '
  BEGIN { print "int linked_count = 0;" }
  /^[^ \/#].*YWX_CALL ywx_[a-z0-9_]*\(/ {
    s = $0; sub(/.*YWX_CALL /, "", s)
    name = s; sub(/\(.*/, "", name)
    if (s ~ /\(const char \*request_json\);/) {
      printf "{ char *lr = %s(NULL); CHECK(is_envelope(lr), \"linked %s(NULL): %%s\", lr ? lr : \"(null)\"); ywx_free(lr); linked_count++; }\n", name, name
    } else if (name == "ywx_init") {
      print "{ char *lr = ywx_init(cfg); CHECK(is_envelope(lr), \"linked ywx_init\"); ywx_free(lr); linked_count++; }"
    } else if (name == "ywx_version") {
      print "{ CHECK(strcmp(ywx_version(), api.version()) == 0, \"linked ywx_version\"); linked_count++; }"
    } else if (name == "ywx_free") {
      print "{ ywx_free(NULL); linked_count++; }"
    } else if (name == "ywx_shutdown") {
      print "{ char *lr = ywx_shutdown(); CHECK(is_envelope(lr), \"linked ywx_shutdown\"); ywx_free(lr); linked_count++; }"
    } else if (name == "ywx_call") {
      print "{ char *lr = ywx_call(\"digest\", \"{\\\"originData\\\":\\\"abc\\\"}\"); CHECK(is_envelope(lr), \"linked ywx_call\"); ywx_free(lr); linked_count++; }"
    } else if (name == "ywx_call_buf") {
      print "{ CHECK(ywx_call_buf(\"digest\", \"{\\\"originData\\\":\\\"abc\\\"}\", NULL, 0) > 0, \"linked ywx_call_buf\"); linked_count++; }"
    } else {
      printf "#error \"ci/windows.sh: no linked test for %s: add one\"\n", name
    }
  }' include/ywx.h >"$work/ywx_linked.inc"

# The header alone, as C99 and C++11, -pedantic -Werror, for both MinGW targets.
printf '#include "ywx.h"\nint main(void) { return ywx_version() ? 0 : 1; }\n' >"$work/header.c"
for m in i686-w64-mingw32 x86_64-w64-mingw32; do
  "$m-gcc" -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only "$work/header.c"
  "$m-g++" -x c++ -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only "$work/header.c"
done
echo "ok: include/ywx.h compiles as C99 and C++11 (-pedantic -Werror) with i686 and x86_64 MinGW"

for f in "${folders[@]}"; do
  case $f in *x86) cc=i686-w64-mingw32-gcc ;; *) cc=x86_64-w64-mingw32-gcc ;; esac
  d=$work/$f
  mkdir -p "$d"
  cp "dist/$f/ywx.dll" "dist/$f/ywx.json" "dist/$f/ywx.exe" "$d/"
  cp include/ywx.h "$d/ywx.h"
  flags=(-std=c99 -O2 -Wall -Wextra -Werror -Wno-cast-function-type -static-libgcc -Iinclude)
  "$cc" "${flags[@]}" tests/windows/wintest.c -o "$d/wintest.exe" -lws2_32 -lversion
  "$cc" "${flags[@]}" tests/windows/logtest.c -o "$d/logtest.exe"
  "$cc" "${flags[@]}" -DYWX_LINKED -I"$work" tests/windows/wintest.c -o "$d/wintest-linked.exe" \
    -L"dist/$f" -lywx -lws2_32 -lversion
  case $f in
    *x86)
      # flow.c linked straight against ywx.dll (no import library): GNU ld
      # links _ywx_x@N to the undecorated export ywx_x (stdcall fixup).
      "$cc" -std=c99 -O2 -Wall -Wextra -static-libgcc -Iinclude examples-c/flow.c \
        -o "$d/flow-direct.exe" "dist/$f/ywx.dll" -Wl,--enable-stdcall-fixup
      ;;
  esac
  if [ "$f" = win-x86 ]; then
    # The same test with YWX_CALL defined empty (cdecl): it must fail, which
    # shows that step [6] detects a calling-convention mismatch.
    "$cc" "${flags[@]}" -DYWX_CALL= tests/windows/wintest.c -o "$d/wintest-cdecl.exe" -lws2_32 -lversion
  fi
  "$cc" -std=c99 -O2 -Wall -Wextra -static-libgcc -Iinclude examples-c/flow.c -o "$d/flow.exe" \
    -L"dist/$f" -lywx
  "$cc" "${flags[@]}" tests/windows/unload.c -o "$d/unload.exe"
  case $f in
    win-*)
      "$cc" -O2 -shared -static-libgcc -Wl,--kill-at tests/windows/bcryptprimitives.c \
        -o "$d/bcryptprimitives.dll" -ladvapi32
      ;;
  esac
  for exe in "$d"/*.exe; do
    if "${cc%gcc}objdump" -p "$exe" | grep -qiE 'DLL Name: (libgcc|libwinpthread|libstdc)'; then
      echo "FAIL: $exe needs a MinGW runtime DLL"
      exit 1
    fi
  done
done

# ---- simulators ----------------------------------------------------------------
step "start ywx-sim (control API) and ywx-sim --auto-sign 300"
(cd "$src" && cargo build -q -p ywx-sim)
sim_bin=$CARGO_TARGET_DIR/debug/ywx-sim
sims=()
mounted=()
cleanup() {
  set +e
  for p in "${sims[@]}"; do kill "$p" 2>/dev/null; done
  if [ -d "$chroot_dir/ywx-test" ]; then
    chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root WINEPREFIX=/root/.wine-ywx \
      wineserver -k >/dev/null 2>&1
  fi
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}"
  done
  WINEPREFIX=$cache/wine64 wineserver -k >/dev/null 2>&1
}
trap cleanup EXIT
start_sim() { # $1: file for the URL; the rest: extra options
  local out=$1
  shift
  "$sim_bin" --addr 127.0.0.1:0 "$@" >"$out.log" 2>&1 &
  sims+=($!)
  for _ in $(seq 100); do
    if grep -q '^listening on ' "$out.log"; then
      sed -n 's/^listening on //p' "$out.log" | head -n1 >"$out"
      return 0
    fi
    sleep 0.1
  done
  echo "FAIL: ywx-sim did not start:"
  cat "$out.log"
  exit 1
}
start_sim "$work/sim-url"
start_sim "$work/autosim-url" --auto-sign 300
sim_url=$(cat "$work/sim-url")
autosim_url=$(cat "$work/autosim-url")
echo "   $sim_url (control API), $autosim_url (auto-sign)"

# ywx.exe check's four configs, in each folder: the simulator's (good), a
# wrong clientSecret, a port nobody listens on, a domain that cannot resolve.
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A gateway that accepts connections and never answers (unload.exe).
python3 -u -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1])
held = []
while True:
    held.append(s.accept()[0])
' >"$work/silent-port" &
sims+=($!)
for _ in $(seq 50); do [ -s "$work/silent-port" ] && break; sleep 0.1; done
silent_url=http://127.0.0.1:$(head -n1 "$work/silent-port")
dead_url=http://127.0.0.1:$closed_port
for f in "${folders[@]}"; do
  for c in good secret closed domain; do
    case $c in
      good) url=$sim_url secret=2017070411003360 ;;
      secret) url=$sim_url secret=2017070411009999 ;;
      closed) url=http://127.0.0.1:$closed_port secret=2017070411003360 ;;
      domain) url=http://gateway.no-such-hospital.invalid secret=2017070411003360 ;;
    esac
    printf '{"baseUrl": "%s", "clientId": "2017070411003376", "clientSecret": "%s",\r\n "log": {"dir": null}, "retry": {"attempts": 1, "backoffMs": 20},\r\n "outbox": {"path": "check-%s.db"}}\r\n' \
      "$url" "$secret" "$c" >"$work/$f/check-$c.json"
  done
done
# A Chinese Windows: wine takes its code page (936) from the Unix locale,
# zh_CN.UTF-8, compiled once into the cache (LOCPATH; the system's locales
# are not touched) and given to the i386 tree through $work.
# ywx.exe verify's evidence: a P7 made by openssl over a prescription's
# text, the root that issued its signer, and a root that did not.
v=$work/verify
mkdir -p "$v"
(
  cd "$v"
  for r in root other; do
    openssl ecparam -name prime256v1 -genkey -noout -out "$r.key"
    openssl req -x509 -new -key "$r.key" -subj "/CN=ywx CI $r" -days 3650 -out "$r.pem" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  done
  openssl ecparam -name prime256v1 -genkey -noout -out doctor.key
  openssl req -new -key doctor.key -subj "/CN=ywx CI doctor" -out doctor.csr
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' >doctor.ext
  openssl x509 -req -in doctor.csr -CA root.pem -CAkey root.key -CAcreateserial -days 365 \
    -extfile doctor.ext -out doctor.pem 2>/dev/null
  printf '{"diagnosis":"fever"}' >content.txt
  openssl cms -sign -binary -nodetach -in content.txt -signer doctor.pem -inkey doctor.key \
    -outform PEM -out signed.p7
)
for f in "${folders[@]}"; do cp "$v/signed.p7" "$v/root.pem" "$v/other.pem" "$work/$f/"; done

if [ ! -f "$cache/locale/zh_CN.UTF-8/LC_CTYPE" ]; then
  step "compile the zh_CN.UTF-8 locale (once) into $cache/locale"
  mkdir -p "$cache/locale"
  localedef -i zh_CN -f UTF-8 "$cache/locale/zh_CN.UTF-8" || [ -f "$cache/locale/zh_CN.UTF-8/LC_CTYPE" ]
fi
cp -r "$cache/locale" "$work/locale"

export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY

# Runs one program in folder $1 with runner $2, output in $work/$1/$3, which
# must match the pattern $4. A run that printed nothing at all (wine did not
# start the program) is tried once more, and said so.
run_one() {
  local f=$1 runner=$2 log=$work/$1/$3 want=$4 rc=0
  shift 4
  "$runner" "$f" "$@" >"$log" 2>&1 || rc=$?
  if [ ! -s "$log" ]; then
    echo "   note: $f $1 printed nothing (exit $rc): wine did not start it; once more"
    rc=0
    "$runner" "$f" "$@" >"$log" 2>&1 || rc=$?
  fi
  if ! grep -aq -- "$want" "$log"; then
    tr -d '\r' <"$log"
    echo "FAIL: $f $1 (exit $rc)"
    exit 1
  fi
}

# Runs the three programs of one folder; $1 folder, $2 how to run a command
# in the folder (a function name).
run_folder() {
  local f=$1 runner=$2
  step "$f: wintest.exe (utf-8), wintest-linked.exe (gbk), flow.exe"
  run_one "$f" "$runner" wintest.log '^WINTEST PASSED' wintest.exe ywx.dll ywx.h "$sim_url" utf-8 "$version" 5000
  tr -d '\r' <"$work/$f/wintest.log"
  run_one "$f" "$runner" wintest-linked.log '^WINTEST PASSED' wintest-linked.exe ywx.dll ywx.h "$sim_url" gbk "$version" 5000
  tr -d '\r' <"$work/$f/wintest-linked.log" | grep -aE '^\[|^    GBK|^WINTEST'
  run_one "$f" "$runner" flow.log 'ALL STEPS PASSED' flow.exe "$autosim_url" flowwork
  echo "   flow.exe (examples-c/flow.c, import library): ALL STEPS PASSED"
  if [ -f "$work/$f/flow-direct.exe" ]; then
    run_one "$f" "$runner" flow-direct.log 'ALL STEPS PASSED' flow-direct.exe "$autosim_url" flowwork2
    echo "   flow-direct.exe (flow.c linked straight against ywx.dll): ALL STEPS PASSED"
  fi
  for mode in no-shutdown shutdown; do
    run_one "$f" "$runner" "unload-$mode.log" '^UNLOAD PASSED' unload.exe ywx.dll "$dead_url" "$silent_url" . "$mode"
  done
  echo "   unload.exe: FreeLibrary while the delivery thread waits, with and without ywx_shutdown: the host lives on"
  step "$f: logtest.exe (the log's lines at exit, at FreeLibrary, after ywx_shutdown)"
  for mode in exit free shutdown; do
    run_one "$f" "$runner" "logtest-$mode.log" '^LOGTEST OK' logtest.exe "$mode" "logs-$mode"
    run_one "$f" "$runner" "logtest-$mode-count.log" '^lines 300' logtest.exe count "logs-$mode"
  done
  echo "   logtest.exe: every line written at exit, after FreeLibrary without ywx_shutdown, and after ywx_shutdown (the DLL unloaded)"
  if [ -f "$work/$f/wintest-cdecl.exe" ]; then
    "$runner" "$f" wintest-cdecl.exe ywx.dll ywx.h "$sim_url" utf-8 "$version" 200 >"$work/$f/wintest-cdecl.log" 2>&1 || true
    if grep -q '^WINTEST PASSED' "$work/$f/wintest-cdecl.log"; then
      echo "FAIL: wintest-cdecl.exe (YWX_CALL empty: cdecl calls into stdcall functions) passed:"
      echo "      the stack-balance check cannot see a calling-convention mismatch"
      exit 1
    fi
    echo "   wintest-cdecl.exe (YWX_CALL defined empty) fails as it must: $(grep -a -m1 -E 'FAIL|stack|Unhandled' "$work/$f/wintest-cdecl.log" | tr -d '\r' || echo crashed)"
  fi
  step "$f: ywx.exe --version, ywx.exe check (code page 936)"
  run_exe "$f" "$runner" version --version
  for c in good secret closed domain; do
    run_exe "$f" "$runner" "check-$c-json" --config "check-$c.json" check --json
    run_exe "$f" "$runner" "check-$c-text" --config "check-$c.json" check
  done
  step "$f: ywx.exe verify (a P7 made by openssl; GBK console text, --json)"
  run_exe "$f" "$runner" verify-good verify --ca root.pem signed.p7
  run_exe "$f" "$runner" verify-json verify --json --ca root.pem signed.p7
  run_exe "$f" "$runner" verify-untrusted verify --ca other.pem signed.p7
  python3 - "$work/$f" <<'PY'
import json, sys
d = sys.argv[1]
def got(name):
    return (open(f"{d}/exe-{name}.out", "rb").read(), int(open(f"{d}/exe-{name}.rc").read()))
out, rc = got("verify-good")
assert rc == 0, f"verify against its root: exit {rc}: {out!r}"
text = out.decode("gbk")
assert "验签通过" in text and "ECDSA-SHA256" in text, text
out, rc = got("verify-json")
first = json.loads(out.decode("gbk").splitlines()[0])
assert rc == 0 and first["data"]["verified"] is True, out
out, rc = got("verify-untrusted")
assert rc == 1 and "验签通过 0" in out.decode("gbk"), (rc, out)
print("   ywx.exe verify: verified against its root (exit 0, GBK), --json, not against another root (exit 1)")
PY
  # and once on a terminal (script(1) gives wine a pty): the console path,
  # WriteConsoleW, which wine passes on to the pty in the locale's UTF-8
  local pty="script -qec 'timeout 300 wine ywx.exe --config check-domain.json check' exe-pty.out"
  case $runner in
    run64) (cd "$work/$f" && LANG=zh_CN.UTF-8 LOCPATH=$work/locale sh -c "$pty" </dev/null >/dev/null 2>&1) || true ;;
    *) chroot_lang=zh_CN.UTF-8 in_chroot sh -c "cd /ywx-test/$f && $pty" </dev/null >/dev/null 2>&1 || true ;;
  esac
  python3 tests/windows/check-exe.py "$work/$f" "$version"
}

# Runs ywx.exe in folder $1 with runner $2 in the Chinese locale; stdout,
# stderr and the exit status go to $work/$1/exe-$3.{out,err,rc}.
run_exe() {
  local f=$1 runner=$2 name=$3 rc=0
  shift 3
  LANG=zh_CN.UTF-8 LOCPATH=$work/locale chroot_lang=zh_CN.UTF-8 \
    "$runner" "$f" ywx.exe "$@" >"$work/$f/exe-$name.out" 2>"$work/$f/exe-$name.err" || rc=$?
  echo "$rc" >"$work/$f/exe-$name.rc"
}

# ---- 64-bit: the host's wine64 -------------------------------------------------
export WINEPREFIX=$cache/wine64
if [ ! -f "$WINEPREFIX/.ywx-ready" ]; then
  step "wine64 prefix (once): $WINEPREFIX"
  rm -rf "$WINEPREFIX"
  timeout 600 wine wineboot -i >/dev/null 2>&1 || true
  WINEPREFIX=$cache/wine64 wineserver -w
  [ -f "$WINEPREFIX/system.reg" ] || { echo "FAIL: wineboot did not make $WINEPREFIX"; exit 1; }
  touch "$WINEPREFIX/.ywx-ready"
fi
run64() {
  local f=$1
  shift
  (cd "$work/$f" && timeout 600 wine "$@")
}
for f in win-x64 win7-x64; do run_folder "$f" run64; done

# ---- 32-bit: wine32 in the i386 tree ---------------------------------------
step "wait for the i386 tree"
if ! wait "$i386_pid"; then
  cat "$cache/i386-root.log"
  echo "FAIL: ci/i386-root.sh"
  exit 1
fi
tail -n1 "$cache/i386-root.log"
# Mounts left in the tree by an interrupted run (we hold the lock: no other
# run uses it), deepest first.
awk -v d="$chroot_dir" 'index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
  while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
mkdir -p "$chroot_dir/ywx-test"
for m in proc dev dev/shm dev/pts ywx-test; do
  case $m in
    proc) mount -t proc proc "$chroot_dir/proc" ;;
    ywx-test) mount --bind "$work" "$chroot_dir/ywx-test" ;;
    *) mount --bind "/$m" "$chroot_dir/$m" ;;
  esac
  mounted+=("$chroot_dir/$m")
done
# chroot_lang=zh_CN.UTF-8 (ywx.exe's runs): the locale compiled into $work/locale
in_chroot() {
  timeout 900 chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root \
    LANG="${chroot_lang:-C.UTF-8}" ${chroot_lang:+LOCPATH=/ywx-test/locale} \
    WINEPREFIX=/root/.wine-ywx WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" "$@"
}
if [ ! -f "$chroot_dir/root/.wine-ywx/.ywx-ready" ]; then
  step "wine32 prefix (once), in the i386 tree"
  rm -rf "$chroot_dir/root/.wine-ywx"
  in_chroot wine wineboot -i >/dev/null 2>&1 || true
  in_chroot wineserver -w
  [ -f "$chroot_dir/root/.wine-ywx/system.reg" ] || { echo "FAIL: wineboot (wine32)"; exit 1; }
  touch "$chroot_dir/root/.wine-ywx/.ywx-ready"
fi
run32() {
  local f=$1
  shift
  local args=""
  for a in "$@"; do args+=" '$a'"; done
  in_chroot sh -c "cd /ywx-test/$f && timeout 600 wine$args"
}
for f in win-x86 win7-x86; do run_folder "$f" run32; done

step "four DLLs and ywx.exe built, checked and tested under wine (win-x86 win-x64 win7-x86 win7-x64)"

# ---- the release files -------------------------------------------------------
step "release files (scripts/package.sh)"
(cd "$src" && scripts/package.sh)
rm -rf dist
cp -r "$src/dist" dist
step "check the release files (ci/packages.sh)"
ci/packages.sh "$autosim_url"

step "done: four DLLs and ywx.exe tested under wine; release files made and checked"
