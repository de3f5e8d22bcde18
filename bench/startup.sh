#!/usr/bin/env bash
# Time from exec of `hoshino up` to the interface being up with its address, and to "Node up"
# (store checked, loops and metrics running). Runs in a throw-away network namespace, on a dir: store.
#   bench/startup.sh BINARY [RUNS]      e.g. bench/startup.sh out/hoshino 5
set -euo pipefail
bin=$(readlink -f "${1:?usage: startup.sh BINARY [RUNS]}")
runs=${2:-5}
ns=hsn-startup-$$
work=$(mktemp -d)
trap 'ip netns del $ns 2>/dev/null || true; rm -rf "$work"' EXIT
ip netns add "$ns"
echo 0123456789abcdef0123456789abcdef > "$work/machine-id"
mkdir "$work/bucket"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
link_ms=() ready_ms=()
for i in $(seq "$runs"); do
  t0=$(ms)
  ip netns exec "$ns" "$bin" up --store "dir:$work/bucket" --machine-id-file "$work/machine-id" --metrics-listen none > "$work/log" 2>&1 &
  pid=$!
  wait_for() { # wait_for DESCRIPTION COMMAND...: at most 20 s, and not past the process's death
    local deadline=$(( $(ms) + 20000 ))
    until "${@:2}"; do
      if ! kill -0 $pid 2>/dev/null || [ "$(ms)" -gt $deadline ]; then
        echo "startup.sh: hoshino never got to '$1':" >&2; cat "$work/log" >&2; kill -9 $pid 2>/dev/null; exit 1
      fi
      sleep 0.001
    done
  }
  wait_for "interface up" sh -c "ip -n $ns -o addr show dev hoshino0 2>/dev/null | grep -q fd5e:59b8:f71d:9a3e:123:4567:89ab:cdef/64"
  t1=$(ms)
  wait_for "Node up" grep -q "Node up" "$work/log"
  t2=$(ms)
  kill -TERM $pid; wait $pid
  link_ms+=($((t1 - t0))); ready_ms+=($((t2 - t0)))
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "binary $bin ($(du -h "$bin" | cut -f1)), $runs runs"
echo "exec -> interface up with address: median $(median "${link_ms[@]}") ms (runs: ${link_ms[*]})"
echo "exec -> Node up (ready):           median $(median "${ready_ms[@]}") ms (runs: ${ready_ms[*]})"
