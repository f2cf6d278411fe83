# The lab of the flow benchmarks (sourced by bench-flows.sh and bench-flows-warm.sh): a veth pair
# veth0 between the namespaces $ns-a (the generator's, $lab_a) and $ns-b (the monitor's, $lab_b),
# made fresh by make_lab and removed by drop_lab; cpu_of PID gives a process's CPU seconds (user +
# system, all threads), links_of PID the BPF links it holds. Needs $ns set.
mac_a=02:00:0a:c9:00:01; mac_b=02:00:0a:c9:00:02
lab_a=10.201.0.1; lab_b=10.201.0.2
# A fresh lab for every row: a veth pair keeps state from what ran on it before (one row's
# monitor changed the next rows' generator times), so no row inherits another's.
make_lab() {
  ip netns add "$ns-a"; ip netns add "$ns-b"
  ip link add veth0 netns "$ns-a" address $mac_a type veth peer name veth0 netns "$ns-b" address $mac_b
  for s in a b; do
    ip -n "$ns-$s" link set lo up
    # no IPv6 chatter and no ARP: the link carries the generator's frames only
    ip netns exec "$ns-$s" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns-$s" link set veth0 arp off
  done
  # The frames go to the receiver's own MAC and address, so its stack takes them in (UDP, no
  # socket); no ICMP port-unreachable goes back, so the receiver sends nothing at all.
  ip netns exec "$ns-b" sysctl -qw net.ipv4.icmp_msgs_per_sec=0 net.ipv4.icmp_msgs_burst=0 net.ipv4.icmp_ratelimit=2147483647
  ip -n "$ns-a" addr add $lab_a/24 dev veth0
  ip -n "$ns-b" addr add $lab_b/24 dev veth0
  ip -n "$ns-a" link set veth0 up; ip -n "$ns-b" link set veth0 up
}
drop_lab() {
  ip netns pids "$ns-b" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns pids "$ns-a" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$ns-a" 2>/dev/null || true
  ip netns del "$ns-b" 2>/dev/null || true
}
tck=$(getconf CLK_TCK)
cpu_of() { awk -v t="$tck" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }
links_of() { find "/proc/$1/fd" -lname 'anon_inode:bpf_link' 2>/dev/null | wc -l; }
