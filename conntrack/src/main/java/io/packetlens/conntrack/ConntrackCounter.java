package io.packetlens.conntrack;

/** The tracker's table-wide counters, {@code enum pl_ct_counter} in packetlens_conntrack.h, in its order. */
public enum ConntrackCounter {
    PACKETS("IP packets seen"),
    TRACKED("packets that updated a connection"),
    CREATED("connections created"),
    TABLE_FULL("new connections refused because the table was full: not tracked"),
    INVALID("TCP segments the state machine refused (nf_conntrack's INVALID and IGNORE): not counted in a connection"),
    NO_CONNECTION("packets that open nothing and belong to no connection (a lone SYN-ACK, an echo reply)"),
    FRAGMENT("non-first IP fragments: no ports, not tracked"),
    RELATED("ICMP errors quoting a tracked connection"),
    NOT_IP("frames that are not IP, or cut short"),
    RACE("connections another CPU created between lookup and insert"),
    REOPENED("connections renewed in place: a SYN after TIME_WAIT or CLOSE, or traffic after the timeout");

    private final String help;

    ConntrackCounter(String help) {
        this.help = help;
    }

    public String help() {
        return help;
    }

    /** The name in metrics and JSON: {@code table_full}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
