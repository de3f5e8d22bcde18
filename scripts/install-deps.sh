#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need on Debian 12, quietly and idempotently:
# Ceph RGW (a real S3 server), ping and iperf3. Run as root. Already-installed packages cost nothing.
set -euo pipefail
# gcc and zlib1g-dev: NativeAOT publishing links with them. tcpdump: tests capture on the tunnel.
packages=(radosgw ceph-mon ceph-osd iputils-ping iperf3 iproute2 curl ca-certificates gcc libc6-dev zlib1g-dev tcpdump)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The kernel pieces the tests use: TUN devices, network namespaces, veth, bridges.
[ -c /dev/net/tun ] || modprobe tun 2>/dev/null || true
[ -c /dev/net/tun ] || { echo "install-deps: /dev/net/tun is missing (modprobe tun)" >&2; exit 1; }
