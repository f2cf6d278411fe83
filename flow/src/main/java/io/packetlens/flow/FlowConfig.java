package io.packetlens.flow;

import io.packetlens.packet.Decapsulation;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * How the flow program is loaded: the size and kind of its flow table, the size of the "other" counter table, and
 * which events it emits (none by default). Applied to the object's map specs and {@code .rodata} before load.
 *
 * @param tableSize      flows the table holds ({@code max_entries} of {@code flow_table}); default {@value #DEFAULT_TABLE_SIZE}
 * @param tableKind      one table shared by all CPUs, or one copy of each value per CPU (see docs/FLOWS.md)
 * @param otherTableSize distinct "other" keys (interface, direction, ethertype, protocol, reason) counted
 * @param events         event kinds written to the ring buffer
 * @param sampleEvery    with {@link EventKind#SAMPLE}: one packet in this many, at random
 * @param eventRingBytes ring buffer size when events are on: a power of two, at least one page
 * @param hooks          the entry points loaded (all by default); each one costs a pass of the verifier at load
 * @param pinDirectory   a bpffs directory where the tables and links are pinned so that a restarted process carries
 *                       on counting (see {@link FlowPins}), or null (the default) to have them die with this process
 * @param xdpSharing     whether the XDP entry point attaches to the interface directly or joins its XDP chain (shared
 *                       with other programs, e.g. the guard); default {@link XdpSharing#AUTO}
 * @param debugTag       the program's {@code pl_debug} switch (packetlens_debug.h): 0, the default, compiles its debug
 *                       prints away; otherwise the {@link io.packetlens.ebpf.tracing.KernelDebugLog#tag() tag} of the log
 *                       that shows them ({@code --debug-kernel})
 * @param decapsulation  whether tunnelled packets count as their inner packets (the default) and which UDP ports carry
 *                       VXLAN: the program's {@code cfg_decap} and {@code cfg_vxlan_ports}
 */
public record FlowConfig(int tableSize, TableKind tableKind, int otherTableSize, Set<EventKind> events, int sampleEvery,
                         int eventRingBytes, Set<FlowProgram.Hook> hooks, java.nio.file.Path pinDirectory,
                         XdpSharing xdpSharing, int debugTag, Decapsulation decapsulation) {
    public static final int DEFAULT_TABLE_SIZE = 65_536;
    public static final int DEFAULT_OTHER_TABLE_SIZE = 1024;
    public static final int DEFAULT_EVENT_RING_BYTES = 256 * 1024;
    /** Ring size when no events are on: the map must exist (the program refers to it), one page will do. */
    static final int MIN_RING_BYTES = 4096;

    /** Layouts of the flow table. */
    public enum TableKind {
        /** BPF_MAP_TYPE_HASH updated with atomic instructions: one value per flow. The default (docs/FLOWS.md). */
        SHARED,
        /** BPF_MAP_TYPE_PERCPU_HASH: one value per flow and possible CPU, plain adds, summed by user space. */
        PER_CPU
    }

    public FlowConfig {
        Objects.requireNonNull(tableKind, "tableKind");
        Objects.requireNonNull(xdpSharing, "xdpSharing");
        Objects.requireNonNull(decapsulation, "decapsulation");
        events = events.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(events));
        if (hooks == null || hooks.isEmpty()) throw new IllegalArgumentException("at least one hook must be loaded");
        hooks = Set.copyOf(EnumSet.copyOf(hooks));
        if (tableSize < 1) throw new IllegalArgumentException("flow table size must be at least 1, got " + tableSize);
        if (otherTableSize < 1) throw new IllegalArgumentException("other table size must be at least 1, got " + otherTableSize);
        if (sampleEvery < 0) throw new IllegalArgumentException("sampleEvery must be >= 0, got " + sampleEvery);
        if (eventRingBytes < MIN_RING_BYTES || Integer.bitCount(eventRingBytes) != 1) {
            throw new IllegalArgumentException("event ring size must be a power of two of at least " + MIN_RING_BYTES
                    + " bytes, got " + eventRingBytes);
        }
    }

    public static FlowConfig defaults() {
        return new FlowConfig(DEFAULT_TABLE_SIZE, TableKind.SHARED, DEFAULT_OTHER_TABLE_SIZE, Set.of(), 0,
                DEFAULT_EVENT_RING_BYTES, EnumSet.allOf(FlowProgram.Hook.class), null, XdpSharing.AUTO, 0, Decapsulation.DEFAULT);
    }

    public FlowConfig tableSize(int n) {
        return new FlowConfig(n, tableKind, otherTableSize, events, sampleEvery, eventRingBytes, hooks, pinDirectory, xdpSharing, debugTag, decapsulation);
    }

    public FlowConfig tableKind(TableKind k) {
        return new FlowConfig(tableSize, k, otherTableSize, events, sampleEvery, eventRingBytes, hooks, pinDirectory, xdpSharing, debugTag, decapsulation);
    }

    public FlowConfig otherTableSize(int n) {
        return new FlowConfig(tableSize, tableKind, n, events, sampleEvery, eventRingBytes, hooks, pinDirectory, xdpSharing, debugTag, decapsulation);
    }

    public FlowConfig events(Set<EventKind> kinds) {
        return new FlowConfig(tableSize, tableKind, otherTableSize, kinds, sampleEvery, eventRingBytes, hooks, pinDirectory, xdpSharing, debugTag, decapsulation);
    }

    public FlowConfig sampleEvery(int n) {
        return new FlowConfig(tableSize, tableKind, otherTableSize, events, n, eventRingBytes, hooks, pinDirectory, xdpSharing, debugTag, decapsulation);
    }

    public FlowConfig eventRingBytes(int n) {
        return new FlowConfig(tableSize, tableKind, otherTableSize, events, sampleEvery, n, hooks, pinDirectory, xdpSharing, debugTag, decapsulation);
    }

    /** Pins the tables and links under {@code dir} (null: nothing pinned). */
    public FlowConfig pinDirectory(java.nio.file.Path dir) {
        return new FlowConfig(tableSize, tableKind, otherTableSize, events, sampleEvery, eventRingBytes, hooks, dir, xdpSharing, debugTag, decapsulation);
    }

    /** Loads only these entry points, e.g. {@code EnumSet.of(Hook.XDP)} for a monitor attached at XDP only. */
    public FlowConfig hooks(Set<FlowProgram.Hook> h) {
        return new FlowConfig(tableSize, tableKind, otherTableSize, events, sampleEvery, eventRingBytes, h, pinDirectory, xdpSharing, debugTag, decapsulation);
    }

    /**
     * {@link XdpSharing#CHAIN}: always join the interface's XDP chain; {@link XdpSharing#DIRECT}: always attach alone;
     * {@link XdpSharing#AUTO}: join the chain if the interface has one, else attach alone.
     */
    public FlowConfig xdpSharing(XdpSharing s) {
        return new FlowConfig(tableSize, tableKind, otherTableSize, events, sampleEvery, eventRingBytes, hooks, pinDirectory, s, debugTag, decapsulation);
    }

    /** Sets the {@code pl_debug} switch: a {@link io.packetlens.ebpf.tracing.KernelDebugLog}'s tag turns the debug prints on, 0 off. */
    public FlowConfig debugTag(int tag) {
        return new FlowConfig(tableSize, tableKind, otherTableSize, events, sampleEvery, eventRingBytes, hooks, pinDirectory, xdpSharing, tag, decapsulation);
    }

    /** Looks into tunnels, or not, as {@code d} says. */
    public FlowConfig decapsulation(Decapsulation d) {
        return new FlowConfig(tableSize, tableKind, otherTableSize, events, sampleEvery, eventRingBytes, hooks, pinDirectory, xdpSharing, debugTag, d);
    }

    /** Checks what single withers cannot (they may be called in any order); called before load. */
    void validate() {
        if (events.contains(EventKind.SAMPLE) && sampleEvery < 1) {
            throw new IllegalArgumentException("SAMPLE events need sampleEvery >= 1");
        }
    }

    /** The {@code cfg_events} bit mask. */
    int eventBits() {
        int bits = 0;
        for (EventKind k : events) bits |= k.bit();
        return bits;
    }
}
