#!/usr/bin/env bash
# Flow table layout benchmark: the flow program (programs/src/main/bpf/flow.bpf.c) run with
# BPF_PROG_TEST_RUN on a shared BPF_MAP_TYPE_HASH (atomic updates) and on a BPF_MAP_TYPE_PERCPU_HASH,
# from one and two CPUs, plus insert cost, kernel memory and user-space read time. Builds the bench
# module (reactor build, no install), then runs io.packetlens.bench.FlowTableBenchmark; extra
# arguments go to it (--help lists them). Results are recorded in docs/FLOWS.md. Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-flow-table: must run as root (it loads BPF programs). Run: sudo ./scripts/bench-flow-table.sh" >&2
  exit 1
fi
"$here/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$here/scripts/env.sh"
echo "bench-flow-table: building the bench module..." >&2
(cd "$here" && mvn -q -B -ntp -DskipTests -pl bench -am package) >&2
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "$here/bench/target/packetlens-bench.jar" io.packetlens.bench.FlowTableBenchmark "$@"
