package io.packetlens.ebpf;

import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every common map type created with {@link BpfMap#create}, exercised through element operations on the real kernel. */
@KernelTest
class MapTypesTest {

    static byte[] u32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    static byte[] u64(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte) (v >>> (8 * i));
        return b;
    }

    static int keyInt(byte[] k) {
        return (k[0] & 0xff) | (k[1] & 0xff) << 8 | (k[2] & 0xff) << 16 | (k[3] & 0xff) << 24;
    }

    @Test
    void hashUpdateFlagsLookupDeleteAndIteration() {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_hash", MapType.HASH, 4, 8, 64));
             Arena arena = Arena.ofConfined()) {
            assertThat(m.type()).isEqualTo(MapType.HASH);
            assertThat(m.name()).isEqualTo("t_hash");
            assertThat(m.lookup(u32(1))).isEmpty();

            m.update(u32(1), u64(100), UpdateFlag.NOEXIST);
            assertThat(m.lookup(u32(1))).hasValue(u64(100));
            assertThatThrownBy(() -> m.update(u32(1), u64(101), UpdateFlag.NOEXIST))
                    .isInstanceOf(BpfException.AlreadyExistsException.class)
                    .hasMessageContaining("t_hash").hasMessageContaining("EEXIST");
            assertThat(m.lookup(u32(1))).hasValue(u64(100));

            m.update(u32(1), u64(102), UpdateFlag.EXIST);
            assertThat(m.lookup(u32(1))).hasValue(u64(102));
            assertThatThrownBy(() -> m.update(u32(2), u64(1), UpdateFlag.EXIST))
                    .isInstanceOf(BpfException.NotFoundException.class)
                    .hasMessageContaining("t_hash").hasMessageContaining("ENOENT");
            assertThat(m.lookup(u32(2))).isEmpty();

            m.update(u32(1), u64(103), UpdateFlag.ANY);
            m.update(u32(2), u64(200), UpdateFlag.ANY);
            m.update(u32(3), u64(300));
            assertThat(m.keys()).extracting(MapTypesTest::keyInt).containsExactlyInAnyOrder(1, 2, 3);

            // nextKey walks the same keys: first from null, then until it reports the end
            MemorySegment cur = arena.allocate(4), next = arena.allocate(4);
            Set<Integer> walked = new HashSet<>();
            assertThat(m.nextKey(null, next)).isTrue();
            do {
                walked.add(next.get(JAVA_INT, 0));
                MemorySegment.copy(next, 0, cur, 0, 4);
            } while (m.nextKey(cur, next));
            assertThat(walked).containsExactlyInAnyOrder(1, 2, 3);
            // a key that is not in the map restarts the walk at the first key (kernel semantics for hashes)
            cur.set(JAVA_INT, 0, 999);
            assertThat(m.nextKey(cur, next)).isTrue();
            assertThat(next.get(JAVA_INT, 0)).isIn(1, 2, 3);

            MemorySegment key = arena.allocate(4), value = arena.allocate(8);
            key.set(JAVA_INT, 0, 2);
            assertThat(m.lookupAndDelete(key, value)).isTrue();
            assertThat(value.get(JAVA_LONG, 0)).isEqualTo(200);
            assertThat(m.lookupAndDelete(key, value)).isFalse();
            assertThat(m.lookup(u32(2))).isEmpty();

            assertThat(m.delete(u32(1))).isTrue();
            assertThat(m.delete(u32(1))).isFalse();
            assertThat(m.keys()).extracting(MapTypesTest::keyInt).containsExactly(3);
            assertThat(m.delete(u32(3))).isTrue();
            assertThat(m.keys()).isEmpty();
            assertThat(m.nextKey(null, next)).isFalse();
        }
    }

    @Test
    void hashRefusesInsertsBeyondMaxEntries() {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_full", MapType.HASH, 4, 4, 4))) {
            for (int i = 0; i < 4; i++) m.update(u32(i), u32(i));
            assertThatThrownBy(() -> m.update(u32(4), u32(4)))
                    .isInstanceOf(BpfException.NoSpaceException.class).hasMessageContaining("E2BIG");
            m.update(u32(3), u32(33)); // replacing an existing key still works when full
            assertThat(m.keys()).hasSize(4);
        }
    }

    @Test
    void arrayHasEveryIndexAndCannotDelete() {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_array", MapType.ARRAY, 4, 8, 8))) {
            var t = m.typed(Codec.U32, Codec.U64);
            assertThat(m.keys()).extracting(MapTypesTest::keyInt).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
            for (int i = 0; i < 8; i++) assertThat(t.get(i)).contains(0L);
            t.put(5, 55L);
            t.put(7, 77L, UpdateFlag.EXIST);
            assertThat(t.get(5)).contains(55L);
            assertThat(t.get(7)).contains(77L);
            assertThat(t.get(8)).isEmpty();
            assertThat(t.entries()).hasSize(8).containsEntry(5, 55L).containsEntry(7, 77L).containsEntry(0, 0L);
            // elements of an array always exist: NOEXIST fails, delete is refused, out-of-range keys are "too big"
            assertThatThrownBy(() -> t.put(1, 1L, UpdateFlag.NOEXIST)).isInstanceOf(BpfException.AlreadyExistsException.class);
            assertThatThrownBy(() -> t.remove(1)).isInstanceOf(BpfException.class).hasMessageContaining("EINVAL");
            assertThatThrownBy(() -> t.put(8, 1L)).isInstanceOf(BpfException.NoSpaceException.class);
        }
    }

    @Test
    void percpuArrayHoldsOneValuePerPossibleCpu() {
        int cpus = Cpus.possible();
        try (BpfMap m = BpfMap.create(MapSpec.of("t_pcpu_arr", MapType.PERCPU_ARRAY, 4, 4, 2))) {
            // a 4-byte value occupies an 8-byte slot per CPU
            assertThat(m.lookupValueSize()).isEqualTo(cpus * 8);
            var t = m.typed(Codec.U32, Codec.U32);
            List<Integer> distinct = new ArrayList<>();
            for (int cpu = 0; cpu < cpus; cpu++) distinct.add(1000 + cpu * 7);
            t.putPerCpu(1, distinct);
            assertThat(t.getPerCpu(1)).containsExactlyElementsOf(distinct);
            assertThat(t.getPerCpu(0)).hasSize(cpus).containsOnly(0);
            // the raw value has each CPU's slot at cpu * 8
            byte[] raw = m.lookup(u32(1)).orElseThrow();
            assertThat(raw).hasSize(cpus * 8);
            for (int cpu = 0; cpu < cpus; cpu++) {
                assertThat(MemorySegment.ofArray(raw).get(JAVA_INT.withByteAlignment(1), cpu * 8L)).isEqualTo(1000 + cpu * 7);
            }
            // put() of one value sets every CPU's slot
            t.put(0, 9);
            assertThat(t.getPerCpu(0)).hasSize(cpus).containsOnly(9);
            assertThat(t.entriesPerCpu()).containsEntry(1, distinct);
            assertThatThrownBy(() -> t.get(1)).isInstanceOf(BpfException.class).hasMessageContaining("per-CPU");
        }
    }

    @Test
    void percpuHashHoldsOneValuePerPossibleCpu() {
        int cpus = Cpus.possible();
        try (BpfMap m = BpfMap.create(MapSpec.of("t_pcpu_hash", MapType.PERCPU_HASH, 4, 8, 16))) {
            var t = m.typed(Codec.U32, Codec.U64);
            for (int k = 0; k < 3; k++) {
                List<Long> values = new ArrayList<>();
                for (int cpu = 0; cpu < cpus; cpu++) values.add(((long) k << 32) | cpu);
                t.putPerCpu(k, values);
            }
            for (int k = 0; k < 3; k++) {
                List<Long> got = t.getPerCpu(k);
                assertThat(got).hasSize(cpus);
                for (int cpu = 0; cpu < cpus; cpu++) assertThat(got.get(cpu)).isEqualTo(((long) k << 32) | cpu);
            }
            assertThat(t.getPerCpu(7)).isEmpty();
            assertThat(t.entriesPerCpu()).hasSize(3);
            assertThat(t.remove(1)).isTrue();
            assertThat(t.getPerCpu(1)).isEmpty();
            assertThatThrownBy(() -> t.putPerCpu(9, List.of(1L)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(String.valueOf(cpus));
        }
    }

    @Test
    void lruHashEvictsTheOldestUntouchedKeys() {
        int max = 512;
        // The LRU keeps free nodes on per-CPU lists; pinning this thread to one CPU makes eviction order deterministic.
        CpuAffinity pinned = CpuAffinity.pin(0);
        try (BpfMap m = BpfMap.create(MapSpec.of("t_lru", MapType.LRU_HASH, 4, 4, max))) {
            int firstFill = 384;
            for (int k = 0; k < firstFill; k++) m.update(u32(k), u32(k), UpdateFlag.NOEXIST);
            // touch the first 64 keys: an update of an existing LRU element marks it referenced
            Set<Integer> touched = new TreeSet<>();
            for (int k = 0; k < 64; k++) {
                m.update(u32(k), u32(k + 1), UpdateFlag.EXIST);
                touched.add(k);
            }
            int last = 1400; // well beyond max_entries: an LRU hash never reports "full", it evicts
            for (int k = firstFill; k < last; k++) m.update(u32(k), u32(k), UpdateFlag.NOEXIST);

            Set<Integer> present = new TreeSet<>();
            for (byte[] k : m.keys()) present.add(keyInt(k));
            assertThat(present.size()).isLessThanOrEqualTo(max).isGreaterThan(max / 2);
            // the newest keys are all there, the touched ones survived, and what went is the oldest untouched
            for (int k = last - 64; k < last; k++) assertThat(present).contains(k);
            assertThat(present).containsAll(touched);
            List<Integer> untouchedPresent = present.stream().filter(k -> !touched.contains(k)).toList();
            int oldestKept = untouchedPresent.getFirst();
            assertThat(oldestKept).isGreaterThan(firstFill); // every untouched key of the first fill is gone
            for (int k = oldestKept; k < last; k++) {
                assertThat(present).as("keys newer than the oldest kept one stay (%d)", k).contains(k);
            }
            for (int k = 0; k < last; k++) {
                if (present.contains(k)) assertThat(m.lookup(u32(k))).isPresent();
            }
        } finally {
            pinned.close();
        }
    }

    /** struct { __u32 prefixlen; __u8 addr[4]; }: the address bytes in network order, as the trie compares them. */
    record Lpm4(int prefixLen, @Codec.BigEndian int addr) {
        static Lpm4 of(String cidr) {
            String[] p = cidr.split("/");
            String[] o = p[0].split("\\.");
            int a = 0;
            for (String s : o) a = a << 8 | Integer.parseInt(s);
            return new Lpm4(p.length > 1 ? Integer.parseInt(p[1]) : 32, a);
        }
    }

    @Test
    void lpmTrieReturnsTheLongestMatchingPrefix() {
        MapSpec spec = MapSpec.of("t_lpm", MapType.LPM_TRIE, 8, 4, 16).flags(MapSpec.F_NO_PREALLOC);
        try (BpfMap m = BpfMap.create(spec)) {
            var t = m.typed(Codec.ofRecord(Lpm4.class), Codec.U32);
            t.put(Lpm4.of("10.0.0.0/8"), 8);
            t.put(Lpm4.of("10.1.0.0/16"), 16);
            t.put(Lpm4.of("10.1.2.0/24"), 24);
            assertThat(t.remove(Lpm4.of("10.1.2.0/24"))).isTrue();

            assertThat(t.get(Lpm4.of("10.1.2.3/32"))).contains(16);
            assertThat(t.get(Lpm4.of("10.1.255.255"))).contains(16);
            assertThat(t.get(Lpm4.of("10.2.0.1/32"))).contains(8);
            assertThat(t.get(Lpm4.of("10.255.0.1"))).contains(8);
            assertThat(t.get(Lpm4.of("11.0.0.1/32"))).isEmpty();
            assertThat(t.get(Lpm4.of("192.168.0.1/32"))).isEmpty();
            // keys and entries are the stored prefixes (LPM tries have no batch operations: this walks the keys)
            assertThat(t.entries()).containsOnly(
                    java.util.Map.entry(Lpm4.of("10.0.0.0/8"), 8), java.util.Map.entry(Lpm4.of("10.1.0.0/16"), 16));
            assertThat(m.keys()).hasSize(2);
        }
    }

    @Test
    void lpmTrieWithoutNoPreallocGivesAClearError() {
        assertThatThrownBy(() -> BpfMap.create(MapSpec.of("t_lpm_bad", MapType.LPM_TRIE, 8, 4, 16)))
                .isInstanceOf(BpfException.class)
                .hasMessageContaining("t_lpm_bad").hasMessageContaining("EINVAL")
                .hasMessageContaining("BPF_F_NO_PREALLOC");
    }
}
