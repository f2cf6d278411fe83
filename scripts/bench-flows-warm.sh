#!/usr/bin/env bash
# Flow monitor benchmark, warm: one monitor process kept running through several rounds of the same
# traffic, so that what a long-running monitor costs per round shows apart from what the first round
# costs a new JVM (interpreting and compiling its code). The lab and the generator are
# bench-flows.sh's (64-byte UDP frames over 65,536 flows, veth between two namespaces, `packetlens
# trafficgen` as fast as the path takes them); the monitors are `packetlens flows` at XDP and at TC,
# polling every second (the live view's interval), and tcpdump -w /dev/null. Results are recorded in
# docs/BENCHMARKS.md ("Flow monitor", "Warm: the same process through several rounds").
#
#   sudo ./scripts/bench-flows-warm.sh [--rounds N] [--count N] [--flows F] [--only NAME...]
#
# For each round it prints the generator's time and the monitor's CPU seconds (all its threads, from
# /proc/PID/stat) in two windows: during the traffic (the generator's run), and after it: the 4 s
# that follow, in which packetlens ends the flows (a full table's unchanged flows are ended and
# written as records at the first poll after the traffic: flowEndReason 5, lack of resources).
# NAME is one of: packetlens-xdp packetlens-tc tcpdump. Needs root. Leaves nothing behind.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=3; count=3000000; flows=65536; only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --flows) flows=$2; shift 2 ;;
    --only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do only+=("$1"); shift; done ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 0 ;;
    *) echo "bench-flows-warm: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "bench-flows-warm: must run as root. Run: sudo ./scripts/bench-flows-warm.sh" >&2
  exit 1
fi
"$here/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$here/scripts/env.sh"
if [ ! -f "$here/cli/target/packetlens.jar" ] || [ -n "$(find "$here" -path '*/src/*' -newer "$here/cli/target/packetlens.jar" -print -quit)" ]; then
  echo "bench-flows-warm: building packetlens..." >&2
  (cd "$here" && mvn -q -B -ntp -DskipTests package) >&2
fi
PL=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$here/cli/target/packetlens.jar")
ns=plfw-$$
work=$(mktemp -d /tmp/plfw.XXXXXX)
# shellcheck source=flow-lab.sh
. "$here/scripts/flow-lab.sh"
trap 'drop_lab; rm -rf "$work"' EXIT INT TERM
declare -A start_cmd
start_cmd[packetlens-xdp]="${PL[*]} flows -i veth0 --hook xdp --json --no-metrics --duration 3600 --poll-interval 1s"
start_cmd[packetlens-tc]="${PL[*]} flows -i veth0 --hook tc --json --no-metrics --duration 3600 --poll-interval 1s"
start_cmd[tcpdump]="tcpdump -i veth0 -w /dev/null -n"
names=(packetlens-xdp packetlens-tc tcpdump)
[ ${#only[@]} -gt 0 ] && names=("${only[@]}")

echo "# flow monitor benchmark, warm: $rounds rounds of $count 64-byte frames over $flows UDP flows, veth, $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), kernel $(uname -r)"
printf '| monitor | round | generator time (s) | monitor CPU s (traffic) | monitor CPU s (4 s after) |\n|---|---:|---:|---:|---:|\n'
for name in "${names[@]}"; do
  make_lab
  log=$work/$name.log
  # shellcheck disable=SC2086
  ip netns exec "$ns-b" ${start_cmd[$name]} > "$log" 2>&1 &
  mpid=$!
  for _ in $(seq 6000); do
    case "$name" in
      packetlens-xdp) [ "$(links_of "$mpid")" -ge 1 ] && break ;;
      packetlens-tc) [ "$(links_of "$mpid")" -ge 2 ] && break ;;
      tcpdump) grep -q "listening on" "$log" && break ;;
    esac
    sleep 0.01
  done
  sleep 1
  for r in $(seq "$rounds"); do
    c0=$(cpu_of "$mpid")
    gen=$(ip netns exec "$ns-a" "${PL[@]}" trafficgen -i veth0 --count "$count" --flows "$flows" --size 60 \
      --src-ip $lab_a --dst-ip $lab_b --dst-mac $mac_b 2>/dev/null)
    c1=$(cpu_of "$mpid")
    sleep 4
    c2=$(cpu_of "$mpid")
    secs=$(sed -n 's/sent [0-9]* frames in \([0-9.]*\) s.*/\1/p' <<<"$gen")
    printf '| %s | %d | %s | %s | %s |\n' "$name" "$r" "$secs" "$(awk -v a="$c1" -v b="$c0" 'BEGIN{printf "%.2f", a-b}')" \
      "$(awk -v a="$c2" -v b="$c1" 'BEGIN{printf "%.2f", a-b}')"
  done
  kill -TERM "$mpid" 2>/dev/null || true
  wait "$mpid" 2>/dev/null || true
  case "$name" in
    packetlens*) echo "bench-flows-warm: $name summary: $(grep '^{"summary"' "$log" | tail -1)" >&2 ;;
    tcpdump) echo "bench-flows-warm: tcpdump: $(grep -E 'captured|dropped' "$log" | tr '\n' ' ')" >&2 ;;
  esac
  drop_lab
done
