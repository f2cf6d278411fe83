package io.packetlens.ebpf.perf;

import io.packetlens.ebpf.channels.ChannelsProgram;
import io.packetlens.ebpf.channels.OnCpu;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Samples delivered as (cpu, segment, offset, length): exactly the records each CPU's program runs
 * wrote, in order, at the ring offsets the record sizes predict, and those that ran past the end of
 * the ring from the reassembly buffer; both segments the same objects on every call.
 */
@KernelTest
class RawSampleHandlerTest {
    private static final int PAGES = 2;
    /** Bytes emitted per CPU before a poll: well under the ring, so nothing is dropped. */
    private static final int BURST_BYTES = 6000;
    /** Where raw data starts in a PERF_RECORD_SAMPLE: after the 8-byte perf_event_header and the u32 size. */
    private static final long SAMPLE_DATA = 12;

    private record Delivery(int cpu, MemorySegment area, long offset, int length, byte[] bytes) {}

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }

    /** Bytes a sample of {@code len} raw bytes takes in the ring: header, u32 size, data padded to 8. */
    private static long recordBytes(int len) {
        return 8 + align8(4 + len);
    }

    /** The lengths CPU {@code cpu} emits: two different walks over 1..3000 bytes. */
    private static int length(int cpu, int i) {
        return cpu == 0 ? 1 + (i * 37) % 3000 : 3000 - (i * 53) % 3000;
    }

    @Test
    void samplesOfBothCpusArriveExactlyAndInOrderInTheRingOrTheReassemblyBuffer() throws Exception {
        int perCpu = 700;
        long ringBytes = PerfBufferOptions.wakeupPerEvent(PAGES).ringBytes();
        try (ChannelsProgram prog = ChannelsProgram.perf()) {
            List<Delivery> got = new ArrayList<>();
            RawSampleHandler handler = (cpu, area, offset, length) ->
                    got.add(new Delivery(cpu, area, offset, length, area.asSlice(offset, length).toArray(JAVA_BYTE)));
            try (PerfBufferReader reader = PerfBufferReader.open(prog.events(), PerfBufferOptions.wakeupPerEvent(PAGES), handler, null)) {
                int[] emitted = new int[2];          // per CPU: samples emitted (= the program's next sequence number)
                int[] checked = new int[2];          // per CPU: samples checked
                long[] pos = new long[2];            // per CPU: where the next record starts (data_head starts at 0)
                int[] wrapped = new int[2];
                MemorySegment[] ringArea = new MemorySegment[2], reassembly = new MemorySegment[2];
                while (emitted[0] < perCpu || emitted[1] < perCpu) {
                    int[] burst = new int[2];
                    for (int cpu = 0; cpu < 2; cpu++) {
                        int c = cpu;
                        OnCpu.run(cpu, () -> {
                            long bytes = 0;
                            while (emitted[c] < perCpu && bytes + recordBytes(length(c, emitted[c])) <= BURST_BYTES) {
                                int len = length(c, emitted[c]);
                                prog.emitSized(len);
                                bytes += recordBytes(len);
                                emitted[c]++;
                                burst[c]++;
                            }
                        });
                    }
                    got.clear();
                    assertThat(reader.poll()).as("samples in one poll").isEqualTo(burst[0] + burst[1]);
                    assertThat(got).hasSize(burst[0] + burst[1]);
                    for (Delivery d : got) {
                        int cpu = d.cpu();
                        assertThat(cpu).as("cpu argument").isBetween(0, 1);
                        int i = checked[cpu]++;
                        int len = length(cpu, i);
                        String what = "CPU " + cpu + " sample " + i + " of " + len + " bytes";
                        assertThat(d.length()).as(what + ": length (padded to keep the record 8-byte aligned)").isEqualTo((int) align8(len + 4) - 4);
                        assertThat(Arrays.copyOf(d.bytes(), len)).as(what).isEqualTo(ChannelsProgram.expectedSized(i, cpu, len));
                        assertThat(d.area().isReadOnly()).as(what + ": read-only").isTrue();
                        long off = pos[cpu] & (ringBytes - 1);
                        if (off + recordBytes(len) > ringBytes) {
                            // ran past the end of the ring: copied whole into the reassembly buffer, data after header and size
                            wrapped[cpu]++;
                            if (reassembly[cpu] == null) reassembly[cpu] = d.area();
                            assertThat(d.area()).as(what + ": wrapped, in the reassembly buffer").isSameAs(reassembly[cpu]);
                            assertThat(d.offset()).as(what).isEqualTo(SAMPLE_DATA);
                        } else {
                            if (ringArea[cpu] == null) ringArea[cpu] = d.area();
                            assertThat(d.area()).as(what + ": in place, in the ring").isSameAs(ringArea[cpu]);
                            assertThat(d.area().byteSize()).as("the ring's data area").isEqualTo(ringBytes);
                            assertThat(d.offset()).as(what + ": offset in the ring").isEqualTo(off + SAMPLE_DATA);
                        }
                        pos[cpu] += recordBytes(len);
                    }
                    assertThat(checked).as("samples checked per CPU").containsExactly(emitted[0], emitted[1]);
                }
                assertThat(ringArea[0]).as("CPU 0's ring").isNotSameAs(ringArea[1]);
                assertThat(reassembly[0]).as("CPU 0's reassembly buffer").isNotSameAs(reassembly[1]).isNotSameAs(ringArea[0]);
                assertThat(reassembly[1]).as("CPU 1's reassembly buffer").isNotSameAs(ringArea[1]);
                assertThat(wrapped[0]).as("CPU 0 samples that wrapped past the end of the ring").isGreaterThan(50);
                assertThat(wrapped[1]).as("CPU 1 samples that wrapped past the end of the ring").isGreaterThan(50);
                assertThat(reader.lostTotal()).isZero();
                System.out.printf("perf buffer, raw samples: %s per CPU checked, %s reassembled%n", Arrays.toString(checked), Arrays.toString(wrapped));
            }
            assertThat(prog.lost(ChannelsProgram.LOST_NO_SPACE)).isZero();
        }
    }

}
