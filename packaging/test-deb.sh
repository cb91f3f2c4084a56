#!/bin/sh
# test-deb.sh DEB VERSION: check the .deb that make deb built, with
# dpkg-deb --info and --contents: its control fields, maintainer scripts,
# conffiles, the files it installs and that the binary is static arm64.
set -eu
deb=$1 version=$2
fail() { echo "test-deb: $deb: $*" >&2; exit 1; }

info=$(dpkg-deb --info "$deb") || fail "dpkg-deb --info failed"
printf '%s\n' "$info"
for want in "Package: intercom" "Version: $version" "Architecture: arm64"; do
	printf '%s\n' "$info" | grep -qx " $want" || fail "control lacks '$want'"
done
printf '%s\n' "$info" | grep -q '^ Depends:' && fail "Depends set; the binary is static"
for script in postinst prerm postrm conffiles; do
	printf '%s\n' "$info" | grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\*? *$script( |$)" ||
		fail "no $script in the control archive"
done
[ "$(dpkg-deb --field "$deb" Architecture)" = arm64 ] || fail "not arm64"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --control "$deb" "$tmp/DEBIAN"
grep -qx /etc/intercom/intercom.toml "$tmp/DEBIAN/conffiles" || fail "config is not a conffile"
for s in postinst prerm postrm; do sh -n "$tmp/DEBIAN/$s" || fail "$s: syntax"; done

contents=$(dpkg-deb --contents "$deb") || fail "dpkg-deb --contents failed"
printf '%s\n' "$contents"
check() { # MODE OWNER PATH
	printf '%s\n' "$contents" | grep -Eq "^$1 $2 .* \./$3\$" || fail "no $3 with $1 $2"
}
check -rwxr-xr-x root/root usr/bin/intercom
check -rw-r--r-- root/root lib/systemd/system/intercom.service
check -rw-r----- root/root etc/intercom/intercom.toml
check -rw-r--r-- root/root lib/udev/rules.d/60-intercom-gpio.rules

dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/intercom >"$tmp/intercom"
desc=$(file -b "$tmp/intercom")
case "$desc" in *"ARM aarch64"*"statically linked"*) ;; *) fail "usr/bin/intercom: $desc" ;; esac
echo "test-deb: $deb ok"
