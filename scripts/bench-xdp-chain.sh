#!/usr/bin/env bash
# XDP chain benchmark: what sharing an interface's XDP hook (io.packetlens.ebpf.link.XdpChain) costs
# the flow monitor. The flow program's XDP entry point alone vs as the flow member of a chain
# (process-scoped and pinned), an empty chain's dispatcher and a bare XDP_PASS program, with
# BPF_PROG_TEST_RUN; then alone vs chained with real traffic over the lab's veth pair, from the
# kernel's BPF statistics. Builds the bench module (reactor build, no install), then runs
# io.packetlens.bench.XdpChainBenchmark; extra arguments go to it (--help lists them). Results are
# recorded in docs/XDP-CHAIN.md. Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-xdp-chain: must run as root (it loads BPF programs). Run: sudo ./scripts/bench-xdp-chain.sh" >&2
  exit 1
fi
"$here/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$here/scripts/env.sh"
echo "bench-xdp-chain: building the bench module..." >&2
(cd "$here" && mvn -q -B -ntp -DskipTests -pl bench -am package) >&2
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "$here/bench/target/packetlens-bench.jar" io.packetlens.bench.XdpChainBenchmark "$@"
