#!/bin/sh
# board-parts.sh CACHE prints the folder, under CACHE, that holds what the
# board-in-the-loop test boots: Debian's arm64 kernel (vmlinuz), the modules
# it loads (*.ko) and a static busybox, fetched once and kept in a folder
# named by their package versions.
#
# apt runs with its own state under CACHE/apt and arm64 as its architecture,
# so nothing of the host's apt setup changes and no root is needed; the
# host's apt sources (Debian) say where the packages come from. When the
# archive cannot be reached, the newest complete folder is used.
set -eu
cache=${1:?usage: board-parts.sh CACHE}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
modules="soundcore snd snd-timer snd-pcm snd-aloop failover net_failover virtio_mmio virtio_net"

state="$cache/apt"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
: >"$state/status"
apt_opts="-qq -o APT::Architecture=arm64 -o APT::Architectures=arm64
	-o Dir::State=$state -o Dir::State::Lists=$state/lists
	-o Dir::State::status=$state/status -o Dir::Cache=$state/cache
	-o Debug::NoLocking=1 -o APT::Sandbox::User=$(id -un)"

newest_complete() {
	ls -1dt "$cache"/*/complete 2>/dev/null | head -n 1 | xargs -r dirname
}

# shellcheck disable=SC2086 # apt_opts is a list of words
if ! apt-get $apt_opts update >"$state/update.log" 2>&1; then
	dir=$(newest_complete)
	if [ -n "$dir" ]; then
		echo "board-parts: apt-get update failed (see $state/update.log); using $dir" >&2
		echo "$dir"
		exit 0
	fi
	cat "$state/update.log" >&2
	echo "board-parts: cannot reach Debian's archive and nothing is cached in $cache" >&2
	exit 1
fi

# The kernel package the linux-image-arm64 metapackage points at today.
# shellcheck disable=SC2086
kernel=$(apt-cache $apt_opts depends linux-image-arm64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-arm64\)$/\1/p' | head -n 1)
[ -n "$kernel" ] || { echo "board-parts: no arm64 kernel package found" >&2; exit 1; }
# shellcheck disable=SC2086
kver=$(apt-cache $apt_opts show --no-all-versions "$kernel" | sed -n 's/^Version: //p' | head -n 1)
# shellcheck disable=SC2086
bver=$(apt-cache $apt_opts show --no-all-versions busybox-static | sed -n 's/^Version: //p' | head -n 1)
dir="$cache/${kernel}_${kver}+busybox_$(echo "$bver" | tr ':' '_')"
if [ -e "$dir/complete" ]; then
	echo "$dir"
	exit 0
fi

rm -rf "$dir" "$dir.tmp"
mkdir -p "$dir.tmp/debs" "$dir.tmp/x"
# shellcheck disable=SC2086
(cd "$dir.tmp/debs" && apt-get $apt_opts download "$kernel" busybox-static) >&2
for deb in "$dir.tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$dir.tmp/x"; done
cp "$dir.tmp"/x/boot/vmlinuz-* "$dir.tmp/vmlinuz"
cp "$dir.tmp/x/bin/busybox" "$dir.tmp/busybox"
for m in $modules; do
	f=$(find "$dir.tmp/x/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" | head -n 1)
	[ -n "$f" ] || { echo "board-parts: module $m not in $kernel" >&2; exit 1; }
	case "$f" in
	*.xz) xz -dc "$f" >"$dir.tmp/$m.ko" ;;
	*) cp "$f" "$dir.tmp/$m.ko" ;;
	esac
done
rm -rf "$dir.tmp/debs" "$dir.tmp/x"
echo "$modules" >"$dir.tmp/modules"
touch "$dir.tmp/complete"
mv "$dir.tmp" "$dir"
echo "$dir"
