#!/usr/bin/env bash
# Builds the Debian package hoshino_VERSION_amd64.deb from the NativeAOT binary:
#   /usr/bin/hoshino, /lib/systemd/system/hoshino.service (deploy/systemd), /etc/hoshino/hoshino.env
#   (a conffile, from deploy/systemd/hoshino.env.example), hoshino(1) made from `hoshino --help`,
#   /usr/share/doc/hoshino (copyright, changelog.Debian.gz, README.Debian, examples/ from deploy/grafana).
#
#   scripts/build-deb.sh                    publish src/Hoshino to artifacts/publish (as test.sh does), then package it
#   scripts/build-deb.sh --binary PATH      package this binary instead (e.g. artifacts/publish/hoshino)
#   scripts/build-deb.sh --output DIR       write the .deb into DIR (default: artifacts/)
#
# Prints the path of the .deb on stdout. Needs dpkg-deb and dpkg-shlibdeps (dpkg-dev); no root:
# files are owned by root in the package by --root-owner-group. The version is the binary's own
# (`hoshino --version`, from <Version> in Directory.Build.props) plus the Debian revision
# DEB_REVISION (default 1). SOURCE_DATE_EPOCH (default: the last commit's time) dates the changelog,
# the man page and every file, so the same inputs make the same package.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=""
output="$root/artifacts"
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift ;;
    --output) output=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-deb: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$binary" ]; then
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  dotnet publish "$root/src/Hoshino" -c Release -r linux-x64 -o "$root/artifacts/publish" --nologo -v quiet -clp:ErrorsOnly >&2
  binary="$root/artifacts/publish/hoshino"
fi
[ -x "$binary" ] || { echo "build-deb: $binary is not an executable file" >&2; exit 1; }
case "$(od -An -tx1 -j0 -N4 "$binary" | tr -d ' \n')$(od -An -tx1 -j18 -N2 "$binary" | tr -d ' \n')" in
  7f454c463e00) ;; # ELF, e_machine 0x3e: x86-64
  *) echo "build-deb: $binary is not an x86-64 ELF binary (a NativeAOT publish with -r linux-x64 makes one)" >&2; exit 1 ;;
esac

# The binary's version, without the +commit that SourceLink appends.
upstream=$(env -i PATH=/usr/bin:/bin "$binary" --version)
upstream=${upstream%%+*}
[[ $upstream =~ ^[0-9][A-Za-z0-9.~]*$ ]] || { echo "build-deb: '$upstream' from $binary --version is not a Debian upstream version" >&2; exit 1; }
version="$upstream-${DEB_REVISION:-1}"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
maintainer=${DEB_MAINTAINER:-"Hoshino developers <hoshino@users.noreply.github.com>"}
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)

work=$(mktemp -d "${TMPDIR:-/tmp}/hoshino-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
pkg="$work/debian/hoshino"   # dpkg-shlibdeps wants the files in debian/PACKAGE
doc="$pkg/usr/share/doc/hoshino"
umask 022

install -D -m 0755 "$binary" "$pkg/usr/bin/hoshino"
install -D -m 0644 "$root/deploy/systemd/hoshino.service" "$pkg/lib/systemd/system/hoshino.service"
# May hold credentials: root's, 0600, as the unit's install comment asks.
install -D -m 0600 "$root/deploy/systemd/hoshino.env.example" "$pkg/etc/hoshino/hoshino.env"
install -D -m 0644 "$root/deploy/debian/copyright" "$doc/copyright"
install -D -m 0644 "$root/deploy/debian/README.Debian" "$doc/README.Debian"
for f in hoshino-dashboard.json hoshino-alerts.yml hoshino-alerts.test.yml README.md; do
  install -D -m 0644 "$root/deploy/grafana/$f" "$doc/examples/grafana/$f"
done
install -D -m 0644 "$root/deploy/debian/lintian-overrides" "$pkg/usr/share/lintian/overrides/hoshino"

date_rfc=$(date -u -d "@$SOURCE_DATE_EPOCH" -R)
date_day=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
mkdir -p "$pkg/usr/share/man/man1"
"$root/deploy/debian/manpage.sh" "$binary" "$upstream" "$date_day" | gzip -9n >"$pkg/usr/share/man/man1/hoshino.1.gz"
cat <<EOF | gzip -9n >"$doc/changelog.Debian.gz"
hoshino ($version) unstable; urgency=medium

  * hoshino $upstream, packaged by scripts/build-deb.sh from commit $commit.

 -- $maintainer  $date_rfc
EOF
chmod 0644 "$pkg/usr/share/man/man1/hoshino.1.gz" "$doc/changelog.Debian.gz"

mkdir -p "$pkg/DEBIAN"
install -m 0755 "$root/deploy/debian/postinst" "$root/deploy/debian/prerm" "$root/deploy/debian/postrm" "$pkg/DEBIAN/"
echo /etc/hoshino/hoshino.env >"$pkg/DEBIAN/conffiles"
chmod 0644 "$pkg/DEBIAN/conffiles"

# Depends: what the binary links (libc6, from dpkg-shlibdeps), and OpenSSL, which .NET loads with
# dlopen for TLS and AES-GCM (libssl3; libssl3t64 from Debian 13 on). CA certificates for HTTPS to S3.
printf 'Source: hoshino\n\nPackage: hoshino\nArchitecture: amd64\n' >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O -e debian/hoshino/usr/bin/hoshino 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies for the binary" >&2; exit 1; }
installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<EOF
Package: hoshino
Version: $version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $shlibs, libssl3 | libssl3t64
Recommends: ca-certificates
Section: net
Priority: optional
Homepage: https://github.com/hoshino/hoshino
Description: IPv6 between machines through an S3 bucket
 Hoshino gives Linux machines IPv6 connectivity to each other through an
 object store. Each node owns a TUN interface, hoshino0, with an address in
 a ULA /64 derived from its machine-id. Packets the kernel routes into the
 interface are bundled and written to an S3 bucket under the destination's
 key prefix; every node polls its own prefix and writes what it finds back
 into its kernel.
 .
 Any machine that can reach the bucket joins the network: VPCs with an S3
 endpoint but no NAT gateway, other regions and accounts, networks that allow
 only HTTPS to S3. Objects can be sealed with a shared network key.
EOF
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' md5sum) >"$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"
find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$output"
deb="$(cd "$output" && pwd)/hoshino_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
