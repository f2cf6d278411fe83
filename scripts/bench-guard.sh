#!/usr/bin/env bash
# Guard benchmark: packetlens guard (XDP and TC ingress) against the same rules in nftables (netdev
# ingress and inet filter input) under a flood of 64-byte UDP from 65,536 sources plus a SYN flood
# from packetlens trafficgen, with an iperf3 TCP stream alongside: drops per second, softirq CPU,
# drops per CPU-second, and the stream's throughput kept. Then the guard's XDP program by
# BPF_PROG_TEST_RUN with 10, 1,000 and 100,000 deny prefixes. Builds the bench module (reactor
# build, no install), then runs io.packetlens.bench.GuardBenchmark; extra arguments go to it
# (--help lists them). Results are recorded in docs/BENCHMARKS.md ("Guard"). Needs root and a
# quiet machine: it pins the flood to one CPU and the stream to another.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-guard: must run as root (it loads BPF programs). Run: sudo ./scripts/bench-guard.sh" >&2
  exit 1
fi
"$here/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$here/scripts/env.sh"
echo "bench-guard: building the bench module..." >&2
(cd "$here" && mvn -q -B -ntp -DskipTests -pl bench -am package) >&2
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "$here/bench/target/packetlens-bench.jar" io.packetlens.bench.GuardBenchmark "$@"
