package io.packetlens.guard.rules;

/**
 * A rule's {@code state:}, what the connection tracker makes of a packet (the kernel's {@code enum pl_ct_verdict},
 * packetlens_conntrack.h), with iptables' meanings: a packet that opens a connection or belongs to one that has not
 * been answered yet is {@link #NEW}; one of a connection that has seen packets both ways, and every reply, is
 * {@link #ESTABLISHED}; an ICMP error about a tracked connection is {@link #RELATED}; a packet that belongs to no
 * connection and cannot open one (a SYN-ACK, FIN or RST out of the blue, an echo reply nobody asked for) is
 * {@link #INVALID}.
 */
public enum ConnectionState {
    NEW(1), ESTABLISHED(2), RELATED(3), INVALID(4);

    private final int verdict;

    ConnectionState(int verdict) {
        this.verdict = verdict;
    }

    /** The kernel's {@code enum pl_ct_verdict} value. */
    public int verdict() {
        return verdict;
    }

    /** The state of a kernel verdict, or null for untracked (0: not IP, a later fragment, a full table). */
    public static ConnectionState ofVerdict(int v) {
        for (ConnectionState s : values()) if (s.verdict == v) return s;
        return null;
    }
}
