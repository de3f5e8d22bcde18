#!/bin/bash
# A throw-away single-node Ceph cluster with a RADOS Gateway (S3) for tests and benchmarks.
#
#   rgw.sh start BASE_DIR          start mon + memstore OSD + radosgw, create a user and a bucket
#   rgw.sh stop  BASE_DIR          kill what `start` started (by pid), remove BASE_DIR; idempotent
#   rgw.sh user  BASE_DIR UID      create one more S3 user; prints S3_ACCESS_KEY=… S3_SECRET_KEY=…
#
# Layout: 1 mon, 1 OSD on memstore (RAM), no mgr, pool size 1. Internal cluster auth is off, but
# RGW still checks SigV4 on every S3 request. Needs: apt-get install radosgw ceph-mon ceph-osd curl.
#
# Environment (all optional):
#   NETNS        run every daemon and client with `ip netns exec $NETNS` (the namespace must exist;
#                its loopback is brought up here). The mon binds 127.0.0.1 of that namespace.
#   RGW_LISTEN   extra S3 listen address, e.g. "[fd12:3456:789a:bcde::1]:7480"; the S3 endpoint
#                printed is http://$RGW_LISTEN. Without it the endpoint is the health address.
#   RGW_PORT     port of the health/loopback listener on 127.0.0.1 (7480)
#   MON_PORT     mon msgr2 port on 127.0.0.1 (3300); v1 uses MON_PORT+1. Only matters without NETNS.
#   AK SK        credentials of the S3 user (default: random)
#   BUCKET       bucket to create (default "hoshino"; empty = none)
#   VERBOSE=1    print stage timings to stderr
# stdout of `start`, one line:
#   S3_ENDPOINT=… S3_HEALTH_ENDPOINT=… S3_ACCESS_KEY=… S3_SECRET_KEY=… S3_BUCKET=… S3_REGION=us-east-1 CEPH_CONF=…
# Quiet on success; on failure prints the tail of the logs to stderr, stops what it started and
# exits non-zero. Logs are in BASE_DIR/log until `stop` removes the directory.
set -euo pipefail

die() { echo "rgw.sh: $*" >&2; exit 2; }
CMD=${1:-}; BASE=${2:-}
[ -n "$CMD" ] && [ -n "$BASE" ] || die "usage: rgw.sh start|stop|user BASE_DIR [UID]"
case "$BASE" in /*) ;; *) BASE=$(pwd)/$BASE ;; esac
BASE=${BASE%/}
CONF=$BASE/ceph.conf
DAEMONS=(client.rgw.a osd.0 mon.a)

# Runs a command inside the namespace recorded at start (or NETNS), else directly, bounded by
# STEP_TIMEOUT seconds (daemons return once they have forked; a client waiting for a dead mon would
# otherwise wait 300 s).
in_ns() {
  local ns=${NETNS:-}
  [ -z "$ns" ] && [ -f "$BASE/netns" ] && ns=$(cat "$BASE/netns")
  if [ -n "$ns" ]; then
    ip netns exec "$ns" timeout -k 5 "${STEP_TIMEOUT:-60}" "$@"
  else
    timeout -k 5 "${STEP_TIMEOUT:-60}" "$@"
  fi
}

random_string() { # LENGTH ALPHABET
  local s=""
  while [ ${#s} -lt "$1" ]; do s+=$(head -c 256 /dev/urandom | LC_ALL=C tr -dc "$2"); done
  echo "${s:0:$1}"
}

# A pid from a pid file is only ours if the process still runs with our ceph.conf: after a crash
# and a reboot the number may belong to something else.
is_ours() {
  local a; local -a args
  { mapfile -d '' -t args <"/proc/$1/cmdline"; } 2>/dev/null || return 1
  for a in "${args[@]}"; do [ "$a" = "$CONF" ] && return 0; done
  return 1
}

# Running = exists and is not a zombie waiting for its parent to reap it.
is_running() {
  local stat
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

our_pids() {
  local d p f
  {
    for d in "${DAEMONS[@]}"; do
      f=$BASE/run/ceph-$d.pid
      [ -s "$f" ] && p=$(<"$f") && [[ "$p" =~ ^[0-9]+$ ]] && is_ours "$p" && echo "$p"
    done
    # A daemon killed between fork and writing its pid file, or a client (ceph, radosgw-admin)
    # still waiting for a mon: match the full path of this cluster's config, which no other run
    # shares (never a process name).
    for f in /proc/[0-9]*; do
      p=${f#/proc/}
      is_ours "$p" && echo "$p"
    done
    true
  } | sort -un
  return 0
}

rgw_running() {
  local p comm
  for p in $(our_pids); do
    { comm=$(<"/proc/$p/comm"); } 2>/dev/null || continue
    [ "$comm" = radosgw ] && is_running "$p" && return 0
  done
  return 1
}

stop() {
  [ -d "$BASE" ] || return 0
  local pids i p alive
  mapfile -t pids < <(our_pids)
  if [ ${#pids[@]} -gt 0 ]; then
    # SIGKILL straight away: memstore holds nothing worth flushing, and radosgw takes seconds to
    # honour SIGTERM.
    kill -KILL "${pids[@]}" 2>/dev/null || true
    for i in $(seq 1 50); do
      alive=0; for p in "${pids[@]}"; do is_running "$p" && alive=1; done
      [ $alive = 0 ] && break; sleep 0.1
    done
    if [ $alive = 1 ]; then
      echo "rgw.sh: processes of $BASE survived SIGKILL: ${pids[*]}" >&2
      return 1
    fi
  fi
  [ "${KEEP:-0}" = 1 ] || rm -rf "$BASE"
}

show_logs() {
  local f n
  for f in "$BASE"/log/*.log; do
    [ -s "$f" ] || continue
    case "$f" in *start.log|*rgw.a.log|*radosgw-admin.log) n=15 ;; *) n=5 ;; esac
    echo "---- $f (tail)" >&2
    tail -n $n "$f" >&2
  done
}

# curl with SigV4 inside the namespace. curl 7.88 --aws-sigv4 does not send x-amz-content-sha256,
# which RGW requires: pass the hash of the empty body.
s3_curl() { # METHOD PATH AK SK -> prints HTTP status
  in_ns curl -s -o "$BASE/log/last-s3-response.xml" -w '%{http_code}' --max-time 10 \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$3:$4" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    -X "$1" "http://127.0.0.1:$(cat "$BASE/rgw-port")$2"
}

create_user() { # UID AK SK
  in_ns radosgw-admin -c "$CONF" user create --uid="$1" --display-name="$1" \
    --access-key="$2" --secret-key="$3" >>"$BASE/log/radosgw-admin.log" 2>&1
}

start() {
  local RGW_PORT=${RGW_PORT:-7480} MON_PORT=${MON_PORT:-3300}
  local AK=${AK:-$(random_string 20 'A-Z0-9')} SK=${SK:-$(random_string 40 'A-Za-z0-9')}
  local BUCKET=${BUCKET-hoshino} LISTEN=${RGW_LISTEN:-} ENDPOINTS T0 FSID OSD_UUID OSD_ID i
  local MON_ADDR="[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$((MON_PORT + 1))]"
  command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && command -v radosgw >/dev/null \
    || die "ceph is not installed: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd"
  if [ -n "${NETNS:-}" ]; then
    ip netns exec "$NETNS" true 2>/dev/null || die "network namespace '$NETNS' does not exist"
  fi

  stop || die "could not stop the previous cluster in $BASE"
  mkdir -p "$BASE"/{run,log,mon,osd/ceph-0,rgw}
  echo "${NETNS:-}" >"$BASE/netns"
  echo "$RGW_PORT" >"$BASE/rgw-port"
  # An EXIT trap, not ERR: ERR traps leak into $(…) subshells under errtrace, and without it miss
  # failures inside functions.
  trap 'rc=$?; if [ $rc != 0 ]; then echo "rgw.sh: start failed (exit $rc); logs in $BASE/log" >&2; show_logs; KEEP=1 stop || true; fi' EXIT

  T0=$(date +%s%N)
  stage() { echo "+$(( ($(date +%s%N) - T0) / 1000000 )) ms $*" >>"$BASE/log/start.log"; [ "${VERBOSE:-0}" = 1 ] && echo "rgw.sh: +$(( ($(date +%s%N) - T0) / 1000000 )) ms $*" >&2; return 0; }
  [ -n "${NETNS:-}" ] && ip netns exec "$NETNS" ip link set lo up

  ENDPOINTS="endpoint=127.0.0.1:$RGW_PORT"
  [ -n "$LISTEN" ] && [ "$LISTEN" != "127.0.0.1:$RGW_PORT" ] && ENDPOINTS="endpoint=$LISTEN $ENDPOINTS"
  FSID=$(cat /proc/sys/kernel/random/uuid)
  cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = $MON_ADDR
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
# Internal cluster auth off (S3 SigV4 is still enforced by RGW). Without cephx there is no session
# key, so the "secure" messenger mode is impossible, and radosgw, which defaults ms_mon_client_mode
# to secure, hangs forever ("get_initial_auth_request returned -13"): every mode must be crc.
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
ms cluster mode = crc
ms service mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = $BASE/run
admin socket = $BASE/run/\$cluster-\$name.asok
log file = $BASE/log/\$cluster-\$name.log
pid file = $BASE/run/\$cluster-\$name.pid
keyring = /dev/null
[mon]
mon data = $BASE/mon/ceph-\$id
mon cluster log file = $BASE/log/cluster.log
# Commit paxos quickly: the default (1 s per map change) makes start-up ~13 s instead of ~1.5 s.
paxos propose interval = 0.05
paxos min wait = 0.01
[osd]
osd data = $BASE/osd/ceph-\$id
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES:-1073741824}
# The OSD's usage from its PGs' own byte counts, against the same size, not from memstore's statfs.
# Memstore keeps its usage as a running sum of size changes, which can drift below zero (reading
# MemStore.cc: _collection_add shares an object without counting it, yet each remove subtracts it;
# _clone counts the source's size, not the result's; which one drifted in the run that hit this is
# not known). Its statfs then reports more free bytes than the device has, the OSD's used =
# total - free wraps around to ~1.8e19, and the ratio, ~4e9, engages the full failsafe, which drops
# every write ("now -2147483648% full" is that ratio x 100 overflowing an int). A higher failsafe ratio would not help: the same ratio then marks the OSD
# full, and RADOS clients hold every write instead. The PGs' counts cannot go below zero, so the
# full ratios (95 %, failsafe 97 %) still guard a run that really fills the device.
fake statfs for testing = ${MEMSTORE_BYTES:-1073741824}
osd memory target = 1073741824
[client.rgw.a]
# tcp_nodelay=1 is essential: without it every response with a body (GET, LIST) takes +40 ms
# (Nagle + delayed ACK).
rgw frontends = beast $ENDPOINTS tcp_nodelay=1
rgw data = $BASE/rgw
rgw dns name = localhost
rgw thread pool size = 64
CONF

  monmaptool --create --fsid "$FSID" --addv a "$MON_ADDR" "$BASE/monmap" >>"$BASE/log/start.log" 2>&1
  in_ns ceph-mon -c "$CONF" --mkfs -i a --monmap "$BASE/monmap" >>"$BASE/log/start.log" 2>&1
  in_ns ceph-mon -c "$CONF" -i a >>"$BASE/log/start.log" 2>&1      # daemonizes, writes its pid file
  stage "mon started"
  OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
  OSD_ID=$(in_ns ceph -c "$CONF" --connect-timeout 20 osd new "$OSD_UUID" 2>>"$BASE/log/start.log")
  [ "$OSD_ID" = 0 ] || { echo "unexpected osd id '$OSD_ID'" >>"$BASE/log/start.log"; false; }
  stage "osd created"
  in_ns ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >>"$BASE/log/start.log" 2>&1
  in_ns ceph-osd -c "$CONF" -i 0 >>"$BASE/log/start.log" 2>&1
  stage "osd started"
  # radosgw daemonizes only after its init, which needs the OSD up to create its pools; it waits
  # for that itself, so no `ceph osd stat` polling is needed here.
  in_ns radosgw -c "$CONF" -n client.rgw.a >>"$BASE/log/start.log" 2>&1
  for i in $(seq 1 300); do
    in_ns curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$RGW_PORT/" && break
    [ "$i" = 300 ] && { echo "radosgw did not listen within 30 s" >>"$BASE/log/start.log"; false; }
    # radosgw that fails after daemonizing (e.g. cannot bind RGW_LISTEN) removes its pid file and
    # exits with nobody to tell: notice it instead of waiting 30 s.
    if [ "$i" -ge 5 ] && ! rgw_running; then
      echo "radosgw exited (see ceph-client.rgw.a.log)" >>"$BASE/log/start.log"; false
    fi
    sleep 0.1
  done
  stage "rgw listening"
  create_user hoshino "$AK" "$SK"
  if [ -n "$BUCKET" ]; then
    i=$(s3_curl PUT "/$BUCKET" "$AK" "$SK")
    [ "$i" = 200 ] || { echo "creating bucket $BUCKET: HTTP $i" >>"$BASE/log/start.log"; false; }
  fi
  stage "user and bucket ready"
  trap - EXIT
  echo "S3_ENDPOINT=http://${LISTEN:-127.0.0.1:$RGW_PORT} S3_HEALTH_ENDPOINT=http://127.0.0.1:$RGW_PORT" \
       "S3_ACCESS_KEY=$AK S3_SECRET_KEY=$SK S3_BUCKET=$BUCKET S3_REGION=us-east-1 CEPH_CONF=$CONF"
}

user() {
  local uid=${3:-} AK=${AK:-$(random_string 20 'A-Z0-9')} SK=${SK:-$(random_string 40 'A-Za-z0-9')}
  [[ "$uid" =~ ^[A-Za-z0-9_-]+$ ]] || die "usage: rgw.sh user BASE_DIR UID (letters, digits, _ and -)"
  [ -f "$CONF" ] || die "no cluster in $BASE"
  if ! create_user "$uid" "$AK" "$SK"; then
    echo "rgw.sh: creating user $uid failed" >&2; tail -n 15 "$BASE/log/radosgw-admin.log" >&2; exit 1
  fi
  echo "S3_ACCESS_KEY=$AK S3_SECRET_KEY=$SK"
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  user) user "$@" ;;
  *) die "unknown command '$CMD' (start|stop|user)" ;;
esac
