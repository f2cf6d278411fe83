package io.packetlens.agent;

import java.util.List;

/**
 * The {@code conntrack:} section: packetlens's connection tracker (docs/CONNTRACK.md) on its interfaces (the agent's
 * when none are named), and what the agent does with it: every connection that leaves the table (expired, or all of
 * them when the agent stops) becomes a bidirectional flow record (RFC 5103) for the exporters, and the tracker's
 * counts, handshake round trips and retransmissions are metrics.
 *
 * @param interfaces where it attaches; empty: the agent's interfaces
 * @param xdp        at XDP (what arrives only) instead of TC ingress + egress (both directions)
 * @param tableSize  connections the table holds; a new one beyond that is refused, counted
 * @param export     whether finished connections go to the exporters as records
 * @param timeouts   how long a connection may stay idle in each state (nf_conntrack's defaults unless set)
 */
public record ConntrackSection(List<InterfaceSpec> interfaces, boolean xdp, int tableSize, boolean export,
                               io.packetlens.conntrack.ConntrackTimeouts timeouts) {
    public ConntrackSection {
        interfaces = List.copyOf(interfaces);
    }

    /** The interfaces it attaches to, given the agent's. */
    public List<InterfaceSpec> interfacesOr(List<InterfaceSpec> agent) {
        return interfaces.isEmpty() ? agent : interfaces;
    }
}
