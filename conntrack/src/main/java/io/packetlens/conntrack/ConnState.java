package io.packetlens.conntrack;

/**
 * A connection's state as the tracker keeps it ({@code enum pl_ct_state}): for TCP nf_conntrack's states, with its
 * numbers and the names {@code conntrack -L} prints; for the other protocols whether a reply has been seen.
 */
public enum ConnState {
    NONE(0), SYN_SENT(1), SYN_RECV(2), ESTABLISHED(3), FIN_WAIT(4), CLOSE_WAIT(5), LAST_ACK(6), TIME_WAIT(7),
    CLOSE(8), SYN_SENT2(9), UNREPLIED(16), REPLIED(17);

    private final int code;

    ConnState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public boolean isTcp() {
        return code <= 9;
    }

    /** The state for a kernel code, or {@link #NONE} for one this version does not know. */
    public static ConnState of(int code) {
        for (ConnState s : values()) if (s.code == code) return s;
        return NONE;
    }

    /** Parses a state name as users write it ({@code established}, {@code TIME_WAIT}, {@code time-wait}). */
    public static ConnState parse(String name) {
        String n = name.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown connection state '" + name + "': one of "
                    + java.util.Arrays.stream(values()).map(s -> s.name().toLowerCase(java.util.Locale.ROOT)).toList());
        }
    }
}
