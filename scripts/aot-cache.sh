#!/usr/bin/env bash
# The JDK's ahead-of-time cache of the packetlens jar (JEP 483/514: classes loaded and linked, and
# method profiles, from one training run), so that runs start faster (docs/BENCHMARKS.md, "Flow
# monitor", "Start at TC, and the AOT cache in the launcher"). Usage: aot-cache.sh JAR CACHE
#
# Makes CACHE when it is missing or older than JAR (the cache belongs to one JDK and one jar), then
# prints the java options that use it, one per line; prints nothing and exits 1 when there is none.
# The launcher and bench-flows.sh take their options from here.
#
# The training run is `packetlens flows` at TC on the loopback device of a network namespace of
# its own, for three seconds, while UDP datagrams to a few thousand ports go over that loopback:
# the start-up path of the monitor (configuration, object parse, map creation, verification,
# attach) and its hot path (polls that find new and grown flows, flows ended by the idle timeout
# and written as records, the final drain), without touching the host's interfaces. The cache
# then holds those methods' profiles too, so that they are compiled sooner in a run. It needs
# root (for the namespace and the BPF programs); without it, or on any failure, no cache is made.
set -uo pipefail
jar=$1
cache=$2
if [ ! -f "$cache" ] || [ "$jar" -nt "$cache" ]; then
  [ "$(id -u)" = 0 ] || exit 1
  command -v ip >/dev/null || exit 1
  . "$(cd "$(dirname "$0")" && pwd)/env.sh"
  ns="pl-aot-$$"
  tmp="$cache.$$.tmp"
  trap 'ip netns del "$ns" 2>/dev/null; rm -f "$tmp"' EXIT
  ip netns add "$ns" || exit 1
  ip -n "$ns" link set lo up || exit 1
  echo "packetlens: making the start-up cache (once per build, a few seconds)..." >&2
  ip netns exec "$ns" "$JAVA_HOME/bin/java" -XX:AOTCacheOutput="$tmp" -Xlog:aot=error,cds=error \
      --enable-native-access=ALL-UNNAMED -jar "$jar" \
      flows -i lo --hook tc --json --no-metrics --duration 3 --poll-interval 200ms --idle-timeout 1s >/dev/null 2>&1 &
  java_pid=$!
  # traffic once the monitor is attached (it holds its two TC links), for about a second: four
  # rounds over 2,000 ports, each datagram a flow (and its ICMP port unreachable another)
  for _ in $(seq 150); do
    [ "$(find "/proc/$java_pid/fd" -lname 'anon_inode:bpf_link' 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.02
  done
  ip netns exec "$ns" bash -c 'for r in 1 2 3 4; do for p in $(seq 20000 22000); do printf x 2>/dev/null > /dev/udp/127.0.0.1/$p; done; sleep 0.2; done' || true
  if wait "$java_pid" && [ -s "$tmp" ]; then
    mv -f "$tmp" "$cache"
  else
    echo "packetlens: no start-up cache (the training run failed); starting without one" >&2
    exit 1
  fi
fi
printf '%s\n' "-XX:AOTCache=$cache" "-Xlog:aot=error,cds=error"
