package io.packetlens.flow;

import io.packetlens.ebpf.BpfMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The aggregator's side of {@code flow_exported} (a pinned map, {@code struct pl_flow_exported}): what has been reported
 * of each flow still in the table. Read once when a process starts on pinned tables, so that it reports only what the
 * last process did not; written at the end of each poll for flows that got an active-timeout record (they stay in the
 * table), and cleared for flows that finished.
 *
 * <pre>
 *  0  u64 packets   8  u64 bytes   16  u64 ip_bytes   24  u64 last_end_ns
 * </pre>
 */
final class ExportedState implements AutoCloseable {
    static final int SIZE = 32;

    private final BpfMap map;
    private final Map<ByteBuffer, long[]> restored = new HashMap<>();
    private final List<FlowState> toSave = new ArrayList<>();
    private final List<FlowState> toForget = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key = arena.allocate(FlowKey.SIZE, 8);
    private final MemorySegment value = arena.allocate(SIZE, 8);

    /** Takes in what an earlier process left in {@code map}. */
    ExportedState(BpfMap map) {
        this.map = map;
        map.forEach((k, v) -> restored.put(ByteBuffer.wrap(k.toArray(JAVA_BYTE)), new long[] {
                v.get(JAVA_LONG_UNALIGNED, 0), v.get(JAVA_LONG_UNALIGNED, 8), v.get(JAVA_LONG_UNALIGNED, 16), v.get(JAVA_LONG_UNALIGNED, 24)}));
    }

    /** Flows an earlier process reported part of, not yet seen by this one. */
    int pending() {
        return restored.size();
    }

    /**
     * For a flow seen for the first time by this process: sets what was already reported of it, if an earlier process
     * reported some. Returns whether it did.
     */
    boolean restore(FlowState s, byte[] keyBytes) {
        if (restored.isEmpty()) return false;
        long[] e = restored.remove(ByteBuffer.wrap(keyBytes));
        if (e == null) return false;
        s.exportedPackets = e[0];
        s.exportedBytes = e[1];
        s.exportedIpBytes = e[2];
        s.lastExportEnd = e[3];
        s.persisted = true;
        return true;
    }

    /** The flow got a record and stays in the table: its reported counts are saved at {@link #commit()}. */
    void reported(FlowState s) {
        toSave.add(s);
    }

    /** The flow finished: its entry, if it has one, goes at {@link #commit()}. */
    void finished(FlowState s) {
        if (s.persisted) toForget.add(s);
    }

    /** Writes this poll's changes to the map; called after the poll's records were handed on. */
    void commit() {
        for (FlowState s : toSave) {
            s.key.write(key, 0);
            value.set(JAVA_LONG_UNALIGNED, 0, s.exportedPackets);
            value.set(JAVA_LONG_UNALIGNED, 8, s.exportedBytes);
            value.set(JAVA_LONG_UNALIGNED, 16, s.exportedIpBytes);
            value.set(JAVA_LONG_UNALIGNED, 24, s.lastExportEnd);
            map.update(key, value);
            s.persisted = true;
        }
        for (FlowState s : toForget) {
            s.key.write(key, 0);
            map.delete(key);
            s.persisted = false;
        }
        toSave.clear();
        toForget.clear();
        // after a whole poll every flow still in the table was seen: what is left was for flows gone meanwhile
        for (ByteBuffer gone : restored.keySet()) map.delete(gone.array());
        restored.clear();
    }

    /** After a drain: nothing of any flow is left to remember. */
    void clear() {
        toSave.clear();
        toForget.clear();
        restored.clear();
        for (byte[] k : map.keys()) map.delete(k);
    }

    @Override
    public void close() {
        arena.close();
    }
}
