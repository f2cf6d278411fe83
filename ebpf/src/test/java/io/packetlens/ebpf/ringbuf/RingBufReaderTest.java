package io.packetlens.ebpf.ringbuf;

import io.packetlens.ebpf.EpollReader;
import io.packetlens.ebpf.channels.ChannelsProgram;
import io.packetlens.ebpf.channels.OnCpu;
import io.packetlens.ebpf.channels.SequenceCheck;
import io.packetlens.lab.OpenFds;
import io.packetlens.testkit.KernelTest;
import com.sun.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static io.packetlens.ebpf.channels.ChannelsProgram.LOST_NO_SPACE;
import static io.packetlens.ebpf.channels.ChannelsProgram.SEQ_EVENT_BYTES;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ring buffer reader against real BPF ring buffers filled by a program run with BPF_PROG_TEST_RUN. */
@KernelTest
class RingBufReaderTest {

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }

    @Test
    void recordsOfEverySizeUpToTheRingLimitArriveIntactIncludingWrappedOnes() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.ring(4096)) {
            List<byte[]> got = new ArrayList<>();
            try (RingBufReader reader = RingBufReader.open(prog.events(), r -> got.add(r.toArray(JAVA_BYTE)))) {
                RingBuf ring = reader.rings().getFirst();
                int limit = ring.maxRecordSize();
                assertThat(limit).isEqualTo(4096 - 16);
                int[] wrapped = {0};
                OnCpu.run(0, () -> {
                    long pos = 0;
                    for (int len = 1; len <= limit; len++) {
                        prog.emitSized(len);
                        got.clear();
                        assertThat(reader.poll()).as("records for len %d", len).isEqualTo(1);
                        assertThat(got.getFirst()).as("record of %d bytes", len).isEqualTo(ChannelsProgram.expectedSized(len - 1, 0, len));
                        if ((pos & 4095) + RingBuf.HEADER_BYTES + len > 4096) wrapped[0]++;
                        pos += align8(RingBuf.HEADER_BYTES + len);
                        assertThat(ring.consumerPosition()).isEqualTo(pos);
                    }
                    // one byte more than the ring can take is refused by the kernel, and counted
                    prog.emitSized(limit + 1);
                    assertThat(reader.poll()).isZero();
                });
                assertThat(wrapped[0]).as("records that wrapped past the end of the ring").isGreaterThan(1000);
                assertThat(prog.lostPerCpu(LOST_NO_SPACE)[0]).isEqualTo(1);
            }
        }
    }

    @Test
    void wrappedRecordsAreContiguousViewsOfTheDoubleMappedRing() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.ring(4096)) {
            List<Long> spans = new ArrayList<>();
            List<byte[]> got = new ArrayList<>();
            try (RingBufReader reader = RingBufReader.open(prog.events(), r -> {
                spans.add(r.byteSize());
                got.add(r.toArray(JAVA_BYTE));
            })) {
                OnCpu.run(0, () -> {
                    // 3 x 1000-byte records (1008 each with header) put the 4th one across the end
                    for (int i = 0; i < 3; i++) prog.emitSized(1000);
                    assertThat(reader.poll()).isEqualTo(3);
                    prog.emitSized(1500);
                    assertThat(reader.poll()).isEqualTo(1);
                });
                assertThat(3 * 1008 + RingBuf.HEADER_BYTES + 1500).isGreaterThan(4096);
                assertThat(got.getLast()).isEqualTo(ChannelsProgram.expectedSized(3, 0, 1500));
                assertThat(spans.getLast()).isEqualTo(1500);
            }
        }
    }

    @Test
    void discardedRecordsAreSkipped() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.ring(64 * 1024)) {
            List<Long> seqs = new ArrayList<>();
            try (RingBufReader reader = RingBufReader.open(prog.events(), r -> seqs.add(r.get(JAVA_LONG_UNALIGNED, 0)))) {
                OnCpu.run(0, () -> prog.emitFixed(100, ChannelsProgram.DISCARD_ODD));
                assertThat(reader.poll()).isEqualTo(50);
                assertThat(seqs).hasSize(50).allMatch(s -> s % 2 == 0);
                assertThat(seqs.getLast()).isEqualTo(98);
                RingBuf ring = reader.rings().getFirst();
                // the discarded records' space was consumed too
                assertThat(ring.consumerPosition()).isEqualTo(100 * align8(RingBuf.HEADER_BYTES + SEQ_EVENT_BYTES));
                assertThat(ring.backlogBytes()).isZero();
            }
        }
    }

    @Test
    void aFullRingProducesCountedDropsNotSilence() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.ring(4096)) {
            List<Long> seqs = new ArrayList<>();
            try (RingBufReader reader = RingBufReader.open(prog.events(), r -> seqs.add(r.get(JAVA_LONG_UNALIGNED, 0)))) {
                OnCpu.run(1, () -> prog.emitFixed(1000, 0));
                int fit = (int) ((4096 - 1) / align8(RingBuf.HEADER_BYTES + SEQ_EVENT_BYTES)); // 102 records of 40 bytes
                assertThat(reader.rings().getFirst().backlogBytes()).isEqualTo(fit * 40L);
                assertThat(reader.poll()).isEqualTo(fit);
                assertThat(prog.lostPerCpu(LOST_NO_SPACE)[1]).isEqualTo(1000 - fit);
                assertThat(prog.lostPerCpu(LOST_NO_SPACE)[0]).isZero();
                // the first `fit` attempts were delivered in order; space is usable again once consumed
                assertThat(seqs).hasSize(fit).first().isEqualTo(0L);
                assertThat(seqs.getLast()).isEqualTo(fit - 1L);
                OnCpu.run(1, () -> prog.emitFixed(1, 0));
                assertThat(reader.poll()).isEqualTo(1);
                assertThat(seqs.getLast()).isEqualTo(1000L);
            }
        }
    }

    @Test
    void closeWakesABlockedReadLongBeforeItsTimeout() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.ring(4096)) {
            RingBufReader reader = RingBufReader.open(prog.events(), r -> { });
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
            // wait until the reader thread sits in epoll_wait (a native frame, reported as RUNNABLE): give it time
            Thread.sleep(300);
            assertThat(blocked.isAlive()).isTrue();
            long start = System.nanoTime();
            reader.close();
            long closeTook = System.nanoTime() - start;
            blocked.join(10_000);
            assertThat(blocked.isAlive()).isFalse();
            assertThat(result.get()).isEqualTo(EpollReader.CLOSED);
            // well under the read's 10 s timeout (about 1 ms on a quiet machine; the bound allows a loaded one)
            assertThat((returnedAt.get() - start) / 1_000_000).as("ms until the blocked read returned").isLessThan(2_000);
            assertThat(closeTook / 1_000_000).as("ms close took").isLessThan(2_000);
            assertThat(reader.read(0)).isEqualTo(EpollReader.CLOSED);
            assertThat(reader.poll()).isEqualTo(EpollReader.CLOSED);
        }
    }

    @Test
    void blockingReadWakesForNewRecordsAndTimesOutWithoutThem() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.ring(4096)) {
            AtomicInteger count = new AtomicInteger();
            try (RingBufReader reader = RingBufReader.open(prog.events(), r -> count.incrementAndGet())) {
                long t0 = System.nanoTime();
                assertThat(reader.read(150)).isZero();
                assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(140L, 3_000L);
                Thread producer = OnCpu.start(0, () -> {
                    Thread.sleep(100);
                    prog.emitFixed(3, 0);
                });
                t0 = System.nanoTime();
                int n = reader.read(5_000);
                long waited = (System.nanoTime() - t0) / 1_000_000;
                OnCpu.join(producer);
                assertThat(n).isBetween(1, 3);
                assertThat(waited).isLessThan(2_000);
                while (count.get() < 3) reader.read(1000);
                assertThat(count.get()).isEqualTo(3);
            }
        }
    }

    @Test
    void severalRingBuffersShareOneEpollLoop() throws Exception {
        try (ChannelsProgram a = ChannelsProgram.ring(4096); ChannelsProgram b = ChannelsProgram.ring(8192);
             RingBufReader reader = new RingBufReader()) {
            List<String> got = new ArrayList<>();
            reader.add(a.events(), r -> got.add("a" + r.get(JAVA_LONG_UNALIGNED, 0)));
            reader.add(b.events(), r -> got.add("b" + r.get(JAVA_LONG_UNALIGNED, 0)));
            assertThat(reader.rings()).extracting(RingBuf::size).containsExactly(4096, 8192);
            OnCpu.run(0, () -> {
                b.emitFixed(2, 0);
                assertThat(reader.read(1000)).isEqualTo(2);
                a.emitFixed(1, 0);
                b.emitFixed(1, 0);
            });
            while (got.size() < 4) assertThat(reader.read(1000)).isPositive();
            assertThat(got).containsExactlyInAnyOrder("b0", "b1", "a0", "b2");
        }
    }

    @Test
    void producersOnBothCpusDeliverExactlyTheirSequencesApartFromCountedDrops() throws Exception {
        int perCpu = 300_000;
        try (ChannelsProgram prog = ChannelsProgram.ring(64 * 1024)) {
            SequenceCheck check = new SequenceCheck(2);
            try (RingBufReader reader = RingBufReader.open(prog.events(), r -> check.accept(
                    r.get(JAVA_INT_UNALIGNED, 8), r.get(JAVA_LONG_UNALIGNED, 0)))) {
                AtomicBoolean done = new AtomicBoolean();
                Thread consumer = new Thread(() -> {
                    while (!done.get()) reader.read(50);
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
                for (int cpu = 0; cpu < 2; cpu++) {
                    check.assertExact(cpu, perCpu, dropped[cpu]);
                }
                System.out.printf("ring buffer, 2 CPUs x %d: delivered %s, dropped %s%n", perCpu,
                        java.util.Arrays.toString(check.delivered()), java.util.Arrays.toString(dropped));
            }
        }
    }

    @Test
    void openingAndClosingReadersLeaksNoDescriptors() {
        try (ChannelsProgram prog = ChannelsProgram.ring(4096)) {
            RingBufReader.open(prog.events(), r -> { }).close();
            int before = OpenFds.count();
            for (int i = 0; i < 50; i++) {
                RingBufReader r = RingBufReader.open(prog.events(), x -> { });
                r.poll();
                r.close();
                r.close();
            }
            assertThat(OpenFds.count()).isEqualTo(before);
        }
    }

    @Test
    void limitedReadsStopAtTheLimitAndLeaveTheRestForTheNextCall() throws Exception {
        try (ChannelsProgram prog = ChannelsProgram.ring(64 * 1024)) {
            List<Long> seqs = new ArrayList<>();
            try (RingBufReader reader = RingBufReader.open(prog.events(), r -> seqs.add(r.get(JAVA_LONG_UNALIGNED, 0)))) {
                RingBuf ring = reader.rings().getFirst();
                long record = align8(RingBuf.HEADER_BYTES + SEQ_EVENT_BYTES);
                OnCpu.run(0, () -> prog.emitFixed(10, 0));
                assertThat(reader.poll(3)).isEqualTo(3);
                assertThat(ring.consumerPosition()).as("committed up to the third record only").isEqualTo(3 * record);
                assertThat(reader.read(1000, 4)).isEqualTo(4);
                assertThat(reader.poll()).isEqualTo(3);
                assertThat(seqs).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
                assertThat(ring.backlogBytes()).isZero();
                assertThatThrownBy(() -> reader.poll(0)).isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    @Test
    void limitedReadsOfSeveralRingsTakeTurnsSoNoneIsStarved() throws Exception {
        try (ChannelsProgram a = ChannelsProgram.ring(64 * 1024); ChannelsProgram b = ChannelsProgram.ring(64 * 1024);
             RingBufReader reader = new RingBufReader()) {
            List<String> got = new ArrayList<>();
            reader.add(a.events(), r -> got.add("a"));
            reader.add(b.events(), r -> got.add("b"));
            OnCpu.run(0, () -> {
                a.emitFixed(100, 0);
                b.emitFixed(100, 0);
            });
            // each call stops at the limit inside one ring; the next one starts with the other ring
            List<String> firstOfEachCall = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                got.clear();
                assertThat(reader.poll(10)).isEqualTo(10);
                firstOfEachCall.add(got.getFirst());
            }
            assertThat(firstOfEachCall).containsExactly("a", "b", "a", "b");
            assertThat(reader.poll()).isEqualTo(200 - 40);
        }
    }

    @Test
    void rangeHandlersAllocateNothingPerRecordEvenWhereTheJitCannotInlineThem() throws Exception {
        // the consuming thread's allocation counter over 100,000 records; one object per record would be >= 1.6 MB
        int perRound = 5000, warmupRounds = 40, measuredRounds = 20;
        try (ChannelsProgram prog = ChannelsProgram.ring(256 * 1024)) {
            // several handler classes of both kinds through the reader first, as in an application reading several
            // rings: the calls to the handlers are then not inlined, and nothing can rely on the JIT's escape analysis
            // (a slice made per record for a RecordHandler is then allocated: 40 bytes a record)
            long[] other = new long[1];
            List<Supplier<RingBufReader>> readers = List.of( // one at a time: each keeps its own consumer position
                    () -> RingBufReader.open(prog.events(), (ring, offset, length) -> other[0]++),
                    () -> RingBufReader.open(prog.events(), (ring, offset, length) -> other[0] += length),
                    () -> RingBufReader.open(prog.events(), (ring, offset, length) -> other[0] ^= ring.get(JAVA_BYTE, offset)),
                    () -> RingBufReader.open(prog.events(), r -> other[0]++),
                    () -> RingBufReader.open(prog.events(), r -> other[0] += r.byteSize()),
                    () -> RingBufReader.open(prog.events(), r -> other[0] ^= r.get(JAVA_BYTE, 0)));
            for (Supplier<RingBufReader> open : readers) {
                try (RingBufReader reader = open.get()) {
                    for (int round = 0; round < 10; round++) {
                        prog.emitFixed(perRound, 0);
                        assertThat(reader.poll()).isEqualTo(perRound);
                    }
                }
            }
            long[] seen = new long[3]; // records, sum of their sequence numbers (so they are really read), wrong lengths
            try (RingBufReader reader = RingBufReader.open(prog.events(), (ring, offset, length) -> {
                if (length != SEQ_EVENT_BYTES) seen[2]++;
                seen[0]++;
                seen[1] += ring.get(JAVA_LONG_UNALIGNED, offset);
            })) {
                ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
                long allocated = 0;
                for (int round = 0; round < warmupRounds + measuredRounds; round++) {
                    prog.emitFixed(perRound, 0);
                    long before = threads.getCurrentThreadAllocatedBytes();
                    int n = reader.poll();
                    long after = threads.getCurrentThreadAllocatedBytes();
                    assertThat(n).isEqualTo(perRound);
                    if (round >= warmupRounds) allocated += after - before;
                }
                assertThat(seen[0]).isEqualTo((long) perRound * (warmupRounds + measuredRounds));
                assertThat(seen[1]).as("the records were read").isPositive();
                assertThat(seen[2]).as("records of the wrong length").isZero();
                assertThat(allocated).as("bytes allocated consuming %d records", perRound * measuredRounds).isLessThan(16_384);
            }
        }
    }
}
