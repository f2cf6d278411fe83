package io.packetlens.ebpf;

import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-CPU slots: the kernel's 8-byte rounding, sums and per-CPU reads on heap and native buffers and on a real map. */
class PerCpuTest {
    @Test
    void slotsAreTheValueSizeRoundedUpToEightBytes() {
        assertThat(PerCpu.stride(1)).isEqualTo(8);
        assertThat(PerCpu.stride(8)).isEqualTo(8);
        assertThat(PerCpu.stride(12)).isEqualTo(16);
        assertThat(PerCpu.stride(56)).isEqualTo(56);
        assertThat(PerCpu.size(12)).isEqualTo(PerCpu.cpus() * 16);
        assertThat(PerCpu.cpus()).isPositive();
    }

    @Test
    void sumsAndReadsEveryCpusSlot() {
        int cpus = PerCpu.cpus(), stride = PerCpu.stride(20); // a 20-byte value: {u64 a; u64 b; u32 c} per CPU
        ByteBuffer b = ByteBuffer.allocate(cpus * stride).order(ByteOrder.nativeOrder());
        long sumA = 0, sumB = 0;
        for (int cpu = 0; cpu < cpus; cpu++) {
            b.putLong(cpu * stride, 1000L + cpu).putLong(cpu * stride + 8, (long) cpu << 40).putInt(cpu * stride + 16, -1);
            sumA += 1000L + cpu;
            sumB += (long) cpu << 40;
        }
        MemorySegment heap = MemorySegment.ofArray(b.array());
        assertThat(PerCpu.sumLongs(heap, 0, stride)).isEqualTo(sumA);
        assertThat(PerCpu.sumLongs(heap, 8, stride)).isEqualTo(sumB);
        assertThat(PerCpu.longs(heap, 0, stride)).hasSize(cpus).startsWith(1000L);
        try (Arena arena = Arena.ofConfined()) {
            // at an odd offset in a native buffer, as inside a batch of values
            MemorySegment native_ = arena.allocate(3 + cpus * stride);
            MemorySegment.copy(heap, 0, native_, 3, heap.byteSize());
            assertThat(PerCpu.sumLongs(native_, 3 + 8, stride)).isEqualTo(sumB);
        }
    }

    @Test
    @KernelTest
    void sumsWhatTheKernelHoldsPerCpu() {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_percpu_sum", MapType.PERCPU_ARRAY, 4, 12, 1))) {
            int cpus = PerCpu.cpus(), stride = PerCpu.stride(m.valueSize());
            // {u64 count; u32 tag} per CPU, written in the kernel's per-CPU layout
            ByteBuffer in = ByteBuffer.allocate(cpus * stride).order(ByteOrder.nativeOrder());
            long sum = 0;
            for (int cpu = 0; cpu < cpus; cpu++) {
                in.putLong(cpu * stride, cpu * 3L + 1).putInt(cpu * stride + 8, cpu);
                sum += cpu * 3L + 1;
            }
            m.update(new byte[4], in.array());
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment key = arena.allocate(4), value = arena.allocate(m.lookupValueSize(), 8);
                assertThat(m.lookup(key, value)).isTrue();
                assertThat(m.lookupValueSize()).isEqualTo(PerCpu.size(12));
                assertThat(PerCpu.sumLongs(value, 0, stride)).isEqualTo(sum);
                assertThat(PerCpu.longs(value, 0, stride)).hasSize(cpus).startsWith(1L);
            }
        }
    }
}
