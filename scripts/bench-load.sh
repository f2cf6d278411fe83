#!/usr/bin/env bash
# Load benchmark: the time from an object file to loaded programs with packetlens (warm JVM, first load, new JVM
# process) and with bpftool prog loadall (libbpf), same objects, same run: packetlens's flow object and a
# 50-program object (bench/src/main/bpf/load50_bench.bpf.c). Builds the bench module (no install), then runs
# io.packetlens.bench.LoadBenchmark; extra arguments go to it (--rounds N, --help). Results are recorded in
# docs/BENCHMARKS.md ("Loading objects"). Needs root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-load: must run as root (it loads BPF programs). Run: sudo ./scripts/bench-load.sh" >&2
  exit 1
fi
"$root/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$root/scripts/env.sh"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
echo "bench-load: building the programs and the bench module..." >&2
(cd "$root" && mvn -q -B -ntp -DskipTests -pl bench -am package) >&2
mkdir -p "$out/bpf"
bash "$root/scripts/compile-bpf.sh" "$root/bench/src/main/bpf" "$out/bpf" "$root/ebpf/src/main/bpf/include"
cp "$root/programs/target/classes/io/packetlens/programs/flow.bpf.o" "$out/bpf/"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/bench/target/packetlens-bench.jar" \
  io.packetlens.bench.LoadBenchmark "$out/bpf/flow.bpf.o" "$out/bpf/load50_bench.bpf.o" "$@"
