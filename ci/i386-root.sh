#!/usr/bin/env bash
# Makes (once) an i386 Debian tree with wine32, for running the 32-bit DLL
# tests: 32-bit wine cannot be installed beside the host's 64-bit wine
#. The tree is a cache outside the clone, reused by later runs.
#
#   ci/i386-root.sh DIR        create DIR (if DIR/.ywx-ready is missing)
#
# The Debian mirror is read from this machine's apt configuration, never
# written here.
set -euo pipefail
dir=${1:?usage: ci/i386-root.sh DIR}

if [ -f "$dir/.ywx-ready" ]; then
  echo "i386 tree ready: $dir"
  exit 0
fi

# The machine's own Debian mirror and release: the first source whose suite
# is the host's codename (deb822 .sources, or one-line .list).
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:?}")
mirror=$(
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v want="$codename" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uri = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/)   { split($i, a, /[ \t]+/); uri = a[2] }
          if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == want) ok = 1 }
        }
        if (ok && uri != "") { print uri; exit }
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v want="$codename" '$1 == "deb" { sub(/^deb (\[[^]]*\] )?/, ""); if ($2 == want) { print $1; exit } }' "$f"
  done
)
mirror=$(printf '%s\n' "$mirror" | head -n1)
[ -n "$mirror" ] || { echo "no Debian mirror for $codename in /etc/apt" >&2; exit 1; }
echo "== i386 tree: debootstrap $codename from $mirror into $dir"

command -v debootstrap >/dev/null || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq debootstrap
}

# Everything mounted inside the tree (also bind mounts left by an interrupted
# ci/windows.sh), deepest first.
unmount_all() {
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
    while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}
# A half-made tree from an interrupted run: unmount, then delete.
if [ -d "$dir" ]; then
  unmount_all
  rm -rf --one-file-system "$dir"
fi
mkdir -p "$(dirname "$dir")"
debootstrap --arch=i386 --variant=minbase "$codename" "$dir" "$mirror"

trap unmount_all EXIT
mount -t proc proc "$dir/proc"
mount --bind /dev "$dir/dev"
chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends wine wine32 ca-certificates >/dev/null'
chroot "$dir" /usr/bin/env -i PATH=/usr/bin:/bin sh -c 'wine --version'
touch "$dir/.ywx-ready"
echo "i386 tree ready: $dir"
