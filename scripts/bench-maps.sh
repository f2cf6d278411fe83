#!/usr/bin/env bash
# Map dump benchmark: packetlens BPF_MAP_LOOKUP_BATCH (and GET_NEXT_KEY + LOOKUP_ELEM) vs
# `bpftool map dump` on the same 1,000,000-entry hash map in the same run. Builds the bench
# module (reactor build, no install), then runs io.packetlens.bench.MapDumpBenchmark; extra
# arguments go to it (--help lists them, e.g. --rounds 7 --markdown /tmp/bench.md).
# Results are recorded in docs/BENCHMARKS.md. Needs root: it creates a BPF map and runs bpftool.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-maps: must run as root (it creates a BPF map and dumps it with bpftool). Run: sudo ./scripts/bench-maps.sh" >&2
  exit 1
fi
"$here/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$here/scripts/env.sh"
echo "bench-maps: building the bench module..." >&2
(cd "$here" && mvn -q -B -ntp -DskipTests -pl bench -am package) >&2
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "$here/bench/target/packetlens-bench.jar" io.packetlens.bench.MapDumpBenchmark "$@"
