#!/usr/bin/env bash
# The test command (README): every test of the workspace, on a machine that
# has only Rust and a C compiler to begin with.
#
#   scripts/test.sh [cargo test options...]
#
# The tests also compile and run programs with g++, Free Pascal (fpc), mono
# (mcs, GB18030 from I18N.CJK), Python 3, valgrind and openssl, and fail when
# one is missing: nothing is skipped for want of a tool. So this script first
# installs what is missing, with apt-get (as root, or through sudo when it
# needs no password); when it cannot, it prints the exact command to run and
# stops. Then: cargo test --workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian/Ubuntu package for each tool the tests run.
missing=()
need() { # $1: command or file that must exist; the rest: its packages
  local what=$1
  shift
  case $what in
    /*) [ -e "$what" ] ;;
    *) type -P "$what" >/dev/null ;; # a program, not a shell builtin (kill)
  esac || missing+=("$@")
}
need gcc gcc
need g++ g++
need openssl openssl
need valgrind valgrind
need python3 python3
need mcs mono-mcs
need mono mono-runtime
need /usr/lib/mono/4.5/I18N.CJK.dll libmono-i18n-cjk4.0-cil
need fpc fp-compiler fp-units-rtl
# not in a minimal Debian (debootstrap minbase, container images)
need kill procps
# tests/layout.rs lists the tracked files (git ls-files)
need git git

if [ ${#missing[@]} -gt 0 ]; then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  echo "== 测试需要 / the tests need: $packages"
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      sudo=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    else
      echo "无法自动安装（不是 root，sudo 需要密码）。请运行 / cannot install (not root, sudo asks for a password); run:"
      echo
      echo "    sudo apt-get update && sudo apt-get install -y $packages"
      echo
      echo "然后再运行 / then run again: scripts/test.sh"
      exit 1
    fi
    echo "== apt-get install -y $packages"
    "${sudo[@]}" apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq $packages
  else
    echo "没有 apt-get：请用本系统的包管理器安装上面这些程序（Debian 包名），然后再运行 scripts/test.sh。"
    echo "no apt-get: install the programs above (Debian package names) with this system's package manager, then run scripts/test.sh again."
    exit 1
  fi
fi

echo "== cargo test --workspace $*"
exec cargo test --workspace "$@"
