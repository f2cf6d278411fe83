package io.packetlens.flow;

import io.packetlens.packet.PacketFields;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The flow program's tables kept in Java, for the AF_PACKET fallback: {@code flow_table} ({@code struct pl_flow_key}
 * to {@code struct pl_flow_stats}), {@code flow_other} and the overflow counters of {@code flow_counters}, filled by
 * {@link #account} exactly as {@code pl_flow_account} of flow.bpf.c fills the kernel's. Entries are stored in the
 * kernel's own layout, keys as eleven 32-bit words and records as seven 64-bit words in the host's byte order, so the
 * aggregator reads them with the code that reads the kernel's batch buffers. Like the kernel's table it holds at most
 * {@code capacity} flows; the packets of further flows are counted as table-full, never lost.
 *
 * <p>Open addressing with linear probing over twice the capacity, compacted on removal (no tombstones). Each slot keeps
 * its key and its record side by side in one {@code int[]} (104 bytes: the key, 4 bytes of padding, the record), and
 * the hashes sit apart in a dense {@code int[]}: a lookup costs a hash read and one slot, two cache misses where four
 * separate arrays cost four. Guarded by
 * this object's monitor: the ring readers hold it for a block of frames, the aggregator for its snapshot and removals.
 * {@link #account} allocates nothing.
 */
final class PacketFlowTable {
    static final int KEY_WORDS = FlowStates.WORDS, VALUE_WORDS = RecordWords.WORDS;

    /** Byte offset of the record in a slot: after the key, padded so that the record is 8-byte aligned. */
    private static final int VALUE_AT = (FlowKey.SIZE + 7) & ~7;
    /** Ints per slot: the key, its padding, the record. */
    private static final int SLOT_INTS = (VALUE_AT + FlowRecord.SIZE) / Integer.BYTES;

    private final int capacity;
    private final int mask;
    /** Key and record of each slot, {@link #SLOT_INTS} ints per slot. */
    private final int[] slots;
    private final MemorySegment slotBytes;
    /** Each slot's key hash with the lowest bit set, 0 for an empty slot. */
    private final int[] hashes;
    private int size;

    /** The key being accounted, written field by field at the kernel's offsets, read back as words. */
    private final int[] key = new int[KEY_WORDS];
    private final MemorySegment keyBytes = MemorySegment.ofArray(key);

    private final OtherTable other;
    private long tableFullPackets, tableFullBytes;

    PacketFlowTable(int capacity, int otherCapacity) {
        if (capacity < 1) throw new IllegalArgumentException("table size must be >= 1");
        this.capacity = capacity;
        int slots = Integer.highestOneBit(Math.max(2, capacity * 2 - 1)) << 1;
        this.mask = slots - 1;
        this.slots = new int[slots * SLOT_INTS];
        this.slotBytes = MemorySegment.ofArray(this.slots);
        this.hashes = new int[slots];
        this.other = new OtherTable(otherCapacity);
    }

    int capacity() {
        return capacity;
    }

    synchronized int size() {
        return size;
    }

    /**
     * Parses and counts one frame as an AF_PACKET ring hands it over: {@code snapLength} bytes at {@code offset} of
     * {@code data}, {@code wireLength} bytes long on the wire, with the TCI of the outer VLAN tag the device took out
     * of it (or -1). The tag is parsed as if it were still in the frame, as XDP sees it (see
     * {@link PacketFields#parseWithOuterTag}). The caller holds the lock. Returns what {@link #account} returns.
     */
    int accountFrame(PacketFields fields, MemorySegment data, long offset, int snapLength, int wireLength, int vlanTci,
                     int ifindex, int direction, long nanos) {
        if (vlanTci >= 0) fields.parseWithOuterTag(data, offset, snapLength, vlanTci);
        else fields.parse(data, offset, snapLength, -1);
        return account(fields, ifindex, direction, wireLength, nanos);
    }

    /**
     * Counts one parsed frame of {@code length} bytes seen at {@code nanos} (CLOCK_MONOTONIC) on interface
     * {@code ifindex} in {@code direction}: into its flow, or under its "other" key when the parse did not end OK,
     * or as overflow when a table is full. Returns 1 for a new flow, -1 when the flow table had no room, 0 otherwise.
     * The caller holds the lock (a block of frames at a time).
     */
    int account(PacketFields p, int ifindex, int direction, int length, long nanos) {
        if (!p.ok()) {
            other.add(ifindex, direction, p.ethertype(), p.lastProtocol(), p.status().code(), length);
            return 0;
        }
        p.copySource(keyBytes, FlowKey.SRC);
        p.copyDestination(keyBytes, FlowKey.DST);
        keyBytes.set(JAVA_SHORT_UNALIGNED, FlowKey.SRC_PORT, (short) p.sourcePort());
        keyBytes.set(JAVA_SHORT_UNALIGNED, FlowKey.DST_PORT, (short) p.destinationPort());
        keyBytes.set(JAVA_SHORT_UNALIGNED, FlowKey.VLAN, (short) p.vlan());
        keyBytes.set(JAVA_BYTE, FlowKey.PROTOCOL, (byte) p.protocol());
        keyBytes.set(JAVA_BYTE, FlowKey.DIRECTION, (byte) direction);
        keyBytes.set(JAVA_INT_UNALIGNED, FlowKey.IFINDEX, ifindex);
        keyBytes.set(JAVA_INT_UNALIGNED, FlowKey.TUNNEL_ID, (int) p.tunnelId());
        keyBytes.set(JAVA_INT_UNALIGNED, FlowKey.TUNNEL, p.tunnel().code()); // with the three pad bytes
        int h = FlowStates.hash(key, 0) | 1;
        int slot = find(key, 0, h);
        int ipLength = p.ipLength();
        if (slot >= 0) {
            add(slot, p, length, ipLength, nanos);
            return 0;
        }
        if (size == capacity) {
            tableFullPackets++;
            tableFullBytes += length;
            return -1;
        }
        slot = insert(h);
        long v = (long) slot * SLOT_INTS * Integer.BYTES + VALUE_AT;
        slotBytes.asSlice(v, FlowRecord.SIZE).fill((byte) 0);
        slotBytes.set(JAVA_LONG_UNALIGNED, v + FlowRecord.PACKETS, 1);
        slotBytes.set(JAVA_LONG_UNALIGNED, v + FlowRecord.BYTES, length);
        slotBytes.set(JAVA_LONG_UNALIGNED, v + FlowRecord.FIRST_NS, nanos);
        slotBytes.set(JAVA_LONG_UNALIGNED, v + FlowRecord.LAST_NS, nanos);
        slotBytes.set(JAVA_LONG_UNALIGNED, v + FlowRecord.IP_BYTES, ipLength);
        slotBytes.set(JAVA_INT_UNALIGNED, v + FlowRecord.MIN_LEN, ipLength);
        slotBytes.set(JAVA_INT_UNALIGNED, v + FlowRecord.MAX_LEN, ipLength);
        slotBytes.set(JAVA_INT_UNALIGNED, v + FlowRecord.TCP_FLAGS, p.tcpFlags());
        slotBytes.set(JAVA_BYTE, v + FlowRecord.DSCP, (byte) p.dscp());
        slotBytes.set(JAVA_BYTE, v + FlowRecord.FRAGMENTS, (byte) (p.fragment() ? 1 : 0));
        p.copyOuterSource(slotBytes, v + FlowRecord.OUTER_SRC);
        p.copyOuterDestination(slotBytes, v + FlowRecord.OUTER_DST);
        return 1;
    }

    /** {@code pl_flow_add}: one more packet on an existing flow. */
    private void add(int slot, PacketFields p, int length, int ipLength, long nanos) {
        long v = (long) slot * SLOT_INTS * Integer.BYTES + VALUE_AT;
        slotBytes.set(JAVA_LONG_UNALIGNED, v + FlowRecord.PACKETS, slotBytes.get(JAVA_LONG_UNALIGNED, v + FlowRecord.PACKETS) + 1);
        slotBytes.set(JAVA_LONG_UNALIGNED, v + FlowRecord.BYTES, slotBytes.get(JAVA_LONG_UNALIGNED, v + FlowRecord.BYTES) + length);
        slotBytes.set(JAVA_LONG_UNALIGNED, v + FlowRecord.IP_BYTES, slotBytes.get(JAVA_LONG_UNALIGNED, v + FlowRecord.IP_BYTES) + ipLength);
        if (ipLength < slotBytes.get(JAVA_INT_UNALIGNED, v + FlowRecord.MIN_LEN)) slotBytes.set(JAVA_INT_UNALIGNED, v + FlowRecord.MIN_LEN, ipLength);
        if (ipLength > slotBytes.get(JAVA_INT_UNALIGNED, v + FlowRecord.MAX_LEN)) slotBytes.set(JAVA_INT_UNALIGNED, v + FlowRecord.MAX_LEN, ipLength);
        int flags = slotBytes.get(JAVA_INT_UNALIGNED, v + FlowRecord.TCP_FLAGS);
        if ((flags | p.tcpFlags()) != flags) slotBytes.set(JAVA_INT_UNALIGNED, v + FlowRecord.TCP_FLAGS, flags | p.tcpFlags());
        if (p.fragment()) slotBytes.set(JAVA_BYTE, v + FlowRecord.FRAGMENTS, (byte) 1);
        slotBytes.set(JAVA_LONG_UNALIGNED, v + FlowRecord.LAST_NS, nanos);
    }

    /** The slot holding the key at {@code base} of {@code words} (hash {@code h}, low bit set), or -1. */
    private int find(int[] words, int base, int h) {
        for (int i = h & mask; hashes[i] != 0; i = (i + 1) & mask) {
            if (hashes[i] == h && Arrays.equals(slots, i * SLOT_INTS, i * SLOT_INTS + KEY_WORDS, words, base, base + KEY_WORDS)) return i;
        }
        return -1;
    }

    /** Puts {@link #key} into a free slot (the caller checked it is not here and there is room). */
    private int insert(int h) {
        int i = h & mask;
        while (hashes[i] != 0) i = (i + 1) & mask;
        hashes[i] = h;
        System.arraycopy(key, 0, slots, i * SLOT_INTS, KEY_WORDS);
        size++;
        return i;
    }

    /** Empties slot {@code i} and moves later entries of its probe run back, so lookups never stop early. */
    private void removeSlot(int i) {
        int hole = i;
        for (int j = (i + 1) & mask; hashes[j] != 0; j = (j + 1) & mask) {
            int home = hashes[j] & mask;
            boolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!stays) {
                hashes[hole] = hashes[j];
                System.arraycopy(slots, j * SLOT_INTS, slots, hole * SLOT_INTS, SLOT_INTS);
                hole = j;
            }
        }
        hashes[hole] = 0;
        size--;
    }

    /** Copies slot {@code i}'s record into {@code out} at word {@code at}. */
    private void copyRecord(int i, long[] out, int at) {
        MemorySegment.copy(slotBytes, JAVA_LONG_UNALIGNED, (long) i * SLOT_INTS * Integer.BYTES + VALUE_AT, out, at, VALUE_WORDS);
    }

    /**
     * Copies every entry into {@code keyOut} / {@code valueOut} (entry i at {@code i * 11} / {@code i * 7}) and, with
     * {@code clear}, empties the table; returns the number of entries. One consistent picture of the table, taken
     * under the lock: the readers wait meanwhile, their rings absorb the frames.
     */
    synchronized int snapshot(int[] keyOut, long[] valueOut, boolean clear) {
        int n = 0;
        for (int i = 0; i <= mask; i++) {
            if (hashes[i] == 0) continue;
            System.arraycopy(slots, i * SLOT_INTS, keyOut, n * KEY_WORDS, KEY_WORDS);
            copyRecord(i, valueOut, n * VALUE_WORDS);
            n++;
        }
        if (clear) {
            Arrays.fill(hashes, 0);
            size = 0;
        }
        return n;
    }

    /** Removes the entry with the key at {@code base} of {@code words}, copying its record into {@code valueOut}. */
    synchronized boolean remove(int[] words, int base, long[] valueOut) {
        int slot = find(words, base, FlowStates.hash(words, base) | 1);
        if (slot < 0) return false;
        copyRecord(slot, valueOut, 0);
        removeSlot(slot);
        return true;
    }

    synchronized Map<OtherKey, Count> otherCounts() {
        return other.counts();
    }

    /** The overflow counters: table full, other table full (no events here). */
    synchronized LossCounters counters(long ringDrops) {
        return new LossCounters(new Count(tableFullPackets, tableFullBytes), new Count(other.fullPackets, other.fullBytes),
                Count.ZERO, Count.ZERO, ringDrops);
    }

    /** A reader of this table for one aggregator: a snapshot per pass, handed out in batches. */
    FlowTableReader reader(int batchSize) {
        return new Reader(Math.max(1, Math.min(batchSize, capacity)));
    }

    private final class Reader implements FlowTableReader {
        private final int batch;
        private final int[] snapKeys = new int[capacity * KEY_WORDS];
        private final long[] snapValues = new long[capacity * VALUE_WORDS];
        private int taken = -1, served;

        Reader(int batch) {
            this.batch = batch;
        }

        @Override
        public int capacity() {
            return batch;
        }

        @Override
        public int valueWords() {
            return VALUE_WORDS;
        }

        @Override
        public boolean perCpu() {
            return false;
        }

        @Override
        public void reset() {
            taken = -1;
            served = 0;
        }

        @Override
        public int next(int[] keyWords, long[] valueWords) {
            return serve(keyWords, valueWords, false);
        }

        @Override
        public int drainNext(int[] keyWords, long[] valueWords) {
            return serve(keyWords, valueWords, true);
        }

        private int serve(int[] keyWords, long[] valueWords, boolean clear) {
            if (taken < 0) taken = snapshot(snapKeys, snapValues, clear);
            int n = Math.min(batch, taken - served);
            if (n <= 0) {
                if (clear) {
                    // what arrived meanwhile is a new pass's, as with the kernel's batch drain
                    reset();
                }
                return 0;
            }
            System.arraycopy(snapKeys, served * KEY_WORDS, keyWords, 0, n * KEY_WORDS);
            System.arraycopy(snapValues, served * VALUE_WORDS, valueWords, 0, n * VALUE_WORDS);
            served += n;
            return n;
        }

        @Override
        public boolean remove(int[] keyWords, int base, long[] value) {
            return PacketFlowTable.this.remove(keyWords, base, value);
        }

        @Override
        public void close() {
        }
    }

    /**
     * {@code flow_other} and its overflow counter: packets and bytes per {@code struct pl_other_key}, packed into a
     * long (ifindex 32 bits, ethertype 16, protocol 8, reason 4, direction 4), at most {@code capacity} keys.
     */
    private static final class OtherTable {
        private final int capacity;
        private final int mask;
        private final long[] keys;
        private final long[] packets, bytes;
        private final boolean[] used;
        private int size;
        long fullPackets, fullBytes;

        OtherTable(int capacity) {
            this.capacity = capacity;
            int slots = Integer.highestOneBit(Math.max(2, capacity * 2 - 1)) << 1;
            this.mask = slots - 1;
            this.keys = new long[slots];
            this.packets = new long[slots];
            this.bytes = new long[slots];
            this.used = new boolean[slots];
        }

        void add(int ifindex, int direction, int ethertype, int proto, int reason, int length) {
            long k = (long) ifindex << 32 | (long) (ethertype & 0xffff) << 16 | (proto & 0xff) << 8 | (reason & 0xf) << 4 | direction & 0xf;
            long h = k * 0x9E3779B97F4A7C15L;
            int i = (int) (h ^ (h >>> 32)) & mask;
            while (used[i] && keys[i] != k) i = (i + 1) & mask;
            if (!used[i]) {
                if (size == capacity) {
                    fullPackets++;
                    fullBytes += length;
                    return;
                }
                used[i] = true;
                keys[i] = k;
                size++;
            }
            packets[i]++;
            bytes[i] += length;
        }

        Map<OtherKey, Count> counts() {
            Map<OtherKey, Count> out = new LinkedHashMap<>();
            for (int i = 0; i <= mask; i++) {
                if (!used[i]) continue;
                long k = keys[i];
                out.put(new OtherKey((int) (k >>> 32), Direction.of((int) k & 0xf), (int) (k >>> 16) & 0xffff, (int) (k >>> 8) & 0xff,
                        OtherReason.of((int) (k >>> 4) & 0xf)), new Count(packets[i], bytes[i]));
            }
            return out;
        }
    }
}
