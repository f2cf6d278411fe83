package io.packetlens.conntrack;

import java.time.Duration;
import java.util.Arrays;

/**
 * How long a connection may stay idle in each state before it expires, nf_conntrack's defaults unless set: the values
 * of {@code net.netfilter.nf_conntrack_tcp_timeout_*}, {@code nf_conntrack_udp_timeout[_stream]},
 * {@code nf_conntrack_icmp_timeout} and {@code nf_conntrack_generic_timeout}. Kept in the kernel's slot order
 * ({@code pl_ct_timeout_slot}): TCP by state, then UDP, ICMP and other protocols, each unreplied and replied.
 */
public final class ConntrackTimeouts {
    private static final int UDP = 10, ICMP = 12, OTHER = 14;
    private final Duration[] slots;

    private ConntrackTimeouts(Duration[] slots) {
        this.slots = slots;
    }

    /** nf_conntrack's defaults. */
    public static ConntrackTimeouts defaults() {
        Duration[] d = new Duration[ConntrackLayout.TIMEOUT_SLOTS];
        d[ConnState.NONE.code()] = Duration.ofSeconds(10);
        d[ConnState.SYN_SENT.code()] = Duration.ofSeconds(120);
        d[ConnState.SYN_RECV.code()] = Duration.ofSeconds(60);
        d[ConnState.ESTABLISHED.code()] = Duration.ofDays(5);
        d[ConnState.FIN_WAIT.code()] = Duration.ofSeconds(120);
        d[ConnState.CLOSE_WAIT.code()] = Duration.ofSeconds(60);
        d[ConnState.LAST_ACK.code()] = Duration.ofSeconds(30);
        d[ConnState.TIME_WAIT.code()] = Duration.ofSeconds(120);
        d[ConnState.CLOSE.code()] = Duration.ofSeconds(10);
        d[ConnState.SYN_SENT2.code()] = Duration.ofSeconds(120);
        d[UDP] = Duration.ofSeconds(30);
        d[UDP + 1] = Duration.ofSeconds(120);
        d[ICMP] = Duration.ofSeconds(30);
        d[ICMP + 1] = Duration.ofSeconds(30);
        d[OTHER] = Duration.ofSeconds(600);
        d[OTHER + 1] = Duration.ofSeconds(600);
        return new ConntrackTimeouts(d);
    }

    /** A TCP state's timeout replaced. */
    public ConntrackTimeouts tcp(ConnState state, Duration timeout) {
        if (!state.isTcp()) throw new IllegalArgumentException(state + " is not a TCP state");
        return with(state.code(), timeout);
    }

    /** UDP's: before a reply ({@code nf_conntrack_udp_timeout}) and after one ({@code _stream}). */
    public ConntrackTimeouts udp(Duration unreplied, Duration replied) {
        return with(UDP, unreplied).with(UDP + 1, replied);
    }

    public ConntrackTimeouts icmp(Duration timeout) {
        return with(ICMP, timeout).with(ICMP + 1, timeout);
    }

    public ConntrackTimeouts other(Duration timeout) {
        return with(OTHER, timeout).with(OTHER + 1, timeout);
    }

    private ConntrackTimeouts with(int slot, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("a timeout must be positive: " + timeout);
        Duration[] d = slots.clone();
        d[slot] = timeout;
        return new ConntrackTimeouts(d);
    }

    /** The timeout of a connection of this protocol in this state. */
    public Duration of(int protocol, ConnState state) {
        return slots[slot(protocol, state)];
    }

    /** The kernel's slot, as {@code pl_ct_timeout_slot} computes it. */
    static int slot(int protocol, ConnState state) {
        if (protocol == 6) return state.isTcp() ? state.code() : ConnState.CLOSE.code();
        int replied = state == ConnState.REPLIED ? 1 : 0;
        if (protocol == 17) return UDP + replied;
        if (protocol == 1 || protocol == 58) return ICMP + replied;
        return OTHER + replied;
    }

    /** The .rodata array {@code cfg_ct_timeout_ns}, little-endian nanoseconds. */
    byte[] kernelArray() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(slots.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (Duration d : slots) b.putLong(d.toNanos());
        return b.array();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConntrackTimeouts t && Arrays.equals(slots, t.slots);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(slots);
    }
}
