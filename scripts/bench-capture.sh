#!/usr/bin/env bash
# Packet capture benchmark: packetlens capture (mirror and steal mode) vs tcpdump -w vs
# netsniff-ng, each alone, on a veth pair between two network namespaces, fed by
# `packetlens trafficgen` at its highest rate. One run per capturer; for each it prints the
# generator's rate, the frames in the capture file, the drops and the capturing process's CPU
# seconds during the traffic, plus the load average around each run. Results are recorded
# in docs/BENCHMARKS.md ("Packet capture: AF_XDP vs tcpdump vs netsniff-ng").
#
#   sudo ./scripts/bench-capture.sh [--count N] [--flows F] [--size BYTES] [--dir DIR] [--only NAME...]
#
# Needs root (namespaces, XDP, AF_XDP, AF_PACKET). Leaves nothing behind: the namespaces and
# capture files are removed on exit, also on Ctrl-C.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
count=3000000; flows=65536; size=60; dir=; only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --flows) flows=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do only+=("$1"); shift; done ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench-capture: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "bench-capture: must run as root. Run: sudo ./scripts/bench-capture.sh" >&2
  exit 1
fi
"$here/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$here/scripts/env.sh"
echo "bench-capture: building packetlens..." >&2
(cd "$here" && mvn -q -B -ntp -DskipTests package) >&2
PL=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$here/cli/target/packetlens.jar")

ns=plcap-$$
work=${dir:-$(mktemp -d /var/tmp/plcap.XXXXXX)}
mkdir -p "$work"
cleanup() {
  ip netns pids "$ns-b" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$ns-a" 2>/dev/null || true
  ip netns del "$ns-b" 2>/dev/null || true
  rm -f "$work"/cap.* "$work"/*.log
  [ -n "$dir" ] || rmdir "$work" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
ip netns add "$ns-a"; ip netns add "$ns-b"
ip link add veth0 netns "$ns-a" address 02:00:0a:c8:00:01 type veth peer name veth0 netns "$ns-b" address 02:00:0a:c8:00:02
for s in a b; do
  ip -n "$ns-$s" link set lo up
  # no IPv6 chatter and no ARP: the link carries the generator's frames only
  ip netns exec "$ns-$s" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns-$s" link set veth0 arp off
done
ip -n "$ns-a" addr add 10.200.0.1/24 dev veth0
ip -n "$ns-b" addr add 10.200.0.2/24 dev veth0
ip -n "$ns-a" link set veth0 up; ip -n "$ns-b" link set veth0 up

tck=$(getconf CLK_TCK)
cpu_of() { awk -v t="$tck" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }
load() { cut -d' ' -f1 /proc/loadavg; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a-b}'; }

declare -A start_cmd
start_cmd[packetlens-mirror]="${PL[*]} capture -i veth0 -w $work/cap.pcapng --duration 600"
start_cmd[packetlens-steal]="${PL[*]} capture -i veth0 -w $work/cap.pcapng --duration 600 --mode steal"
start_cmd[tcpdump]="tcpdump -i veth0 -w $work/cap.pcap -n"
start_cmd[netsniff-ng]="netsniff-ng -i veth0 -o $work/cap.pcap -s"
names=(packetlens-mirror packetlens-steal tcpdump netsniff-ng)
[ ${#only[@]} -gt 0 ] && names=("${only[@]}")

kernel=$(uname -r)
cpu_model=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)
echo "# capture benchmark: $count frames of $size bytes over $flows flows, veth, $(nproc) CPUs ($cpu_model), kernel $kernel"
printf '| capturer | generator rate (frames/s) | frames in file | dropped | captured/s | capturer CPU s | load before/after |\n'
printf '|---|---:|---:|---:|---:|---:|---:|\n'
for name in "${names[@]}"; do
  rm -f "$work"/cap.*
  # shellcheck disable=SC2086
  ip netns exec "$ns-b" ${start_cmd[$name]} > "$work/$name.log" 2>&1 &
  pid=$!
  # wait until the capturer is attached (XDP program or packet socket), at most 30 s
  for _ in $(seq 300); do
    if [ "${name%%-*}" = packetlens ]; then grep -q "packetlens capture:" "$work/$name.log" && break
    else grep -qiE "listening on|Running!" "$work/$name.log" && break; fi
    sleep 0.1
  done
  sleep 0.5
  cpu0=$(cpu_of "$pid"); load0=$(load)
  gen=$(ip netns exec "$ns-a" "${PL[@]}" trafficgen -i veth0 --count "$count" --flows "$flows" --size "$size" \
        --src-ip 10.200.0.1 --dst-ip 10.200.0.2 --dst-mac 02:00:00:00:00:99 2>/dev/null)
  rate=$(sed -n 's/.* s: \([0-9]*\) frames\/s.*/\1/p' <<<"$gen")
  secs=$(sed -n 's/sent [0-9]* frames in \([0-9.]*\) s.*/\1/p' <<<"$gen")
  # let the capturer drain what is queued, then stop it (SIGTERM: background jobs of a script ignore SIGINT)
  sleep 2
  cpu1=$(cpu_of "$pid"); load1=$(load)
  kill -TERM "$pid"; wait "$pid" || true
  file=$(ls "$work"/cap.* 2>/dev/null | head -1)
  frames=$(capinfos -c -M "$file" 2>/dev/null | awk -F': *' '/Number of packets/{print $2}')
  frames=${frames:-0}
  case "$name" in
    packetlens*) dropped=$(sed -n 's/.* \([0-9]*\) dropped.*/\1/p' "$work/$name.log") ;;
    tcpdump) dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$work/$name.log") ;;
    *) dropped=$(awk -v c="$count" -v f="$frames" 'BEGIN{print (c>f)?c-f:0}') ;;
  esac
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$rate" "$frames" "${dropped:-?}" \
    "$(awk -v f="$frames" -v s="$secs" 'BEGIN{printf "%.0f", f/s}')" "$(sub "$cpu1" "$cpu0")" "$load0 / $load1"
done
