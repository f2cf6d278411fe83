#!/usr/bin/env bash
# Idempotent setup for building and testing packetlens on Debian 12: installs the build-time
# tools (clang, libbpf headers, kernel UAPI headers), the tools the tests cross-check with
# (bpftool, iproute2, ping, tcpdump, tshark), the capture benchmark's peers (netsniff-ng), the
# flow benchmark's (softflowd), the IPFIX exporter's collectors (nfdump, libfixbuf-tools, socat),
# the guard benchmark's iperf3, conntrack-tools (the connection tracker's oracle), and Maven, then checks for JDK 25. Needs root for apt.
set -euo pipefail
quiet=0; [ "${1:-}" = "--quiet" ] && quiet=1
say() { [ $quiet = 1 ] || echo "setup: $*"; }

need_pkgs=()
want() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$1"); }
for p in clang llvm libbpf-dev linux-libc-dev bpftool iproute2 iputils-ping tcpdump maven; do want "$p"; done
# capture tests read pcapng files back with tshark; the benchmark compares with netsniff-ng
for p in tshark netsniff-ng; do want "$p"; done
# gcc: builds the libbpf C peers of the channel benchmark (scripts/bench-channels.sh)
want gcc

# the flow monitor benchmark compares with softflowd (a libpcap flow exporter)
want softflowd
# the IPFIX exporter's tests collect with nfcapd/nfdump (UDP) and, over TCP, with libfixbuf's ipfixDump behind socat
for p in nfdump libfixbuf-tools socat; do want "$p"; done
# the agent's tests: systemd-analyze checks the service unit; a real Prometheus server scrapes /metrics
want systemd
lean_pkgs=()
dpkg-query -W -f='${Status}' prometheus 2>/dev/null | grep -q "install ok installed" || lean_pkgs+=(prometheus)

# procps: kill -STOP/-CONT, with which the Kafka exporter tests freeze their test broker
want procps
# the guard's tests: hping3 floods SYNs from a lab host, nftables counts on the sender what the guard counts
for p in hping3 nftables; do want "$p"; done
# the guard benchmark (scripts/bench-guard.sh): the legitimate TCP stream during the flood is iperf3's
want iperf3
# the connection tracker's tests compare with the kernel's nf_conntrack, read by conntrack-tools' conntrack -L
want conntrack
# ethtool: GRO on a lab veth, which gives it the NAPI that xdp_frames from the live-frame generator need
want ethtool

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing packages: ${need_pkgs[*]}; run as root (sudo ./scripts/setup.sh) to install them" >&2
    exit 1
  fi
  say "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # wireshark-common asks whether non-root users may capture; answer no without a prompt
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  # iperf3 asks whether to run a daemon at boot: no (the benchmark starts its own servers)
  echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
if [ ${#lean_pkgs[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "setup: missing packages: ${lean_pkgs[*]}; run as root (sudo ./scripts/setup.sh)" >&2; exit 1; }
  say "installing ${lean_pkgs[*]} (without recommends: the tests start the server themselves)"
  export DEBIAN_FRONTEND=noninteractive
  [ ${#need_pkgs[@]} -gt 0 ] || apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${lean_pkgs[@]}" >/dev/null
fi

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=env.sh
. "$here/env.sh"
say "JDK: $JAVA_HOME"

# bpffs at the conventional place, for pinning (tests mount private ones of their own).
if [ "$(id -u)" = 0 ] && ! awk '$2=="/sys/fs/bpf" && $3=="bpf"{f=1} END{exit !f}' /proc/mounts; then
  mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf && say "mounted bpffs at /sys/fs/bpf"
fi
say "ok"
