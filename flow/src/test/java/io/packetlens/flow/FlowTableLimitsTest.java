package io.packetlens.flow;

import io.packetlens.ebpf.TestRun;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What happens at the edges: a full flow table, a full "other" table, two CPUs updating one flow, and event records
 * that do not fit the ring. In every case each packet is accounted exactly once, somewhere.
 */
@KernelTest
class FlowTableLimitsTest {
    private static byte[] udp(int sport, int payload) {
        return Frames.udp4(sport, 9000, payload);
    }

    private static void run(FlowProgram p, byte[] frame, int times) {
        assertThat(p.program(FlowProgram.Hook.XDP).testRun(TestRun.of(frame).repeat(times)).retval()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(FlowConfig.TableKind.class)
    void packetsOfFlowsThatDoNotFitAreCountedAsOverflow(FlowConfig.TableKind kind) {
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableKind(kind).tableSize(8))) {
            long packets = 0, bytes = 0;
            for (int flow = 1; flow <= 20; flow++) {
                byte[] f = udp(flow, flow); // a different size per flow, so the bytes say which packets went where
                run(p, f, 3);
                packets += 3;
                bytes += 3L * f.length;
            }
            Map<FlowKey, FlowRecord> table = p.flows();
            assertThat(table).as("the table holds exactly max_entries flows").hasSize(8);
            assertThat(table.keySet()).extracting(FlowKey::sourcePort).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8);
            long inTable = table.values().stream().mapToLong(FlowRecord::packets).sum();
            long bytesInTable = table.values().stream().mapToLong(FlowRecord::bytes).sum();
            LossCounters loss = p.counters();
            assertThat(loss.tableFull().packets()).isEqualTo(12 * 3);
            assertThat(inTable + loss.tableFull().packets()).isEqualTo(packets);
            assertThat(bytesInTable + loss.tableFull().bytes()).isEqualTo(bytes);

            // room again: the next packet of a new flow goes into the table
            try (FlowAggregator agg = new FlowAggregator(p, f -> { })) {
                agg.flush();
            }
            run(p, udp(99, 1), 1);
            assertThat(p.flows().keySet()).extracting(FlowKey::sourcePort).containsExactly(99);
            assertThat(p.counters().tableFull().packets()).isEqualTo(36);
        }
    }

    @Test
    void otherFramesThatDoNotFitTheirTableAreCountedToo() {
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableSize(8).otherTableSize(2))) {
            for (int type : new int[]{0x0806, 0x88cc, 0x88b5, 0x9000}) run(p, Frames.nonIp(type, 46), 5);
            Map<OtherKey, Count> other = p.otherCounts();
            assertThat(other).hasSize(2).allSatisfy((k, c) -> assertThat(c).isEqualTo(new Count(5, 5 * 60)));
            assertThat(other.keySet()).extracting(OtherKey::ethertype).containsExactlyInAnyOrder(0x0806, 0x88cc);
            assertThat(p.counters().otherFull()).isEqualTo(new Count(10, 600));
        }
    }

    @ParameterizedTest
    @EnumSource(FlowConfig.TableKind.class)
    void twoCpusCountingOneFlowLoseNothing(FlowConfig.TableKind kind) {
        int repeat = 200_000;
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableKind(kind).tableSize(64))) {
            byte[] small = udp(7, 1), big = udp(7, 1000);
            CompletableFuture<?>[] runs = {
                    CompletableFuture.runAsync(() -> run(p, small, repeat), r -> Thread.ofPlatform().start(r)),
                    CompletableFuture.runAsync(() -> run(p, big, repeat), r -> Thread.ofPlatform().start(r))};
            CompletableFuture.allOf(runs).join();
            FlowRecord r = p.flows().values().iterator().next();
            assertThat(p.flows()).hasSize(1);
            assertThat(r.packets()).isEqualTo(2L * repeat);
            assertThat(r.bytes()).isEqualTo((long) repeat * (small.length + big.length));
            assertThat(r.ipBytes()).as("IP total lengths: frames less their Ethernet headers").isEqualTo((long) repeat * (small.length + big.length - 28));
            assertThat(r.minLength()).as("an IP total length").isEqualTo(small.length - 14);
            assertThat(r.maxLength()).isEqualTo(big.length - 14);
            assertThat(p.counters()).isEqualTo(LossCounters.ZERO);
        }
    }

    @Test
    void everyEventIsSubmittedOrCountedAsLost() {
        // one page of ring and nobody reading it: it fills up, and from then on records are counted as lost
        FlowConfig config = FlowConfig.defaults().tableSize(8).eventRingBytes(4096)
                .events(EnumSet.of(EventKind.NEW_FLOW, EventKind.TCP, EventKind.OVERFLOW));
        try (FlowProgram p = FlowProgram.load(config)) {
            for (int flow = 1; flow <= 200; flow++) run(p, udp(flow, 1), 1);
            byte[] syn = Frames.tcp4(1, 2, TcpFlags.SYN);
            run(p, syn, 10);
            // events: 8 new flows + 192 overflows, then 10 SYN segments (their flow does not fit either: +10 overflows)
            LossCounters c = p.counters();
            long events = 8 + 192 + 10 + 10;
            assertThat(c.eventsSent().packets() + c.eventsLost().packets()).isEqualTo(events);
            assertThat(c.eventsSent().packets()).as("a page holds some 51 records of 80 bytes (72 and the ring's 8-byte header)").isBetween(40L, 60L);
            assertThat(c.eventsLost().packets()).isPositive();
            assertThat(c.tableFull().packets()).isEqualTo(192 + 10);
        }
        FlowConfig sampling = FlowConfig.defaults().tableSize(8).eventRingBytes(1 << 16).sampleEvery(1).events(EnumSet.of(EventKind.SAMPLE));
        try (FlowProgram p = FlowProgram.load(sampling)) {
            run(p, udp(1, 1), 100);
            LossCounters c = p.counters();
            assertThat(c.eventsSent().packets() + c.eventsLost().packets()).isEqualTo(100);
            assertThat(c.eventsSent().bytes()).isEqualTo(c.eventsSent().packets() * (72 + 128));
        }
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableSize(8))) {
            run(p, udp(1, 1), 100);
            assertThat(p.counters()).as("events are off by default").isEqualTo(LossCounters.ZERO);
        }
    }

    @Test
    void everythingAddsUp() {
        try (FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableSize(4).otherTableSize(1))) {
            List<Frames.Frame> frames = Frames.all();
            long bytes = 0;
            for (Frames.Frame f : frames) {
                // two single runs: an XDP test-run with repeat > 1 re-points the kernel's XDP dispatcher (~20 ms)
                run(p, f.bytes(), 1);
                run(p, f.bytes(), 1);
                bytes += 2L * f.bytes().length;
            }
            try (FlowAggregator agg = new FlowAggregator(p, f -> { })) {
                agg.poll();
                assertThat(agg.totals().allTraffic()).isEqualTo(new Count(2L * frames.size(), bytes));
            }
        }
    }
}
