package io.packetlens.conntrack;

/**
 * How a tracker is built: the connection table's size, what a zone is, and the timeouts.
 *
 * @param tableSize       connections the table holds (nf_conntrack_max's role); a new one beyond that is refused, counted
 * @param zoneByInterface true: the zone is the interface, so the same 5-tuple on two interfaces is two connections;
 *                        false (the default): the zone is the outermost VLAN id
 * @param events          whether the kernel emits {@link ConntrackEvent}s (off: the verifier removes that code)
 */
public record ConntrackConfig(int tableSize, boolean zoneByInterface, ConntrackTimeouts timeouts, boolean events) {
    public static final int DEFAULT_TABLE_SIZE = 262_144;

    public ConntrackConfig {
        if (tableSize < 1) throw new IllegalArgumentException("conntrack table size must be at least 1, not " + tableSize);
        if (timeouts == null) throw new IllegalArgumentException("timeouts missing");
    }

    public static ConntrackConfig defaults() {
        return new ConntrackConfig(DEFAULT_TABLE_SIZE, false, ConntrackTimeouts.defaults(), false);
    }

    public ConntrackConfig tableSize(int size) {
        return new ConntrackConfig(size, zoneByInterface, timeouts, events);
    }

    public ConntrackConfig zoneByInterface(boolean byInterface) {
        return new ConntrackConfig(tableSize, byInterface, timeouts, events);
    }

    public ConntrackConfig timeouts(ConntrackTimeouts t) {
        return new ConntrackConfig(tableSize, zoneByInterface, t, events);
    }

    public ConntrackConfig events(boolean on) {
        return new ConntrackConfig(tableSize, zoneByInterface, timeouts, on);
    }
}
