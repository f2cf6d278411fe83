#!/usr/bin/env bash
# Export benchmark: 65,536 flows finishing in one poll of the agent, exported over IPFIX/UDP to a
# real nfcapd and over Kafka to a real local KRaft broker (child JVM), each exporter alone and
# both in one agent, a few rounds each. Prints, per run and as medians: when each exporter had
# delivered every record after the poll, records/s, the agent JVM's CPU, drops and failures, and
# what nfdump and a Kafka consumer read back. Builds the bench module (reactor build, no install),
# then runs io.packetlens.bench.ExportBenchmark from its class path; extra arguments go to it
# (--help lists them, e.g. --rounds 3 --modes ipfix --markdown /tmp/export.md). Results are
# recorded in docs/BENCHMARKS.md ("Export: a full poll over IPFIX and Kafka"). Needs root (lab
# namespaces, XDP, AF_XDP). Uses 127.0.0.1 ports 19210 (nfcapd), 19220-19221 (broker) and
# /tmp/pl-xbench-*; leaves nothing behind, also on Ctrl-C.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-export: must run as root (network namespaces, XDP, AF_XDP). Run: sudo ./scripts/bench-export.sh" >&2
  exit 1
fi
"$here/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$here/scripts/env.sh"
echo "bench-export: building the bench module..." >&2
(cd "$here" && mvn -q -B -ntp -DskipTests -pl bench -am package) >&2
cp="$here/bench/target/classes:$(cat "$here/bench/target/classpath.txt")"
# The JVM options of the shipped agent (dist/src/main/dist/bin/packetlens): serial GC, C1 only;
# PACKETLENS_JAVA_OPTS adds to them, as it does there.
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  ${PACKETLENS_JAVA_OPTS:-} -cp "$cp" io.packetlens.bench.ExportBenchmark "$@"
