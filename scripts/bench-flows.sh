#!/usr/bin/env bash
# Flow monitor benchmark: packetlens flows (at XDP and at TC) vs tcpdump -w /dev/null vs
# softflowd, each alone, plus a run with no monitor, on a veth pair between two network
# namespaces fed by `packetlens trafficgen` (64-byte UDP frames over 65,536 flows, as fast as
# the path takes them). For each it prints the generator's wall time relative to a run with
# no monitor made just before in the same (fresh) lab, the monitoring process's CPU seconds,
# and the packets (and flows) it
# accounted against the packets the receiving veth got. Results are recorded in
# docs/BENCHMARKS.md ("Flow monitor: packetlens vs tcpdump vs softflowd", and for the
# packetlens-fallback row "Flow monitor fallback").
#
#   sudo ./scripts/bench-flows.sh [--count N] [--flows F] [--size BYTES] [--rate PPS] [--only NAME...]
#
# --rate limits the generator (default 0: as fast as it can); with it, the CPU columns show a
# monitor's cost at a fixed packet rate over a longer time.
#
# Each row also says how long the monitor took from its command to attached (polled every 10 ms:
# its BPF links held, tcpdump's "listening on", softflowd's control socket) and, for programs at
# the hooks, the kernel's ns per run from BPF statistics (kernel.bpf_stats_enabled, on during the
# run and restored after). reference-hash is the floor those are read against: a bare 5-tuple
# per-CPU hash at XDP (bench/src/main/bpf/flow_reference.bpf.c), attached with iproute2.
#
# NAME is one of: none reference-hash reference-cache packetlens-xdp packetlens-tc packetlens-xdp-aot packetlens-tc-aot (the same
# with the launcher's AOT cache, scripts/aot-cache.sh) packetlens-fallback tcpdump softflowd, and the diagnostic rows
# packetlens-xdp-poll1s packetlens-tc-poll1s packetlens-xdp-nopoll packetlens-tc-nopoll
# packetlens-xdp-poll10s xdp-count (see below; poll10s runs only when named); the
# no-monitor row always runs first (its ratio shows the run-to-run noise). packetlens-fallback is `flows` with BPF
# unavailable to it (run with CAP_NET_RAW as its only capability, so bpf(2) fails with EPERM): it falls back to
# AF_PACKET and counts in Java (docs/FALLBACK.md). Needs root (namespaces, XDP, TC, AF_XDP,
# AF_PACKET). Leaves nothing behind: namespaces and logs are removed on exit, also on Ctrl-C.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
count=3000000; flows=65536; size=60; rate=0; only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --flows) flows=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do only+=("$1"); shift; done ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 0 ;;
    *) echo "bench-flows: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "bench-flows: must run as root. Run: sudo ./scripts/bench-flows.sh" >&2
  exit 1
fi
"$here/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$here/scripts/env.sh"
for t in softflowd softflowctl tcpdump jq /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "bench-flows: $t not found (./scripts/setup.sh installs softflowd)" >&2; exit 1; }
done
if [ ! -f "$here/cli/target/packetlens.jar" ] || [ -n "$(find "$here" -path '*/src/*' -newer "$here/cli/target/packetlens.jar" -print -quit)" ]; then
  echo "bench-flows: building packetlens..." >&2
  (cd "$here" && mvn -q -B -ntp -DskipTests package) >&2
fi
PL=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$here/cli/target/packetlens.jar")
# The -aot rows: the same commands with the JDK's ahead-of-time cache the launcher makes and uses
# (scripts/aot-cache.sh, which makes it if missing or older than the jar and gives its options).
mapfile -t aot_opts < <("$here/scripts/aot-cache.sh" "$here/cli/target/packetlens.jar" "$here/cli/target/packetlens.aot")
[ ${#aot_opts[@]} -gt 0 ] || { echo "bench-flows: could not make the AOT cache" >&2; exit 1; }
PL_AOT=("$JAVA_HOME/bin/java" "${aot_opts[@]}" --enable-native-access=ALL-UNNAMED -jar "$here/cli/target/packetlens.jar")

ns=plfb-$$
work=$(mktemp -d /tmp/plfb.XXXXXX)
# shellcheck source=flow-lab.sh
. "$here/scripts/flow-lab.sh"
cleanup() {
  drop_lab
  rm -rf "$work"
  [ -n "${stats_before:-}" ] && sysctl -qw kernel.bpf_stats_enabled="$stats_before"
}
trap cleanup EXIT INT TERM

stat_b() { ip netns exec "$ns-b" cat "/sys/class/net/veth0/statistics/$1"; }
stat_a() { ip netns exec "$ns-a" cat "/sys/class/net/veth0/statistics/$1"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "-"; else printf "%.2f%%", 100*a/b }'; }

# The kernel's own per-program statistics (run_time_ns / run_cnt) for the kernel ns/packet column;
# they cost every BPF program two clock reads per run while on, the same for every row.
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
# The reference row's program (bench/src/main/bpf/flow_reference.bpf.c): a bare 5-tuple per-CPU hash
# at XDP, attached by iproute2, so the flow program's kernel cost has a floor to be read against.
clang -target bpf -O2 -g -Wall -I"/usr/include/$(uname -m)-linux-gnu" -c "$here/bench/src/main/bpf/flow_reference.bpf.c" -o "$work/flow_reference.o"
printf 'ip link set dev veth0 xdpdrv obj %s sec xdp\nexec sleep 3600\n' "$work/flow_reference.o" > "$work/reference.sh"
# The reference-cache row (bench/src/main/bpf/flow_cache_reference.bpf.c): the same parse and key,
# counted into a per-CPU two-way set-associative cache in an mmapable array, evicting to a ring buffer;
# FLOW_CACHE_SET_BITS (default 16) sets its size: 2^bits sets of two slots per CPU.
clang -target bpf -O2 -g -Wall -I"/usr/include/$(uname -m)-linux-gnu" -DCACHE_CPUS="$(nproc --all)" -DCACHE_SET_BITS="${FLOW_CACHE_SET_BITS:-16}" \
  -c "$here/bench/src/main/bpf/flow_cache_reference.bpf.c" -o "$work/flow_cache_reference.o"
printf 'ip link set dev veth0 xdpdrv obj %s sec xdp\nexec sleep 3600\n' "$work/flow_cache_reference.o" > "$work/reference-cache.sh"
# ns per run over the monitor's programs: those behind its BPF links, or the reference's XDP program
prog_ids() {
  if [ "${1#reference-}" != "$1" ]; then
    ip -n "$ns-b" -j -d link show veth0 | jq -r '.[0].xdp.prog.id // empty'
  else
    for f in /proc/"$2"/fd/*; do
      [ "$(readlink "$f" 2>/dev/null)" = "anon_inode:bpf_link" ] && sed -n 's/^prog_id:\s*//p' "/proc/$2/fdinfo/${f##*/}"
    done
  fi
}
kernel_ns() {
  local t=0 c=0 id j
  for id in $(prog_ids "$1" "$2"); do
    j=$(bpftool prog show id "$id" -j)
    t=$((t + $(jq -r '.run_time_ns // 0' <<<"$j"))); c=$((c + $(jq -r '.run_cnt // 0' <<<"$j")))
  done
  awk -v t="$t" -v c="$c" 'BEGIN{ if (c == 0) print "-"; else printf "%.0f", t/c }'
}

declare -A start_cmd
start_cmd[reference-hash]="bash $work/reference.sh"
start_cmd[reference-cache]="bash $work/reference-cache.sh"
start_cmd[packetlens-xdp]="${PL[*]} flows -i veth0 --hook xdp --json --no-metrics --duration 3600"
start_cmd[packetlens-tc]="${PL[*]} flows -i veth0 --hook tc --json --no-metrics --duration 3600"
start_cmd[packetlens-xdp-aot]="${PL_AOT[*]} flows -i veth0 --hook xdp --json --no-metrics --duration 3600"
start_cmd[packetlens-tc-aot]="${PL_AOT[*]} flows -i veth0 --hook tc --json --no-metrics --duration 3600"
# The default rows poll at the automatic interval (--json without alert rules: every 5 s). The
# rows below split packetlens's cost: polling every second (the interval of the live view), the
# table read only at exit (no polling while the traffic runs), and every 10 s; and the trivial
# XDP packet counter of `packetlens count` (one per-CPU array update per packet).
start_cmd[packetlens-xdp-poll1s]="${PL[*]} flows -i veth0 --hook xdp --json --no-metrics --duration 3600 --poll-interval 1s"
start_cmd[packetlens-tc-poll1s]="${PL[*]} flows -i veth0 --hook tc --json --no-metrics --duration 3600 --poll-interval 1s"
start_cmd[packetlens-xdp-nopoll]="${PL[*]} flows -i veth0 --hook xdp --json --no-metrics --duration 3600 --poll-interval 3600s"
start_cmd[packetlens-tc-nopoll]="${PL[*]} flows -i veth0 --hook tc --json --no-metrics --duration 3600 --poll-interval 3600s"
start_cmd[packetlens-xdp-poll10s]="${PL[*]} flows -i veth0 --hook xdp --json --no-metrics --duration 3600 --poll-interval 10s"
start_cmd[xdp-count]="${PL[*]} count -i veth0"
# BPF made unavailable: every capability but CAP_NET_RAW dropped from the bounding set (root's uid stays, to read the jar)
start_cmd[packetlens-fallback]="setpriv --bounding-set=-all,+net_raw --inh-caps=-all ${PL[*]} flows -i veth0 --json --no-metrics --duration 3600"
start_cmd[tcpdump]="tcpdump -i veth0 -w /dev/null -n"
# flow table twice the flow count; NetFlow v9 export to a port nobody listens on (loopback)
start_cmd[softflowd]="softflowd -i veth0 -d -n 127.0.0.1:9995 -v 9 -m $((2 * flows)) -c $work/softflowd.ctl -p $work/softflowd.pid"
names=(none reference-hash reference-cache packetlens-xdp packetlens-tc packetlens-xdp-aot packetlens-tc-aot packetlens-fallback tcpdump softflowd packetlens-xdp-poll1s packetlens-tc-poll1s packetlens-xdp-nopoll packetlens-tc-nopoll xdp-count)
[ ${#only[@]} -gt 0 ] && names=(none "${only[@]}")

kernel=$(uname -r)
cpu_model=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)
echo "# flow monitor benchmark: $count frames of $size bytes (+4 FCS) over $flows UDP flows, veth, $(nproc) CPUs ($cpu_model), kernel $kernel"
printf '| monitor | start to attached (s) | kernel ns/packet | generator time (s) | vs no monitor (same lab, just before) | generator rate (frames/s) | monitor CPU s (traffic) | monitor CPU s (whole run) | packets received | packets accounted | flows accounted | load before/after |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
gen_run() {
  ip netns exec "$ns-a" "${PL[@]}" trafficgen -i veth0 --count "$count" --flows "$flows" --size "$size" --rate "$rate" \
    --src-ip "$lab_a" --dst-ip "$lab_b" --dst-mac $mac_b 2>/dev/null
}
gen_secs() { sed -n 's/sent [0-9]* frames in \([0-9.]*\) s.*/\1/p' <<<"$1"; }
for name in "${names[@]}"; do
  make_lab
  # On the VMs this was written on, the generator's time drifts between runs whatever runs
  # beside it, so each row gets its own baseline: the same generator, in the same fresh lab,
  # with no monitor, just before the monitor starts.
  base_gen=$(gen_run)
  base=$(gen_secs "$base_gen")
  echo "bench-flows: $name baseline: $base_gen" >&2
  log=$work/$name.log; tfile=$work/$name.time
  pid=; mpid=; t_start=0; t_ready=0
  if [ "$name" != none ]; then
    # /usr/bin/time reports the monitor's whole CPU (all threads) when it exits
    # shellcheck disable=SC2086
    t_start=$(date +%s.%N)
    ip netns exec "$ns-b" /usr/bin/time -f '%U %S' -o "$tfile" ${start_cmd[$name]} > "$log" 2>&1 &
    pid=$!
    # wait until the monitor is attached, at most 60 s, looking every 10 ms
    for _ in $(seq 6000); do
      mpid=$(pgrep -P "$pid" | head -1 || true)
      case "$name" in
        # attached once it holds its BPF link(s): one at XDP, two at TC (ingress and egress)
        packetlens-fallback) [ -n "$mpid" ] && grep -q "AF_PACKET fallback counting on" "$log" && break ;;
        reference-*) [ -n "$mpid" ] && ip -n "$ns-b" link show veth0 | grep -q prog/xdp && break ;;
        packetlens-xdp*|xdp-count) [ -n "$mpid" ] && [ "$(links_of "$mpid")" -ge 1 ] && break ;;
        packetlens-tc*) [ -n "$mpid" ] && [ "$(links_of "$mpid")" -ge 2 ] && break ;;
        tcpdump) grep -q "listening on" "$log" && break ;;
        softflowd) [ -S "$work/softflowd.ctl" ] && break ;;
      esac
      sleep 0.01
    done
    t_ready=$(date +%s.%N)
    [ -n "$mpid" ] || { echo "bench-flows: $name did not start:" >&2; cat "$log" >&2; exit 1; }
    sleep 1
  fi
  cpu0=0; [ -n "$mpid" ] && cpu0=$(cpu_of "$mpid")
  load0=$(cut -d' ' -f1 /proc/loadavg)
  rx0=$(stat_b rx_packets); txb0=$(stat_b tx_packets); drop0=$(stat_a tx_dropped)
  gen=$(gen_run)
  secs=$(gen_secs "$gen")
  echo "bench-flows: $name: $gen" >&2
  sent=$(sed -n 's/sent \([0-9]*\) frames.*/\1/p' <<<"$gen")
  # let the monitor drain what is queued before reading its CPU and stopping it
  sleep 2
  rx=$(( $(stat_b rx_packets) - rx0 )); txb=$(( $(stat_b tx_packets) - txb0 )); dropped=$(( $(stat_a tx_dropped) - drop0 ))
  load1=$(cut -d' ' -f1 /proc/loadavg)
  cpu1=0; [ -n "$mpid" ] && cpu1=$(cpu_of "$mpid")
  kns=-; case "$name" in packetlens-fallback|tcpdump|softflowd|none) ;; *) kns=$(kernel_ns "$name" "$mpid") ;; esac
  acc_p=-; acc_f=-
  case "$name" in
    packetlens*)
      kill -TERM "$mpid"; wait "$pid" || true
      summary=$(grep '^{"summary"' "$log" | tail -1)
      acc_p=$(jq -r '.summary.packets' <<<"$summary")
      # distinct flows in the records it printed (ingress flows of the generator's address pair)
      # the JSON lines only: the log also holds the agent's log lines (stderr)
      acc_f=$(grep '^{' "$log" | jq -r 'select(.packetDeltaCount != null) | [.sourceIPv4Address, .destinationIPv4Address, .sourceTransportPort, .destinationTransportPort, .protocolIdentifier] | @tsv' | sort -u | wc -l)
      echo "bench-flows: $name summary: $summary" >&2 ;;
    reference-hash)
      # the reference only counts; nothing reads its table
      kill -TERM "$mpid"; wait "$pid" || true ;;
    reference-cache)
      # what the cache did with the packets: summed over the CPUs
      cache_map=$(for m in $(bpftool prog show id "$(prog_ids "$name")" -j | jq -r '.map_ids[]'); do
        if [ "$(bpftool map show id "$m" -j | jq -r .name)" = cache_stats ]; then echo "$m"; fi; done)
      read -r c_hits c_inserts c_sent c_lost c_noset < <(bpftool map dump id "$cache_map" -j | jq -r '[.[] | [.formatted.values[].value] | add] | @tsv')
      echo "bench-flows: reference-cache: hits $c_hits, inserts into empty slots $c_inserts, evictions sent $c_sent, evictions lost (ring full) $c_lost, no set $c_noset" >&2
      kill -TERM "$mpid"; wait "$pid" || true ;;
    xdp-count)
      kill -TERM "$mpid"; wait "$pid" || true
      acc_p=$(sed -n '/^final totals/,$p' "$log" | awk '$1=="total"{print $2}') ;;
    tcpdump)
      kill -TERM "$mpid"; wait "$pid" || true
      acc_p=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$log")
      echo "bench-flows: tcpdump: $(grep -E 'captured|received|dropped' "$log" | tr '\n' ' ')" >&2 ;;
    softflowd)
      # a last partly filled TPACKET_V3 block may still be on its way: read the statistics twice
      softflowctl -c "$work/softflowd.ctl" statistics > "$work/softflowd.stats0" 2>&1 || true
      sleep 3
      softflowctl -c "$work/softflowd.ctl" statistics > "$work/softflowd.stats" 2>&1 || true
      echo "bench-flows: softflowd packets processed 2 s after the traffic: $(sed -n 's/^ *Packets processed: *\([0-9]*\).*/\1/p' "$work/softflowd.stats0"), 5 s after:" >&2
      softflowctl -c "$work/softflowd.ctl" shutdown >/dev/null 2>&1 || kill -TERM "$mpid"
      wait "$pid" || true
      # "Packets processed" are the IP packets it put into flows; "Flows expired" the flows
      # that left its table (none here: the run is shorter than every timeout)
      acc_p=$(sed -n 's/^ *Packets processed: *\([0-9]*\).*/\1/p' "$work/softflowd.stats" | head -1)
      flows_active=$(sed -n 's/^ *Number of active flows: *\([0-9]*\).*/\1/p' "$work/softflowd.stats" | head -1)
      flows_exp=$(sed -n 's/^ *Flows expired: *\([0-9]*\).*/\1/p' "$work/softflowd.stats" | head -1)
      acc_f=$(( ${flows_active:-0} + ${flows_exp:-0} ))
      echo "bench-flows: softflowd statistics:" >&2; sed 's/^/  /' "$work/softflowd.stats" >&2
      echo "bench-flows: softflowd output:" >&2; tail -20 "$log" | sed 's/^/  /' >&2 ;;
  esac
  total=-
  # the last line: a line before it says the exit status when the monitor was stopped by a signal
  [ -s "$tfile" ] && total=$(tail -1 "$tfile" | awk '{printf "%.2f", $1+$2}')
  rel=$(awk -v s="$secs" -v b="$base" 'BEGIN{printf "%.2fx", s/b}')
  gen_rate=$(awk -v n="$sent" -v s="$secs" 'BEGIN{printf "%.0f", n/s}')
  if [ "$name" = none ]; then cpu=-; total=-; else cpu=$(awk -v a="$cpu1" -v b="$cpu0" 'BEGIN{printf "%.2f", a-b}'); fi
  acc_p_s=$acc_p; [ "$acc_p" != - ] && acc_p_s="$acc_p ($(pct "$acc_p" "$rx"))"
  acc_f_s=$acc_f; [ "$acc_f" != - ] && acc_f_s="$acc_f ($(pct "$acc_f" "$flows"))"
  ready=-; [ "$name" != none ] && ready=$(awk -v a="$t_ready" -v b="$t_start" 'BEGIN{printf "%.2f", a-b}')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n' "$name" "$ready" "$kns" "$secs" "$rel" "$gen_rate" "$cpu" "$total" \
    "$rx" "$acc_p_s" "$acc_f_s" "$load0" "$load1"
  echo "bench-flows: $name: generator sent $sent, receiver rx $rx, receiver tx $txb, sender tx_dropped $dropped" >&2
  drop_lab
done
