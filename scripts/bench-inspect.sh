#!/usr/bin/env bash
# inspect-map benchmark (docs/BENCHMARKS.md, "Inspect: packetlens inspect map vs bpftool map dump"):
# `packetlens inspect map ID` (JSON and text, the whole command including JVM start) against
# `bpftool map dump id ID` (JSON and text) on the same 65,536-entry hash map with a struct
# value and BTF, in the same run; plus packetlens's in-process dump. Builds cli and bench
# (reactor build, no install). Needs root: it loads a BPF object and runs bpftool.
#
#   sudo ./scripts/bench-inspect.sh [--entries N] [--rounds N] [--markdown FILE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-inspect: needs root (loads a BPF object, runs bpftool). Run: sudo ./scripts/bench-inspect.sh" >&2
  exit 1
fi
"$root/scripts/setup.sh" --quiet
. "$root/scripts/env.sh"
out="$root/bench/target/inspect"
mkdir -p "$out/bpf"
bash "$root/scripts/compile-bpf.sh" "$root/bench/src/main/bpf" "$out/bpf" "$root/ebpf/src/main/bpf/include"
echo "bench-inspect: building cli and bench..." >&2
(cd "$root" && mvn -q -B -ntp -DskipTests -pl cli,bench -am package) >&2
args=()
for a in "$@"; do
  if [ "${prev:-}" = "--markdown" ] && [ "${a#/}" = "$a" ]; then a="$PWD/$a"; fi
  args+=("$a"); prev=$a
done
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/bench/target/packetlens-bench.jar" \
  io.packetlens.bench.InspectMapBenchmark --object "$out/bpf/inspect_bench.bpf.o" \
  --packetlens-jar "$root/cli/target/packetlens.jar" ${args[@]+"${args[@]}"}
