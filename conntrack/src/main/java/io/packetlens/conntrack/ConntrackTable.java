package io.packetlens.conntrack;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.info.MonotonicClock;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The tracker's tables in a loaded object ({@code ct_table} and {@code ct_counters} of packetlens_conntrack.h), in
 * whichever program includes the tracker: the tracker's own ({@link ConntrackProgram}) or the guard's, whose state
 * rules consult it. Reads them as {@link Connection}s and removes the ones idle past the timeouts the object was
 * loaded with. Owns only its scratch memory; the object belongs to the caller.
 */
public final class ConntrackTable implements AutoCloseable {
    private final BpfObject object;
    private final ConntrackTimeouts timeouts;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment counterKey, counterValues, key, value;

    /** The tables of {@code object}, loaded with {@code timeouts} ({@link #configure}). */
    public ConntrackTable(BpfObject object, ConntrackTimeouts timeouts) {
        this.object = object;
        this.timeouts = timeouts;
        this.counterKey = arena.allocate(4, 4);
        this.counterValues = arena.allocate(PerCpu.size(8), 8);
        this.key = arena.allocate(ConntrackLayout.Key.SIZE, 8);
        this.value = arena.allocate(ConntrackLayout.Entry.SIZE, 8);
    }

    /** Sets the tracker's table size, zones, timeouts and events switch in a spec that includes the tracker. */
    public static void configure(ObjectSpec spec, ConntrackConfig config) {
        spec.map(ConntrackLayout.TABLE).maxEntries(config.tableSize());
        spec.variable(ConntrackLayout.ZONE_IFINDEX).set(config.zoneByInterface());
        spec.variable(ConntrackLayout.TIMEOUTS).set(config.timeouts().kernelArray());
        spec.variable(ConntrackLayout.EVENTS_ON).set(config.events());
    }

    /** The connection table. */
    public BpfMap map() {
        return object.map(ConntrackLayout.TABLE);
    }

    /** The connections {@code filter} accepts, expired or not. */
    public List<Connection> connections(Predicate<Connection> filter) {
        List<Connection> out = new ArrayList<>();
        map().forEach((k, v) -> {
            Connection c = Connection.of(k, v);
            if (filter.test(c)) out.add(c);
        });
        return out;
    }

    /** Connections in the table (a walk of it). */
    public int entries() {
        int[] n = {0};
        map().forEach((k, v) -> n[0]++);
        return n[0];
    }

    /**
     * Removes the connections idle past their state's timeout and returns them. An entry is read again just before
     * its removal, so one a packet refreshed since the walk stays.
     */
    public synchronized List<Connection> expire() {
        long now = MonotonicClock.nanos();
        List<byte[]> stale = new ArrayList<>();
        BpfMap t = map();
        t.forEach((k, v) -> {
            if (expired(k, v, now)) stale.add(k.asSlice(0, ConntrackLayout.Key.SIZE).toArray(ValueLayout.JAVA_BYTE));
        });
        List<Connection> gone = new ArrayList<>();
        for (byte[] k : stale) {
            MemorySegment.copy(k, 0, key, ValueLayout.JAVA_BYTE, 0, k.length);
            if (!t.lookup(key, value) || !expired(key, value, MonotonicClock.nanos())) continue;
            Connection c = Connection.of(key, value);
            if (t.delete(key)) gone.add(c);
        }
        return gone;
    }

    private boolean expired(MemorySegment k, MemorySegment v, long now) {
        int proto = Byte.toUnsignedInt(k.get(ValueLayout.JAVA_BYTE, ConntrackLayout.Key.PROTO));
        ConnState state = ConnState.of(Byte.toUnsignedInt(v.get(ValueLayout.JAVA_BYTE, ConntrackLayout.Entry.STATE)));
        long last = v.get(ValueLayout.JAVA_LONG_UNALIGNED, ConntrackLayout.Entry.LAST_NS);
        return now - last > timeouts.of(proto, state).toNanos();
    }

    /** The table-wide counters, summed over CPUs. */
    public synchronized Map<ConntrackCounter, Long> counters() {
        return counters(object.map(ConntrackLayout.COUNTERS), counterKey, counterValues);
    }

    /** The counters in {@code ct_counters} of any object (a pinned guard's, for one), summed over CPUs. */
    public static Map<ConntrackCounter, Long> counters(BpfMap countersMap) {
        try (Arena a = Arena.ofConfined()) {
            return counters(countersMap, a.allocate(4, 4), a.allocate(PerCpu.size(8), 8));
        }
    }

    private static Map<ConntrackCounter, Long> counters(BpfMap m, MemorySegment key, MemorySegment values) {
        Map<ConntrackCounter, Long> out = new EnumMap<>(ConntrackCounter.class);
        int stride = PerCpu.stride(8);
        for (ConntrackCounter c : ConntrackCounter.values()) {
            key.set(ValueLayout.JAVA_INT, 0, c.ordinal());
            out.put(c, m.lookup(key, values) ? PerCpu.sumLongs(values, 0, stride) : 0L);
        }
        return out;
    }

    @Override
    public synchronized void close() {
        arena.close();
    }
}
