#!/usr/bin/env bash
# Hoshino against the floor of its own object store, in one command (run as root):
#
#   bench/run.sh [--quick|--full] [--rev REV | --worktree] [--keep]
#
#   --full       (default) everything below; about 14 minutes on 2 cores
#   --quick      floor, hot and cold RTT, 1- and 4-stream goodput, cost, footprint; under 2 minutes
#                once the binaries are built (shorter samples: a smoke test, not a record)
#   --rev REV    benchmark git revision REV (default HEAD), exported with `git archive` into
#                artifacts/bench/ and built there, so edits in progress elsewhere cannot break or
#                colour the run; the bench/ directory always comes from the working tree
#   --worktree   benchmark the working tree as it is (to measure an uncommitted change)
#   --keep       keep the raw files of the run (/tmp/hoshino-bench/ID) for inspection
# Knobs for experiments (shown in the results' command line, so a tuned run never passes for a default one):
#   --node-args "ARGS"     extra `hoshino up` flags for both nodes, e.g. "--poll-min 5ms"
#   --wire-format v1|v2    what the nodes (and the scale run's virtual nodes) write (default: hoshino's, v2)
#   --node-env "K=V ..."   extra environment for both daemons, e.g. "DOTNET_GCgen0size=200000" (hex,
#                          no 0x: NativeAOT ignores the 0x form)
#   --tcp-wmem-max BYTES   net.ipv4.tcp_wmem maximum in both node namespaces (Linux default 4 MiB)
#   --tcp-rmem-max BYTES   net.ipv4.tcp_rmem maximum in both node namespaces (the kernel's default: 6 MiB
#                          on older kernels, 32 MiB on the bench machine's 6.18)
#
# What one run does, all on this machine, each step against the same Ceph RGW:
#   1. the floor: the store's PUT/LIST/GET/DELETE latency and concurrent throughput, through the
#      daemon's own S3 client and settings (bench/Hoshino.Bench `floor`)
#   2. two `hoshino up` nodes (the NativeAOT binary) in namespaces of their own: hot RTT (ping -i 0.2),
#      cold RTT (first ping after idling), iperf3 goodput A->B with 1 and 4 streams, S3 requests per
#      packet and per MiB, an idle node's request rate, CPU and RSS of each daemon
#   3. (full) the same with the store 15 ms away each way (an AWS-like profile). This kernel has no
#      sch_netem, so the delay comes from a user-space TCP relay in front of RGW (hoshino-bench
#      delay-proxy): every chunk of bytes waits 15 ms in each direction, connection set-up excepted;
#      one more 1-stream run there with the sender's net.ipv4.tcp_wmem maximum raised to 32 MiB
#   4. (full) both nodes again with --poll-max 5s: idle cost against first-packet latency
#   5. (full) 2, 10 and 50 in-process virtual nodes on one bucket (bench/Hoshino.Bench `scale`)
#   6. (full) BenchmarkDotNet micro-benchmarks of the hot paths (bench/Hoshino.Benchmarks)
# then prints the results table and appends it to bench/RESULTS.md.
#
# Layout (ID = 4 random hex digits, U = a random ULA /64, never the tunnel's prefix):
#   netns hsbIDs: bridge br0 U::1/64 (fixed MAC, no multicast snooping), ceph-mon/osd, radosgw [U::1]:7480
#   netns hsbIDa, hsbIDb: the two nodes (eth0 U::a, U::b; tunnel fd5e:59b8:f71d:9a3e::a, ::b)
#   netns hsbIDc: the floor and scale client (eth0 U::c)
# Everything is created under ID and removed by ID on exit, failure or Ctrl-C; a run that was killed
# outright is removed by the next run (its /tmp/hoshino-bench/ID/owner.pid names a dead process).
# A run whose store engaged Ceph's full failsafe (the OSD drops every write) stops there, non-zero.
set -euo pipefail
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

repo=$(cd "$(dirname "$0")/.." && pwd)
mode=full rev=HEAD worktree=0 keep=0 node_args="" node_env="" wire_format="" tcp_wmem_max="" tcp_rmem_max=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --rev) rev=${2:?--rev needs a revision}; shift ;;
    --worktree) worktree=1 ;;
    --keep) keep=1 ;;
    --node-args) node_args=${2?}; shift ;;
    --node-env) node_env=${2?}; shift ;;
    --wire-format) wire_format=${2?}; shift ;;
    --tcp-wmem-max) tcp_wmem_max=${2?}; shift ;;
    --tcp-rmem-max) tcp_rmem_max=${2?}; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (network namespaces, TUN devices, tc)" >&2; exit 1; }

# ---- parameters per mode -------------------------------------------------------------------------
if [ $mode = quick ]; then
  FLOOR_SAMPLES=40 FLOOR_SECONDS=2 HOT_PINGS=50 COLD_SAMPLES=3 IPERF_SECONDS=10 IDLE_SECONDS=10
else
  FLOOR_SAMPLES=200 FLOOR_SECONDS=4 HOT_PINGS=150 COLD_SAMPLES=8 IPERF_SECONDS=20 IDLE_SECONDS=30
  FAR_MS=15 FAR_WMEM_MAX=33554432 FAR_FLOOR_SAMPLES=50 FAR_FLOOR_SECONDS=4 FAR_HOT_PINGS=100 FAR_COLD_SAMPLES=5
  SCALE_NODES=2,10,50 SCALE_IDLE_SECONDS=15 SCALE_TRAFFIC_SECONDS=10
fi
COLD_IDLE=6                # seconds of silence before each cold ping (>= 5 s: both heartbeats at --poll-max)
SMALL=113                  # bytes of the bundle that carries one default ping (5 + 4 + 40 + 8 + 56)
BUNDLE=262144              # a bulk-transfer bundle (the daemons' mean at one stream: 270-550 KiB)
THROUGHPUT_SIZE=1048576    # the daemon's largest bundle (EgressOptions.MaxBundleBytes)
TUNNEL=fd5e:59b8:f71d:9a3e
A_TUN=$TUNNEL::a B_TUN=$TUNNEL::b

# ---- run identity, leftovers of killed runs, clean-up ---------------------------------------------
root=/tmp/hoshino-bench
id=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
work=$root/$id
ns_s=hsb${id}s ns_a=hsb${id}a ns_b=hsb${id}b ns_c=hsb${id}c
ms() { echo $(( $(date +%s%N) / 1000000 )); }
t_start=$(ms)
log() { printf '[%5.1fs] %s\n' "$(( $(ms) - t_start ))e-3" "$*" >&2; }

# Removes everything of run $1 (its processes by pid file, its cluster, its namespaces), by id only.
remove_run() {
  local rid=$1 dir=$root/$1 p x
  for p in "$dir"/pids/*; do
    [ -f "$p" ] || continue
    p=$(cat "$p")
    # Only a process that still runs in one of this run's namespaces is ours (pids get recycled).
    if [ -n "$p" ] && ip netns identify "$p" 2>/dev/null | grep -q "^hsb$rid"; then
      kill -TERM "$p" 2>/dev/null || true
    fi
  done
  for p in "$dir"/pids/*; do
    [ -f "$p" ] || continue
    p=$(cat "$p")
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null && ip netns identify "$p" 2>/dev/null | grep -q "^hsb$rid"; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  [ -d "$dir/ceph" ] && "$repo/tests/harness/rgw.sh" stop "$dir/ceph" >/dev/null 2>&1 || true   # stop: stable interface
  # A node's veth goes from the bridge side first: deleting only its namespace leaves the teardown
  # to the kernel's asynchronous clean-up (seen to take over 15 s under load).
  for x in a b c; do
    ip -n "hsb${rid}s" link del "p$x" 2>/dev/null || true
    ip netns del "hsb${rid}$x" 2>/dev/null || true
  done
  ip netns del "hsb${rid}s" 2>/dev/null || true
  if [ "$rid" != "$id" ] || [ $keep = 0 ]; then rm -rf "$dir"; else rm -rf "$dir/ceph" "$dir/pids"; touch "$dir/kept"; fi
}

mkdir -p "$root"
for dir in "$root"/*; do
  [ -d "$dir" ] || continue
  [ -f "$dir/kept" ] && continue   # raw files a --keep run left on purpose; nothing of it runs
  owner=$(cat "$dir/owner.pid" 2>/dev/null || true)
  if [ -n "$owner" ] && [ "$(cut -d' ' -f22 "/proc/${owner%% *}/stat" 2>/dev/null)" = "${owner##* }" ]; then
    continue   # its run.sh still runs
  fi
  log "removing leftovers of killed run $(basename "$dir")"
  remove_run "$(basename "$dir")"
done
mkdir -p "$work/pids" "$work/snap"
echo "$$ $(cut -d' ' -f22 /proc/$$/stat)" > "$work/owner.pid"

# The store's OSD can engage its full failsafe mid-run (one run logged "full status failsafe engaged,
# dropping updates, now -2147483648% full" right after the floor): it then drops every write, each
# PUT times out, and whatever is measured after it is void. rgw.sh removes the cause it knows of
# (memstore's usage count going below zero, see its ceph.conf); this catches any other. Checked
# after each phase ($phase names the one running), and on any failure: a phase whose PUTs all time
# out may fail before its check.
phase="start-up"
osd_log=$work/ceph/log/ceph-osd.0.log
failsafe_reported=0
failsafe_engaged() { # true (and says so, once) if the OSD's log shows the failsafe engaged
  grep -qs "full status failsafe engaged" "$osd_log" || return 1
  [ $failsafe_reported = 1 ] || echo "run.sh: the store's OSD engaged its full failsafe during $phase; the figures after it are void; run again" >&2
  failsafe_reported=1
}
store_check() { # after $phase: stops the run if the failsafe engaged during it
  if failsafe_engaged; then exit 1; fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ $rc = 0 ] || log "failed (exit $rc); cleaning up"
  [ $rc = 0 ] || failsafe_engaged || true
  [ $rc = 0 ] || [ ! -d "$work" ] || { for f in "$work"/node-*.log; do [ -f "$f" ] && { echo "---- $f (tail)"; tail -n 20 "$f"; }; done >&2; }
  remove_run "$id"
  [ $keep = 1 ] && log "raw files kept in $work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- build -----------------------------------------------------------------------------------------
"$repo/scripts/install-deps.sh"
commit=$(git -C "$repo" rev-parse --short "$rev")
if [ $worktree = 1 ]; then
  src=$repo
  out=$repo/artifacts/bench/worktree
  dirty=$(git -C "$repo" status --porcelain -- src Directory.Build.props Directory.Packages.props global.json | wc -l)
  commit="$(git -C "$repo" rev-parse --short HEAD)$([ "$dirty" = 0 ] || echo "+worktree ($dirty files changed)")"
else
  # Keyed by what the daemon is built from, so a revision that changed only docs or tests reuses
  # the last NativeAOT build (about a minute on 2 cores) and a quick run stays under two minutes.
  tree=$(for p in src Directory.Build.props Directory.Packages.props global.json; do git -C "$repo" rev-parse "$rev:$p"; done | sha1sum)
  src=$repo/artifacts/bench/src-${tree:0:12}
  out=$src/out
  if [ ! -f "$src/.exported" ]; then
    rm -rf "$src"; mkdir -p "$src"
    git -C "$repo" archive "$rev" | tar -x -C "$src"
    touch "$src/.exported"
  fi
  # Keep the three newest exports (each holds a ~300 MB build); one benchmark runs at a time.
  ls -dt "$repo"/artifacts/bench/src-* 2>/dev/null | tail -n +4 | while read -r old; do [ "$old" = "$src" ] || rm -rf "$old"; done
  # The benchmark itself always comes from the working tree.
  rm -rf "$src/bench"; mkdir -p "$src/bench"
  (cd "$repo/bench" && tar -c --exclude=bin --exclude=obj --exclude=BenchmarkDotNet.Artifacts .) | tar -x -C "$src/bench"
fi
build() { # PROJECT OUTDIR [publish args...]: bin/ and obj/ under $out/build, never in a shared src/*/obj
  local verb=$1 project=$2 dir=$3; shift 3
  dotnet "$verb" "$src/$project" -c Release --artifacts-path "$out/build" -o "$dir" --nologo -v quiet -clp:ErrorsOnly "$@" >&2
}
log "building hoshino $commit (NativeAOT) and the bench tools in $out"
if [ $worktree = 1 ] || [ ! -x "$out/hoshino/hoshino" ]; then
  build publish src/Hoshino "$out/hoshino" -r linux-x64
fi
build build bench/Hoshino.Bench "$out/bench"
[ $mode = full ] && build build bench/Hoshino.Benchmarks "$out/benchmarks"
hoshino=$out/hoshino/hoshino
bench() { dotnet "$out/bench/hoshino-bench.dll" "$@"; }

# ---- network and store ---------------------------------------------------------------------------
underlay=$(printf 'fd%02x:%02x%02x:%02x%02x' $(od -An -N5 -tu1 /dev/urandom))
[ "$underlay" != fd5e:59b8:f71d ] || underlay=fd00:1:2
U=$underlay:0   # a /64: U::1 is radosgw
log "network: server $ns_s, nodes $ns_a $ns_b, client $ns_c on $U::/64"
ip netns add "$ns_s"
ip -n "$ns_s" link set lo up
# A fixed MAC: else the bridge takes the lowest MAC of its ports and changes it as they come and go.
# No multicast snooping: with no MLD querier it can starve neighbour discovery on new ports.
ip -n "$ns_s" link add br0 address 02:68:73:62:00:01 type bridge mcast_snooping 0
ip -n "$ns_s" addr add "$U::1/64" dev br0 nodad
ip -n "$ns_s" link set br0 up
for x in a b c; do
  ns=hsb$id$x
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns_s" link add "p$x" type veth peer name eth0 netns "$ns"
  ip -n "$ns_s" link set "p$x" master br0 up
  ip -n "$ns" addr add "$U::$x/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
done
if [ -n "$tcp_rmem_max" ]; then
  for x in a b; do ip netns exec "hsb$id$x" sysctl -q -w net.ipv4.tcp_rmem="4096 131072 $tcp_rmem_max"; done
fi
if [ -n "$tcp_wmem_max" ]; then
  for x in a b; do ip netns exec "hsb$id$x" sysctl -q -w net.ipv4.tcp_wmem="4096 16384 $tcp_wmem_max"; done
fi
for x in a b c; do
  for i in $(seq 100); do
    ip netns exec "hsb$id$x" ping -6 -n -c 1 -W 1 "$U::1" >/dev/null 2>&1 && break
    [ "$i" = 100 ] && { echo "run.sh: $U::1 unreachable from hsb$id$x" >&2; exit 1; }
    sleep 0.1
  done
done

log "starting Ceph RGW in $ns_s"
store_env=$(NETNS=$ns_s RGW_LISTEN="[$U::1]:7480" MEMSTORE_BYTES=$((4 << 30)) "$src/tests/harness/rgw.sh" start "$work/ceph")
for kv in $store_env; do
  case "${kv%%=*}" in
    S3_ENDPOINT) endpoint=${kv#*=} ;;
    S3_ACCESS_KEY) export AWS_ACCESS_KEY_ID=${kv#*=} ;;
    S3_SECRET_KEY) export AWS_SECRET_ACCESS_KEY=${kv#*=} ;;
    S3_BUCKET) bucket=${kv#*=} ;;
  esac
done
rgw_pid=$(cat "$work/ceph/run/ceph-client.rgw.a.pid")
osd_pid=$(cat "$work/ceph/run/ceph-osd.0.pid")
mon_pid=$(cat "$work/ceph/run/ceph-mon.a.pid")

{
  echo "mode=$mode"
  echo "date=$(date -u +%Y-%m-%d)"
  echo "commit=$commit"
  echo "machine=$(nproc) cores $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, Linux $(uname -r)"
  echo "clk_tck=$(getconf CLK_TCK)"
  echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "small=$SMALL"
  echo "bundle=$BUNDLE"
  echo "throughput_size=$THROUGHPUT_SIZE"
  echo "hot_pings=$HOT_PINGS"
  echo "cold_idle=$COLD_IDLE"
  echo "iperf_seconds=$IPERF_SECONDS"
  echo "far_ms=${FAR_MS:-}"
  echo "far_wmem_max=${FAR_WMEM_MAX:-}"
  cmd="bench/run.sh --$mode"
  [ $worktree = 1 ] && cmd+=" --worktree"
  [ $worktree = 1 ] || [ "$rev" = HEAD ] || cmd+=" --rev $rev"
  [ -z "$node_args" ] || cmd+=" --node-args \"$node_args\""
  [ -z "$wire_format" ] || cmd+=" --wire-format $wire_format"
  [ -z "$node_env" ] || cmd+=" --node-env \"$node_env\""
  [ -z "$tcp_wmem_max" ] || cmd+=" --tcp-wmem-max $tcp_wmem_max"
  [ -z "$tcp_rmem_max" ] || cmd+=" --tcp-rmem-max $tcp_rmem_max"
  echo "command=$cmd"
} > "$work/meta.env"

floor() { # NAME SAMPLES SECONDS [ENDPOINT]
  phase="the floor ($1)"
  log "floor ($1): store latency and throughput"
  ip netns exec "$ns_c" dotnet "$out/bench/hoshino-bench.dll" floor --endpoint "${4:-$endpoint}" --bucket "$bucket" \
    --prefix "floor-$1/" --samples "$2" --seconds "$3" --sizes "$SMALL,$BUNDLE" --throughput-sizes "$THROUGHPUT_SIZE" \
    --concurrency 16 --out "$work/$1.json"
  store_check
}

# ---- the two nodes -------------------------------------------------------------------------------
declare -A starts
node_endpoint=$endpoint
start_node() { # x tunnel-address [more hoshino up flags]
  # Both nodes on one host: each its own name (the directory) and control socket (the default is one per host).
  local ns=hsb$id$1 x=$1 address=$2; shift 2
  # shellcheck disable=SC2086 # --node-args and --node-env are word lists on purpose
  ip netns exec "$ns" env $node_env "$hoshino" up --store "s3://$bucket/bench" --s3-endpoint "$node_endpoint" --address "$address" --name "bench-$x" --control-socket "$work/node-$x.sock" ${wire_format:+--wire-format "$wire_format"} $node_args "$@" \
    >> "$work/node-$x.log" 2>&1 &
  echo $! > "$work/pids/node-$x"
  for i in $(seq 200); do
    [ "$(grep -c "Node up" "$work/node-$x.log")" -gt "${starts[$x]:-0}" ] && { starts[$x]=$(( ${starts[$x]:-0} + 1 )); return 0; }
    kill -0 "$(cat "$work/pids/node-$x")" 2>/dev/null || break
    sleep 0.05
  done
  echo "run.sh: node $x did not come up:" >&2; cat "$work/node-$x.log" >&2; return 1
}
stop_node() { # x: SIGTERM, wait (the flush takes at most 3 s), record the exit code
  local p; p=$(cat "$work/pids/node-$1")
  kill -TERM "$p"
  local rc=0; wait "$p" || rc=$?
  echo "$rc" >> "$work/node-$1.exit"
  rm -f "$work/pids/node-$1"
}
metrics() { ip netns exec "hsb$id$1" curl -s --max-time 5 "http://[::1]:8081/metrics"; }
# Counters of both daemons, their /proc figures and the store's CPU, at one moment.
snap() {
  local x p d=$work/snap/$1
  mkdir -p "$d"
  date +%s.%N > "$d/time"
  for x in a b; do
    p=$(cat "$work/pids/node-$x")
    metrics "$x" > "$d/$x.metrics"
    cat "/proc/$p/stat" > "$d/$x.stat"
    cat "/proc/$p/status" > "$d/$x.status"
  done
  cat "/proc/$rgw_pid/stat" > "$d/rgw.stat"
  cat "/proc/$osd_pid/stat" > "$d/osd.stat"
  cat "/proc/$mon_pid/stat" > "$d/mon.stat"
  head -1 /proc/stat > "$d/machine.stat"   # all CPUs: whatever else runs on the machine shows here
  if [ -f "$work/pids/delay-proxy" ]; then cat "/proc/$(cat "$work/pids/delay-proxy")/stat" > "$d/proxy.stat"; fi
}
heartbeat() { metrics "$1" | awk '$1 == "hoshino_heartbeat_interval_seconds" {print $2}'; }
wait_idle() { # SECONDS: until both heartbeats are at SECONDS (--poll-max), at most 30 s
  local i
  for i in $(seq 300); do
    [ "$(heartbeat a)" = "$1" ] && [ "$(heartbeat b)" = "$1" ] && return 0
    sleep 0.1
  done
  log "warning: heartbeats did not reach $1 s (a=$(heartbeat a) b=$(heartbeat b))"
}

# Cold RTT: COUNT single pings, each after IDLE s of silence plus a random 0..JITTER_MS. The random
# part matters: the heartbeat's schedule after a ping is nearly deterministic (2 s linger, doubling
# to --poll-max, +-10 % jitter), so a fixed pause lands at a fixed phase of the idle polling and
# samples the same lucky (or unlucky) wait every time.
cold() { # PREFIX COUNT IDLE JITTER_MS
  local p=$1 i
  phase="${p}cold RTT"
  log "${p}cold RTT: $2 samples, each after $3 s + U(0, $4 ms) idle"
  for i in $(seq "$2"); do
    local wait_ms=$(( $3 * 1000 + $(od -An -N2 -tu2 /dev/urandom) % $4 ))
    sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
    echo "heartbeat a=$(heartbeat a) b=$(heartbeat b)" > "$work/${p}ping-cold-$i.txt"
    ip netns exec "$ns_a" ping -6 -n -c 1 -W 15 "$B_TUN" >> "$work/${p}ping-cold-$i.txt" || true
  done
  store_check
}

# A run of the two-node measurements; PREFIX names its files ("" or "far-").
profile() { # PREFIX HOT_PINGS COLD_SAMPLES
  local p=$1 i
  phase="${p}hot RTT"
  log "${p}hot RTT: $2 pings at 0.2 s"
  ip netns exec "$ns_a" ping -6 -n -i 0.2 -c 5 -W 5 "$B_TUN" > /dev/null || true   # wake both ends
  snap "${p}hot-start"
  ip netns exec "$ns_a" ping -6 -n -i 0.2 -c "$2" -W 5 "$B_TUN" > "$work/${p}ping-hot.txt" || true
  snap "${p}hot-end"
  store_check

  cold "$p" "$3" "$COLD_IDLE" 1000

  goodput "$p" 1 1 ""
  if [ "$p" = far- ]; then
    # With the store far away one stream is held back by the sender's socket buffer: Linux's
    # net.ipv4.tcp_wmem maximum (4 MiB) caps the bytes in flight plus unsent, and the tunnel's
    # round trip under load is 200-300 ms. The same stream again with the maximum raised on A,
    # right after the first (after the 4-stream run the far store was seen slower for a while).
    local wmem; wmem=$(ip netns exec "$ns_a" sysctl -n net.ipv4.tcp_wmem)
    ip netns exec "$ns_a" sysctl -q -w net.ipv4.tcp_wmem="4096 16384 $FAR_WMEM_MAX"
    goodput "$p" 1 1w ", sender's net.ipv4.tcp_wmem max $FAR_WMEM_MAX"
    ip netns exec "$ns_a" sysctl -q -w net.ipv4.tcp_wmem="$wmem"
  fi
  goodput "$p" 4 4 ""
}

goodput() { # PREFIX STREAMS NAME NOTE: iperf3 A->B; files ${PREFIX}iperf-NAME.json, snaps ${PREFIX}bulkNAME-start/-end
  local p=$1 streams=$2 name=$3 note=$4 i
  phase="${p}goodput, $streams stream(s)$note"
  log "${p}goodput: iperf3 A->B, $streams stream(s), $IPERF_SECONDS s$note"
  ip netns exec "$ns_b" iperf3 -s -1 -B "$B_TUN" > "$work/${p}iperf-server-$name.log" 2>&1 &
  echo $! > "$work/pids/iperf-server"
  for i in $(seq 100); do
    ip netns exec "$ns_b" ss -Hltn "sport = :5201" | grep -q . && break
    sleep 0.05
  done
  snap "${p}bulk$name-start"
  ip netns exec "$ns_a" timeout $((IPERF_SECONDS + 60)) iperf3 -c "$B_TUN" -B "$A_TUN" -t "$IPERF_SECONDS" -P "$streams" -J \
    > "$work/${p}iperf-$name.json" || log "iperf3 failed (exit $?); see $work/${p}iperf-$name.json"
  snap "${p}bulk$name-end"
  wait "$(cat "$work/pids/iperf-server")" || true
  rm -f "$work/pids/iperf-server"
  store_check
}

floor floor "$FLOOR_SAMPLES" "$FLOOR_SECONDS"

log "starting two nodes: $ns_a ($A_TUN) and $ns_b ($B_TUN)"
start_node a "$A_TUN"
start_node b "$B_TUN"
snap start
profile "" "$HOT_PINGS" "$COLD_SAMPLES"

phase="idle"
log "idle: ${IDLE_SECONDS} s without traffic"
wait_idle 0.5
snap idle-start
sleep "$IDLE_SECONDS"
snap idle-end
store_check

if [ $mode = full ]; then
  log "AWS-like profile: the store ${FAR_MS} ms away each way (delay proxy [$U::1]:7481 in front of RGW)"
  ip netns exec "$ns_s" dotnet "$out/bench/hoshino-bench.dll" delay-proxy --listen "[$U::1]:7481" --upstream "[$U::1]:7480" \
    --delay-ms "$FAR_MS" > "$work/delay-proxy.log" 2>&1 &
  echo $! > "$work/pids/delay-proxy"
  for i in $(seq 100); do
    ip netns exec "$ns_s" ss -Hltn "sport = :7481" | grep -q . && break
    [ "$i" = 100 ] && { echo "run.sh: the delay proxy did not listen:" >&2; cat "$work/delay-proxy.log" >&2; exit 1; }
    sleep 0.1
  done
  node_endpoint=http://[$U::1]:7481
  floor floor-far "$FAR_FLOOR_SAMPLES" "$FAR_FLOOR_SECONDS" "$node_endpoint"
  log "restarting both nodes on the far endpoint"
  stop_node a
  stop_node b
  start_node a "$A_TUN"
  start_node b "$B_TUN"
  profile far- "$FAR_HOT_PINGS" "$FAR_COLD_SAMPLES"
  node_endpoint=$endpoint
fi

log "stopping the nodes (SIGTERM)"
stop_node a
stop_node b

if [ $mode = full ]; then
  phase="the --poll-max 5s variant"
  log "variant: both nodes restarted with --poll-max 5s on the near endpoint (idle cost against first-packet latency)"
  start_node a "$A_TUN" --poll-max 5s
  start_node b "$B_TUN" --poll-max 5s
  ip netns exec "$ns_a" ping -6 -n -c 1 -W 5 "$B_TUN" > /dev/null || true
  wait_idle 5
  snap pm5-idle-start
  sleep "$IDLE_SECONDS"
  snap pm5-idle-end
  store_check
  cold pm5- 3 11 5000
  stop_node a
  stop_node b
fi

if [ $mode = full ]; then
  phase="scale"
  log "scale: $SCALE_NODES in-process virtual nodes on one bucket"
  ip netns exec "$ns_c" dotnet "$out/bench/hoshino-bench.dll" scale --endpoint "$endpoint" --bucket "$bucket" \
    --prefix "scale/" --nodes "$SCALE_NODES" --idle-seconds "$SCALE_IDLE_SECONDS" --traffic-seconds "$SCALE_TRAFFIC_SECONDS" \
    --watch-pids "$rgw_pid,$osd_pid,$mon_pid" --clk-tck "$(getconf CLK_TCK)" --out "$work/scale.json" \
    ${wire_format:+--wire-format "$wire_format"}
  store_check   # before the stop below removes the store's logs
  log "stopping the store; micro-benchmarks (BenchmarkDotNet)"
  "$repo/tests/harness/rgw.sh" stop "$work/ceph"
  (cd "$work" && dotnet "$out/benchmarks/Hoshino.Benchmarks.dll" --filter '*' --artifacts "$work/micro" > "$work/micro.log" 2>&1) \
    || { tail -n 30 "$work/micro.log" >&2; exit 1; }
fi

log "report"
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$work/meta.env"
bench report --work "$work" --results "$repo/bench/RESULTS.md"
log "done in $(( ($(ms) - t_start) / 1000 )) s"
