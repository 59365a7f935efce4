#!/usr/bin/env bash
# Checks one ywx.dll with objdump -p:
#   - it exports exactly the functions include/ywx.h declares, under their
#     plain names (no _name@N stdcall decoration, also on 32-bit);
#   - it imports only Windows' own DLLs (no libgcc_s, libwinpthread,
#     libstdc++ or any other runtime to ship beside it);
#   - for a win7 build (second argument "win7"): nothing Windows 7 lacks,
#     per tests/windows/win8-functions.txt, and no api-ms-win-* API set.
#
#
# For ywx.exe (a name ending in .exe) the same import checks, and no export
# table at all.
#
#   tests/windows/check-dll.sh path/to/ywx.dll [win7]
#   tests/windows/check-dll.sh path/to/ywx.exe [win7]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dll=$1
win7=${2:-}
fail=0
bad() { echo "FAIL ($dll): $*"; fail=1; }

case $(file -b "$dll") in
  *PE32+*) objdump=x86_64-w64-mingw32-objdump ;;
  *PE32*) objdump=i686-w64-mingw32-objdump ;;
  *) echo "FAIL: $dll is not a PE file"; exit 1 ;;
esac
dump=$("$objdump" -p "$dll")

# Exports: the [Ordinal/Name Pointer] Table lines after "Export Tables".
exports=$(printf '%s\n' "$dump" | sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' |
  sed -n 's/^[[:space:]]*\[[[:space:]]*[0-9]*\] \(.*\)$/\1/p' | sort)
case $dll in
  *.exe)
    [ -z "$exports" ] || bad "an exe with exports: $(echo $exports)"
    ;;
  *)
    declared=$(sed -n 's/^[^ \/#].*YWX_CALL \(ywx_[a-z0-9_]*\)(.*/\1/p' "$root/include/ywx.h" | sort)
    [ -n "$exports" ] || bad "no export table"
    if [ "$exports" != "$declared" ]; then
      bad "exports differ from include/ywx.h:"
      diff <(printf '%s\n' "$declared") <(printf '%s\n' "$exports") | sed 's/^/    /' || true
    fi
    if printf '%s\n' "$exports" | grep -q '@'; then
      bad "decorated export names: $(printf '%s\n' "$exports" | grep '@' | tr '\n' ' ')"
    fi
    ;;
esac

# Imports: DLL names and the functions taken from each.
dlls=$(printf '%s\n' "$dump" | sed -n 's/^[[:space:]]*DLL Name: \(.*\)$/\1/p' | tr 'A-Z' 'a-z' | sort -u)
funcs=$(printf '%s\n' "$dump" | sed -n '/^The Import Tables/,/^The Export Tables\|^There is an export table/p' |
  awk '/^[[:space:]]+[0-9a-f]+[[:space:]]+[0-9]+[[:space:]]+[A-Za-z_]/ { print $3 }' | sort -u)
[ -n "$funcs" ] || bad "no imported functions found (objdump format?)"
system='^(kernel32|ntdll|advapi32|userenv|ws2_32|bcrypt|msvcrt|crypt32|secur32|ncrypt|ole32|oleaut32|shell32|user32|version|iphlpapi|dnsapi|mswsock|bcryptprimitives|api-ms-win-core-[a-z0-9-]+)\.dll$'
for d in $dlls; do
  [[ $d =~ $system ]] || bad "imports $d, which is not part of Windows (ship nothing beside ywx.dll)"
done
if [ "$win7" = win7 ]; then
  while read -r name _; do
    [ -n "$name" ] || continue
    case $name in
      *.dll) printf '%s\n' "$dlls" | grep -qix "$name" && bad "win7 build imports $name" ;;
      *) printf '%s\n' "$funcs" | grep -qx "$name" && bad "win7 build imports $name (not in Windows 7)" ;;
    esac
  done < <(sed 's/#.*//' "$here/win8-functions.txt")
  for d in $dlls; do
    case $d in api-ms-win-* | ext-ms-win-*) bad "win7 build imports the API set $d" ;; esac
  done
fi

n_exports=$(printf '%s\n' "$exports" | grep -c . || true)
n_funcs=$(printf '%s\n' "$funcs" | grep -c .)
if [ $fail = 0 ]; then
  case $dll in
    *.exe) echo "ok: $dll — no exports, $n_funcs imports from: $(echo $dlls)" ;;
    *) echo "ok: $dll — $n_exports exports (undecorated, = ywx.h), $n_funcs imports from: $(echo $dlls)" ;;
  esac
fi
exit $fail
