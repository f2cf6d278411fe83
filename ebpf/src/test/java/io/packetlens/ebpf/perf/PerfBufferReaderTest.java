package io.packetlens.ebpf.perf;

import io.packetlens.ebpf.EpollReader;
import io.packetlens.ebpf.channels.ChannelsProgram;
import io.packetlens.ebpf.channels.OnCpu;
import io.packetlens.ebpf.channels.SequenceCheck;
import io.packetlens.lab.OpenFds;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.packetlens.ebpf.channels.ChannelsProgram.LOST_NO_READER;
import static io.packetlens.ebpf.channels.ChannelsProgram.LOST_NO_SPACE;
import static io.packetlens.ebpf.channels.ChannelsProgram.SEQ_EVENT_BYTES;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;

/** The perf buffer reader against real BPF output events written by a program run with BPF_PROG_TEST_RUN. */
@KernelTest
class PerfBufferReaderTest {
    private static final PerfBufferOptions ONE_PAGE_PER_EVENT = PerfBufferOptions.wakeupPerEvent(1);

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }

    /** Bytes a sample of {@code len} raw bytes takes in the ring: header, u32 size, data padded to 8. */
    private static long sampleRecordBytes(int len) {
        return 8 + align8(4 + len);
    }

    @Test
    void samplesOfManySizesArriveIntactIncludingOnesReassembledAcrossTheRingEnd() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.perf()) {
            List<byte[]> got = new ArrayList<>();
            try (PerfBufferReader reader = PerfBufferReader.open(prog.events(), ONE_PAGE_PER_EVENT, r -> got.add(r.toArray(JAVA_BYTE)), null)) {
                int[] wrapped = {0};
                OnCpu.run(0, () -> {
                    long pos = 0;
                    for (int len = 1; len <= 3000; len++) {
                        prog.emitSized(len);
                        got.clear();
                        assertThat(reader.poll()).as("samples for len %d", len).isEqualTo(1);
                        byte[] sample = got.getFirst();
                        // the kernel pads raw data so the record stays 8-byte aligned
                        assertThat(sample.length).isEqualTo((int) align8(len + 4) - 4);
                        assertThat(Arrays.copyOf(sample, len)).as("sample of %d bytes", len).isEqualTo(ChannelsProgram.expectedSized(len - 1, 0, len));
                        if ((pos & 4095) + sampleRecordBytes(len) > 4096) wrapped[0]++;
                        pos += sampleRecordBytes(len);
                    }
                });
                assertThat(wrapped[0]).as("samples that wrapped past the end of the ring").isGreaterThan(500);
                assertThat(reader.lostTotal()).isZero();
            }
        }
    }

    @Test
    void lostSamplesAreReportedPerCpu() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.perf()) {
            List<Long> seqs = new ArrayList<>();
            List<String> lostReports = new ArrayList<>();
            try (PerfBufferReader reader = PerfBufferReader.open(prog.events(), ONE_PAGE_PER_EVENT,
                    r -> seqs.add(r.get(JAVA_LONG_UNALIGNED, 0)), (cpu, count) -> lostReports.add(cpu + ":" + count))) {
                int fit = (int) (4096 / sampleRecordBytes(SEQ_EVENT_BYTES)); // 85 records of 48 bytes
                OnCpu.run(1, () -> prog.emitFixed(500, 0));
                assertThat(reader.poll()).isEqualTo(fit);
                assertThat(prog.lostPerCpu(LOST_NO_SPACE)[1]).isEqualTo(500 - fit);
                // the kernel writes PERF_RECORD_LOST ahead of the next sample that fits
                assertThat(reader.lostTotal()).isZero();
                OnCpu.run(1, () -> prog.emitFixed(1, 0));
                assertThat(reader.poll()).isEqualTo(1);
                assertThat(reader.lost(1)).isEqualTo(500 - fit);
                assertThat(reader.lost(0)).isZero();
                assertThat(reader.lostPerCpu()[1]).isEqualTo(500 - fit);
                assertThat(lostReports).containsExactly("1:" + (500 - fit));
                assertThat(seqs).hasSize(fit + 1);
                assertThat(seqs.getLast()).isEqualTo(500L);
            }
        }
    }

    @Test
    void pausedReaderTakesNoSamplesAndTheProgramCountsThem() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.perf()) {
            AtomicInteger count = new AtomicInteger();
            try (PerfBufferReader reader = PerfBufferReader.open(prog.events(), r -> count.incrementAndGet())) {
                reader.pause();
                OnCpu.run(0, () -> prog.emitFixed(10, 0));
                assertThat(reader.poll()).isZero();
                assertThat(prog.lostPerCpu(LOST_NO_READER)[0]).isEqualTo(10);
                reader.resume();
                OnCpu.run(0, () -> prog.emitFixed(5, 0));
                assertThat(reader.poll()).isEqualTo(5);
            }
            // closing removed the map entries: nothing receives output any more, and it is counted
            OnCpu.run(0, () -> prog.emitFixed(3, 0));
            assertThat(prog.lostPerCpu(LOST_NO_READER)[0]).isEqualTo(13);
        }
    }

    @Test
    void wakeupPolicyDecidesWhenABlockedReadReturns() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.perf()) {
            // woken per event: the read returns as soon as the sample is written
            try (PerfBufferReader reader = PerfBufferReader.open(prog.events(), PerfBufferOptions.wakeupPerEvent(4), r -> { }, null)) {
                assertThat(timedRead(prog, reader)).isLessThan(2_500);
            }
            // a watermark above one sample: no wakeup, the read drains the ring when its timeout expires
            try (PerfBufferReader reader = PerfBufferReader.open(prog.events(), PerfBufferOptions.wakeupPerEvent(4).watermarkBytes(8192), r -> { }, null)) {
                assertThat(timedRead(prog, reader)).isGreaterThanOrEqualTo(4_900);
            }
        }
    }

    /** Emits one sample 100 ms into a read with a 5 s timeout; returns how long the read took (ms), having checked it got the sample. */
    private static long timedRead(ChannelsProgram prog, PerfBufferReader reader) throws Exception {
        Thread producer = OnCpu.start(0, () -> {
            Thread.sleep(100);
            prog.emitFixed(1, 0);
        });
        long t0 = System.nanoTime();
        int n = reader.read(5_000);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        OnCpu.join(producer);
        assertThat(n).isEqualTo(1);
        return ms;
    }

    @Test
    void closeWakesABlockedReadLongBeforeItsTimeout() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.perf()) {
            PerfBufferReader reader = PerfBufferReader.open(prog.events(), r -> { });
            AtomicInteger result = new AtomicInteger(Integer.MIN_VALUE);
            AtomicLong returnedAt = new AtomicLong();
            AtomicBoolean entered = new AtomicBoolean();
            Thread blocked = new Thread(() -> {
                entered.set(true);
                result.set(reader.read(10_000));
                returnedAt.set(System.nanoTime());
            });
            blocked.start();
            while (!entered.get()) Thread.onSpinWait();
            Thread.sleep(300);
            long start = System.nanoTime();
            reader.close();
            blocked.join(10_000);
            assertThat(result.get()).isEqualTo(EpollReader.CLOSED);
            // well under the read's 10 s timeout (about 1 ms on a quiet machine; the bound allows a loaded one)
            assertThat((returnedAt.get() - start) / 1_000_000).isLessThan(2_000);
        }
    }

    @Test
    void producersOnBothCpusDeliverExactlyTheirSequencesApartFromCountedDrops() throws Exception {
        int perCpu = 300_000;
        try (ChannelsProgram prog = ChannelsProgram.perf()) {
            SequenceCheck check = new SequenceCheck(2);
            try (PerfBufferReader reader = PerfBufferReader.open(prog.events(), PerfBufferOptions.defaults().pagesPerCpu(16).watermarkFraction(4),
                    r -> check.accept(r.get(JAVA_INT_UNALIGNED, 8), r.get(JAVA_LONG_UNALIGNED, 0)), null)) {
                AtomicBoolean done = new AtomicBoolean();
                Thread consumer = new Thread(() -> {
                    while (!done.get()) reader.read(20);
                    reader.poll();
                });
                consumer.start();
                Thread p0 = OnCpu.start(0, () -> { for (int i = 0; i < perCpu / 10_000; i++) prog.emitFixed(10_000, 0); });
                Thread p1 = OnCpu.start(1, () -> { for (int i = 0; i < perCpu / 10_000; i++) prog.emitFixed(10_000, 0); });
                OnCpu.join(p0);
                OnCpu.join(p1);
                done.set(true);
                consumer.join();
                long[] dropped = prog.lostPerCpu(LOST_NO_SPACE);
                long[] reported = reader.lostPerCpu();
                for (int cpu = 0; cpu < 2; cpu++) {
                    check.assertExact(cpu, perCpu, dropped[cpu]);
                    // perf reports a loss only ahead of a later sample, so it can lag the program's count, never exceed it
                    assertThat(reported[cpu]).isLessThanOrEqualTo(dropped[cpu]);
                }
                System.out.printf("perf buffer, 2 CPUs x %d: delivered %s, dropped %s, PERF_RECORD_LOST %s%n", perCpu,
                        Arrays.toString(check.delivered()), Arrays.toString(dropped), Arrays.toString(reported));
            }
        }
    }

    @Test
    void openingAndClosingReadersLeaksNoDescriptors() {
        try (ChannelsProgram prog = ChannelsProgram.perf()) {
            PerfBufferReader.open(prog.events(), r -> { }).close();
            int before = OpenFds.count();
            for (int i = 0; i < 20; i++) {
                PerfBufferReader r = PerfBufferReader.open(prog.events(), x -> { });
                r.poll();
                r.close();
                r.close();
            }
            assertThat(OpenFds.count()).isEqualTo(before);
        }
    }

    @Test
    void limitedReadsTakeTheCpusRingsInTurnSoNoneIsStarved() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.perf()) {
            List<Integer> cpus = new ArrayList<>();
            try (PerfBufferReader reader = PerfBufferReader.open(prog.events(), r -> cpus.add(r.get(JAVA_INT_UNALIGNED, 8)))) {
                assertThat(reader.cpus()).startsWith(0, 1);
                OnCpu.run(0, () -> prog.emitFixed(100, 0));
                OnCpu.run(1, () -> prog.emitFixed(100, 0));
                // each call stops at the limit inside one CPU's ring; the next one starts with the next CPU's
                List<Integer> firstOfEachCall = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    cpus.clear();
                    assertThat(reader.poll(10)).isEqualTo(10);
                    assertThat(cpus).as("one ring's samples per call").containsOnly(cpus.getFirst());
                    firstOfEachCall.add(cpus.getFirst());
                }
                assertThat(firstOfEachCall).containsExactly(0, 1, 0, 1);
                assertThat(reader.read(1000, 500)).isEqualTo(200 - 40);
            }
        }
    }
}
