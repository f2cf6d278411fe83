#!/usr/bin/env bash
# Kernel-to-user channel benchmark (docs/BENCHMARKS.md, "Kernel-to-user channels"): the same BPF
# producer, driven by BPF_PROG_TEST_RUN, feeds the Java ring buffer and perf buffer readers and
# their libbpf counterparts (a small C peer linked against the system libbpf); prints consumer
# speed, producer cost and live end-to-end rates for 64 B, 256 B and 1 KiB records, with the
# Java/libbpf ratios. Needs root (BPF, perf events, a private bpffs mount).
#
#   sudo ./scripts/bench-channels.sh                            # print the table
#   sudo ./scripts/bench-channels.sh --docs docs/BENCHMARKS.md  # also write it into the docs
# Other options (defaults): --sizes 64,256,1024 --ring-mib 64 --perf-pages 16384 --warmup 6 --cycles 7
#   --seconds 1 --live-seconds 1 --rounds 3 --chunk 100000
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench-channels: needs root (loads BPF programs, opens perf events, mounts a bpffs)" >&2
  exit 1
fi
"$root/scripts/setup.sh" --quiet
. "$root/scripts/env.sh"
out="$root/bench/target/channels"
mkdir -p "$out/bpf"
bash "$root/scripts/compile-bpf.sh" "$root/bench/src/main/bpf" "$out/bpf" "$root/ebpf/src/main/bpf/include"
gcc -O2 -Wall -o "$out/channel_peer" "$root/bench/src/main/c/channel_peer.c" -lbpf -lpthread
(cd "$root" && mvn -q -B -ntp -pl bench -am package -DskipTests)

pins=$(mktemp -d /tmp/pl-bench-bpffs.XXXXXX)
mount -t bpf bpf "$pins"
trap 'umount "$pins" 2>/dev/null; rmdir "$pins"' EXIT

args=()
for a in "$@"; do
  # a relative --docs path is relative to where the script was started
  if [ "${prev:-}" = "--docs" ] && [ "${a#/}" = "$a" ]; then a="$PWD/$a"; fi
  args+=("$a"); prev=$a
done
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xms1g -Xmx1g \
  -cp "$root/ebpf/target/classes:$root/bench/target/classes" io.packetlens.bench.ChannelBenchmark \
  --object "$out/bpf/channel_bench.bpf.o" --pin-dir "$pins" --peer "$out/channel_peer" ${args[@]+"${args[@]}"}
