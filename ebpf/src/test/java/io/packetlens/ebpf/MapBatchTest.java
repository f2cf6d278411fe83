package io.packetlens.ebpf;

import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.BitSet;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The BPF_MAP_*_BATCH commands through {@link MapBatch}, on a hash map of 100,000 entries and on a per-CPU hash. */
@KernelTest
class MapBatchTest {
    private static final int ENTRIES = 100_000;
    private static final int BATCH = 8192;

    private static long valueOf(int key) {
        return (long) key * 0x9E3779B97F4A7C15L;
    }

    /** Fills the map with keys [from, to) through update batches; returns how many the kernel reported written. */
    private static int fill(MapBatch b, int from, int to) {
        int written = 0;
        for (int start = from; start < to; start += b.capacity()) {
            int n = Math.min(b.capacity(), to - start);
            for (int i = 0; i < n; i++) {
                b.keys().set(JAVA_INT, (long) i * 4, start + i);
                b.values().set(JAVA_LONG, (long) i * 8, valueOf(start + i));
            }
            written += b.update(n);
        }
        return written;
    }

    /** Reads every entry with lookup (or lookup-and-delete) batches, checking each value; returns the keys seen. */
    private static BitSet drain(MapBatch b, boolean delete) {
        BitSet seen = new BitSet(ENTRIES);
        b.reset();
        int n, calls = 0;
        do {
            n = delete ? b.lookupAndDeleteNext() : b.lookupNext();
            calls++;
            assertThat(n).isBetween(0, b.capacity());
            for (int i = 0; i < n; i++) {
                int key = b.keys().get(JAVA_INT, (long) i * 4);
                assertThat(seen.get(key)).as("key %d returned twice", key).isFalse();
                seen.set(key);
                assertThat(b.values().get(JAVA_LONG, (long) i * 8)).as("value of key %d", key).isEqualTo(valueOf(key));
            }
        } while (n > 0);
        assertThat(calls).isGreaterThan(1);
        return seen;
    }

    @Test
    void hashOfAHundredThousandEntries() {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_batch", MapType.HASH, 4, 8, ENTRIES));
             MapBatch b = m.batch(BATCH)) {
            assertThat(fill(b, 0, ENTRIES)).isEqualTo(ENTRIES);
            // a full map refuses one more
            b.keys().set(JAVA_INT, 0, ENTRIES);
            assertThatThrownBy(() -> b.update(1, UpdateFlag.ANY)).isInstanceOf(BpfException.NoSpaceException.class)
                    .hasMessageContaining("t_batch");
            // the kernel's batch update only creates or replaces: NOEXIST and EXIST are refused before the call
            assertThatThrownBy(() -> b.update(1, UpdateFlag.NOEXIST)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("t_batch").hasMessageContaining("NOEXIST");
            assertThatThrownBy(() -> b.update(b.capacity() + 1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("capacity");

            BitSet all = drain(b, false);
            assertThat(all.cardinality()).isEqualTo(ENTRIES);
            assertThat(all.nextClearBit(0)).isEqualTo(ENTRIES);
            // element lookups agree with what the batches returned
            assertThat(m.lookup(MapTypesTest.u32(12345))).hasValue(MapTypesTest.u64(valueOf(12345)));

            // delete the even keys with delete batches
            int deleted = 0;
            for (int start = 0; start < ENTRIES; start += 2 * b.capacity()) {
                int n = 0;
                for (int k = start; k < Math.min(ENTRIES, start + 2 * b.capacity()); k += 2) b.keys().set(JAVA_INT, (long) n++ * 4, k);
                deleted += b.delete(n);
            }
            assertThat(deleted).isEqualTo(ENTRIES / 2);
            assertThat(m.lookup(MapTypesTest.u32(12344))).isEmpty();
            assertThat(m.lookup(MapTypesTest.u32(12345))).isPresent();
            // deleting an absent key is reported, with the count of those deleted before it
            b.keys().set(JAVA_INT, 0, 1);
            b.keys().set(JAVA_INT, 4, 0);
            assertThatThrownBy(() -> b.delete(2)).isInstanceOf(BpfException.NotFoundException.class)
                    .hasMessageContaining("1 of 2 deleted");

            // the odd keys but 1 remain; lookup-and-delete batches return them all and empty the map
            BitSet rest = drain(b, true);
            BitSet expected = new BitSet();
            for (int k = 3; k < ENTRIES; k += 2) expected.set(k);
            assertThat(rest).isEqualTo(expected);
            assertThat(m.keys()).isEmpty();
            b.reset();
            assertThat(b.lookupNext()).isZero();
        }
    }

    @Test
    void perCpuHashBatchesCarryEveryCpusValue() {
        int cpus = Cpus.possible();
        int entries = 1000;
        try (BpfMap m = BpfMap.create(MapSpec.of("t_batch_pcpu", MapType.PERCPU_HASH, 4, 8, entries));
             MapBatch b = m.batch(256)) {
            assertThat(b.valueStride()).isEqualTo(cpus * 8);
            for (int start = 0; start < entries; start += b.capacity()) {
                int n = Math.min(b.capacity(), entries - start);
                for (int i = 0; i < n; i++) {
                    b.keys().set(JAVA_INT, (long) i * 4, start + i);
                    for (int cpu = 0; cpu < cpus; cpu++) {
                        b.values().set(JAVA_LONG, (long) i * b.valueStride() + cpu * 8L, (start + i) * 100L + cpu);
                    }
                }
                assertThat(b.update(n)).isEqualTo(n);
            }
            var typed = m.typed(Codec.U32, Codec.U64);
            assertThat(typed.getPerCpu(42)).hasSize(cpus).first().isEqualTo(4200L);
            assertThat(typed.getPerCpu(42).getLast()).isEqualTo(4200L + cpus - 1);

            BitSet seen = new BitSet();
            b.reset();
            int n;
            do {
                n = b.lookupAndDeleteNext();
                for (int i = 0; i < n; i++) {
                    int key = b.keys().get(JAVA_INT, (long) i * 4);
                    seen.set(key);
                    for (int cpu = 0; cpu < cpus; cpu++) {
                        assertThat(b.values().get(JAVA_LONG, (long) i * b.valueStride() + cpu * 8L)).isEqualTo(key * 100L + cpu);
                    }
                }
            } while (n > 0);
            assertThat(seen.cardinality()).isEqualTo(entries);
            assertThat(m.keys()).isEmpty();
        }
    }

    @Test
    void forEachVisitsEveryEntryAndFallsBackForTypesWithoutBatches() {
        try (BpfMap hash = BpfMap.create(MapSpec.of("t_each", MapType.HASH, 4, 8, 10_000))) {
            try (MapBatch b = hash.batch(1024)) {
                for (int i = 0; i < 1024; i++) {
                    b.keys().set(JAVA_INT, i * 4L, i);
                    b.values().set(JAVA_LONG, i * 8L, valueOf(i));
                }
                b.update(1024);
            }
            BitSet seen = new BitSet();
            hash.forEach((k, v) -> {
                seen.set(k.get(JAVA_INT, 0));
                assertThat(v.get(JAVA_LONG, 0)).isEqualTo(valueOf(k.get(JAVA_INT, 0)));
            });
            assertThat(seen.cardinality()).isEqualTo(1024);
        }
        // device maps have no batch commands: forEach walks the keys instead
        try (BpfMap devmap = BpfMap.create(MapSpec.of("t_each_dev", MapType.DEVMAP, 4, 4, 8))) {
            var t = devmap.typed(Codec.U32, Codec.U32);
            t.put(3, 1); // ifindex 1: the loopback device of this namespace
            t.put(6, 1);
            try (MapBatch b = devmap.batch(4)) {
                assertThatThrownBy(b::lookupNext).isInstanceOf(BpfException.class)
                        .hasMessageContaining("t_each_dev").hasMessageContaining("unsupported for DEVMAP");
            }
            assertThat(t.entries()).containsOnly(java.util.Map.entry(3, 1), java.util.Map.entry(6, 1));
        }
    }
}
