#!/usr/bin/env bash
# Tunnel parse cost benchmark: the flow program (programs/src/main/bpf/flow.bpf.c) run with
# BPF_PROG_TEST_RUN at XDP and TC ingress on plain UDP, plain TCP and VXLAN frames, with
# decapsulation on and off, next to the flow program of commit 2198059, the last one before the
# tunnel parse (compiled here from that commit's sources with the build's own compile script).
# Builds the bench module (reactor build, no install), then runs
# io.packetlens.bench.TunnelCostBenchmark; extra arguments go to it (--help lists them).
# Results are recorded in docs/BENCHMARKS.md. Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-tunnels: must run as root (it loads BPF programs). Run: sudo ./scripts/bench-tunnels.sh" >&2
  exit 1
fi
"$here/scripts/setup.sh" --quiet
# shellcheck source=env.sh
. "$here/scripts/env.sh"
before=2198059
tmp=$(mktemp -d /tmp/pl-bench-tunnels.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
baseline=()
if git -C "$here" cat-file -e "$before^{commit}" 2>/dev/null; then
  git -C "$here" archive "$before" programs/src/main/bpf ebpf/src/main/bpf | tar -x -C "$tmp"
  bash "$here/scripts/compile-bpf.sh" "$tmp/programs/src/main/bpf" "$tmp/out" \
    "$tmp/programs/src/main/bpf/include" "$tmp/ebpf/src/main/bpf/include" >&2
  baseline=(--baseline "$tmp/out/flow.bpf.o")
else
  echo "bench-tunnels: commit $before is not in this clone; running without the before-tunnels column" >&2
fi
echo "bench-tunnels: building the bench module..." >&2
(cd "$here" && mvn -q -B -ntp -DskipTests -pl bench -am package) >&2
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "$here/bench/target/packetlens-bench.jar" io.packetlens.bench.TunnelCostBenchmark ${baseline[@]+"${baseline[@]}"} "$@"
