#!/usr/bin/env bash
# Installs what the tests, the demo, the benchmarks and the Debian package build need on Debian 12,
# quietly and idempotently. Run as root. Already-installed packages cost nothing.
set -euo pipefail
# radosgw ceph-mon ceph-osd: Ceph RGW, a real S3 server. gcc and zlib1g-dev: NativeAOT publishing
# links with them. tcpdump: tests capture on the tunnel. dpkg-dev (dpkg-shlibdeps) and man-db: the
# .deb (scripts/build-deb.sh); lintian and systemd (systemd-analyze verify): its checks. acl: a test
# gives a key file an ACL the way systemd gives one to a credential. bind9-dnsutils: dig, the DNS tests' client.
packages=(radosgw ceph-mon ceph-osd iputils-ping iperf3 iproute2 curl ca-certificates gcc libc6-dev zlib1g-dev tcpdump bind9-dnsutils
  dpkg-dev man-db lintian systemd acl)
# prometheus: only for promtool, which checks deploy/grafana's alert rules. Its own daemon is unwanted.
services=(prometheus)

missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
mapfile -t missing_packages < <(missing "${packages[@]}")
mapfile -t missing_services < <(missing "${services[@]}")
if [ $((${#missing_packages[@]} + ${#missing_services[@]})) -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: need root to install: ${missing_packages[*]} ${missing_services[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing_packages[*]} ${missing_services[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  if [ ${#missing_packages[@]} -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
  fi
fi
if [ ${#missing_services[@]} -gt 0 ]; then
  # The prometheus package starts its server on install (invoke-rc.d or systemd), listening on
  # *:9090. A policy-rc.d that answers 101 forbids that for the length of this install (both
  # invoke-rc.d and deb-systemd-invoke ask it); one that already exists (Docker images ship one)
  # is left alone. Then the service is disabled, so it does not start at boot either.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# written by hoshino scripts/install-deps.sh while installing %s; removed after\nexit 101\n' \
      "${missing_services[*]}" >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  status=0
  apt-get install -y -qq --no-install-recommends "${missing_services[@]}" >/dev/null || status=$?
  [ "$own_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
  [ "$status" = 0 ] || exit "$status"
  for s in "${missing_services[@]}"; do
    if [ -d /run/systemd/system ]; then
      systemctl disable --now "$s" >/dev/null 2>&1 || true
    else
      deb-systemd-helper disable "$s.service" >/dev/null 2>&1 || true
    fi
    [ ! -x "/etc/init.d/$s" ] || update-rc.d "$s" disable >/dev/null 2>&1 || true
  done
fi
# The kernel pieces the tests use: TUN devices, network namespaces, veth, bridges.
[ -c /dev/net/tun ] || modprobe tun 2>/dev/null || true
[ -c /dev/net/tun ] || { echo "install-deps: /dev/net/tun is missing (modprobe tun)" >&2; exit 1; }
