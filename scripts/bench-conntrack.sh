#!/usr/bin/env bash
# Conntrack benchmark: packetlens conntrack against the kernel's nf_conntrack at 10,000 and 1,000,000
# tracked connections: the tracker's XDP entry point by BPF_PROG_TEST_RUN (ns per packet over random
# flows of a full table), then UDP flows from the in-kernel generator through the lab's veth pair
# to a namespace that tracks them with packetlens (TC, XDP), with nf_conntrack, or not at all:
# softirq ns per packet, the tracking's part of it, the generator's rate, the program's own ns per
# run (BPF statistics). Builds the bench module (reactor build, no install), then runs
# io.packetlens.bench.ConntrackBenchmark; extra arguments go to it (--help lists them). Results
# are recorded in docs/BENCHMARKS.md ("Conntrack"). Needs root and a quiet machine; raises
# net.netfilter.nf_conntrack_max and _buckets for the run and puts them back.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-conntrack: must run as root (it loads BPF programs). Run: sudo ./scripts/bench-conntrack.sh" >&2
  exit 1
fi
"$here/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$here/scripts/env.sh"
echo "bench-conntrack: building the bench module..." >&2
(cd "$here" && mvn -q -B -ntp -DskipTests -pl bench -am package) >&2
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "$here/bench/target/packetlens-bench.jar" io.packetlens.bench.ConntrackBenchmark "$@"
