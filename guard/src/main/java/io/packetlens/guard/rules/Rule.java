package io.packetlens.guard.rules;

import java.util.List;
import java.util.Set;

/**
 * One rule as written: its match (each list empty for "any") and its action. Rules are evaluated by {@code priority},
 * lowest first; the first that matches decides, except {@link Action#COUNT} rules, which count and go on.
 *
 * @param protocols   IP protocol numbers (empty: any)
 * @param icmp        ICMP/ICMPv6 type and code, or null
 * @param tcpFlags    a TCP flags condition, or null
 * @param vlan        the outermost VLAN id, or -1 for any (0: untagged only)
 * @param states      the connection states it matches (empty: any, and no tracking needed for it)
 * @param limit       the limiter's name for {@link Action#RATE_LIMIT}, else null
 * @param line        the rule's line in its file, for messages (-1 when unknown)
 */
public record Rule(String name, int priority, Action action, List<Cidr> sources, List<Cidr> destinations,
                   Set<Integer> protocols, List<PortRange> sourcePorts, List<PortRange> destinationPorts, IcmpMatch icmp,
                   TcpFlagsMatch tcpFlags, int vlan, Set<ConnectionState> states, String limit, int line) {
    public Rule {
        sources = List.copyOf(sources);
        destinations = List.copyOf(destinations);
        protocols = Set.copyOf(protocols);
        sourcePorts = List.copyOf(sourcePorts);
        destinationPorts = List.copyOf(destinationPorts);
        states = states.isEmpty() ? Set.of() : java.util.Collections.unmodifiableSet(java.util.EnumSet.copyOf(states));
    }
}
