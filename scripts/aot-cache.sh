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
# its own, for one second: the start-up path of the monitor (configuration, object parse, map
# creation, verification, attach, poll, drain) without touching the host's interfaces. It needs
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
  if ip netns exec "$ns" "$JAVA_HOME/bin/java" -XX:AOTCacheOutput="$tmp" -Xlog:aot=error,cds=error \
      --enable-native-access=ALL-UNNAMED -jar "$jar" \
      flows -i lo --hook tc --json --no-metrics --duration 1 >/dev/null 2>&1 && [ -s "$tmp" ]; then
    mv -f "$tmp" "$cache"
  else
    echo "packetlens: no start-up cache (the training run failed); starting without one" >&2
    exit 1
  fi
fi
printf '%s\n' "-XX:AOTCache=$cache" "-Xlog:aot=error,cds=error"
