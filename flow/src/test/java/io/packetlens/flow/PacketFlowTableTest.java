package io.packetlens.flow;

import io.packetlens.packet.EtherType;
import io.packetlens.packet.PacketFields;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The AF_PACKET fallback's table in Java counts as the kernel program does. Every frame of the flow parser's
 * catalogue, whole and cut at every length (as FlowParserTest runs them through the kernel program), lands in exactly
 * one place, the flow entry or "other" key that {@link ReferenceParser} names, which FlowParserTest holds the kernel
 * to. A frame whose outer VLAN tag the device took out counts as the tagged frame does at XDP. Full tables overflow
 * into counters; removal keeps every other entry findable; and the aggregator reads the table into the same records.
 */
class PacketFlowTableTest {
    private static final int IFINDEX = 7;

    /** The table's entries, as the aggregator's reader copies them out. */
    private static Map<FlowKey, FlowRecord> entries(PacketFlowTable t) {
        int[] k = new int[t.capacity() * PacketFlowTable.KEY_WORDS];
        long[] v = new long[t.capacity() * PacketFlowTable.VALUE_WORDS];
        int n = t.snapshot(k, v, false);
        MemorySegment ks = MemorySegment.ofArray(k), vs = MemorySegment.ofArray(v);
        Map<FlowKey, FlowRecord> out = new HashMap<>();
        for (int i = 0; i < n; i++) {
            out.put(FlowKey.read(ks, (long) i * FlowKey.SIZE), FlowRecord.read(vs, (long) i * FlowRecord.SIZE));
        }
        return out;
    }

    private static void count(PacketFlowTable t, PacketFields p, byte[] frame, int length, int wire, int tci, long nanos) {
        t.accountFrame(p, MemorySegment.ofArray(frame), 0, length, wire, tci, IFINDEX, Direction.INGRESS.code(), nanos);
    }

    /** Checks that the table holds exactly what the reference says one frame of {@code length} bytes makes. */
    private static void expectOne(PacketFlowTable t, ReferenceParser.Result expected, int length, long nanos, String what) {
        Map<FlowKey, FlowRecord> flows = entries(t);
        Map<OtherKey, Count> other = t.otherCounts();
        if (expected instanceof ReferenceParser.Flow f) {
            assertThat(flows).as(what).containsExactly(Map.entry(f.key(), f.record(length, nanos)));
            assertThat(other).as(what).isEmpty();
        } else {
            assertThat(flows).as(what).isEmpty();
            assertThat(other).as(what).containsExactly(Map.entry(((ReferenceParser.Other) expected).key(), new Count(1, length)));
        }
        assertThat(t.counters(0)).as(what).isEqualTo(LossCounters.ZERO);
    }

    @Test
    void everyFrameCutAtEveryLengthLandsWhereTheKernelPutsIt() {
        PacketFields p = new PacketFields().decapsulation(io.packetlens.packet.Decapsulation.DEFAULT);
        int runs = 0;
        for (Frames.Frame fr : Frames.all()) {
            byte[] f = fr.bytes();
            for (int cut = 14; cut <= f.length; cut++) {
                PacketFlowTable t = new PacketFlowTable(4, 4);
                count(t, p, f, cut, cut, -1, 1234);
                expectOne(t, ReferenceParser.parse(f, cut, -1, IFINDEX, Direction.INGRESS), cut, 1234, fr + " cut at " + cut);
                runs++;
            }
        }
        assertThat(runs).isGreaterThan(40_000);
    }

    @Test
    void aFrameWhoseOuterTagTheDeviceTookOutCountsAsTheTaggedFrameAtXdp() {
        PacketFields p = new PacketFields().decapsulation(io.packetlens.packet.Decapsulation.DEFAULT);
        int tagged = 0;
        for (Frames.Frame fr : Frames.all()) {
            byte[] wire = fr.bytes();
            int type = (wire[12] & 0xff) << 8 | wire[13] & 0xff;
            if (type != EtherType.VLAN && type != EtherType.QINQ) continue;
            int tci = (wire[14] & 0xff) << 8 | wire[15] & 0xff;
            byte[] stripped = new byte[wire.length - 4];
            System.arraycopy(wire, 0, stripped, 0, 12);
            System.arraycopy(wire, 16, stripped, 12, wire.length - 16);
            // whole, and with the ring's snap length cutting the stripped frame short
            for (int snap : new int[] {stripped.length, Math.min(stripped.length, 30)}) {
                PacketFlowTable t = new PacketFlowTable(4, 4);
                count(t, p, stripped, snap, wire.length, tci, 99);
                ReferenceParser.Result xdp = ReferenceParser.parse(wire, snap + 4, -1, IFINDEX, Direction.INGRESS);
                expectOne(t, xdp, wire.length, 99, fr + " without its outer tag, snap " + snap);
            }
            tagged++;
        }
        assertThat(tagged).isGreaterThan(100);
    }

    @Test
    void packetsAddUpLikeTheKernelsRecord() {
        PacketFields p = new PacketFields().decapsulation(io.packetlens.packet.Decapsulation.DEFAULT);
        PacketFlowTable t = new PacketFlowTable(16, 4);
        byte[] small = io.packetlens.packet.Frame.ethernet().ipv4(Frames.SRC4, Frames.DST4).dscp(10).tcp(1000, 80).tcpFlags(TcpFlags.SYN).build();
        byte[] big = io.packetlens.packet.Frame.ethernet().ipv4(Frames.SRC4, Frames.DST4).dscp(46).tcp(1000, 80).tcpFlags(TcpFlags.ACK)
                .payload(900).build();
        count(t, p, small, small.length, small.length, -1, 10);
        count(t, p, big, big.length, big.length, -1, 20);
        count(t, p, small, small.length, small.length, -1, 30);
        FlowRecord r = entries(t).values().iterator().next();
        // the first packet's DSCP, the OR of the flags, the span of the IP lengths, times of the first and the last
        assertThat(r).isEqualTo(new FlowRecord(3, 2L * small.length + big.length, 10, 30, 40, 940, TcpFlags.SYN | TcpFlags.ACK, 10, false,
                40 + 940 + 40));
    }

    @Test
    void fullTablesCountWhatTheyCannotHold() {
        PacketFields p = new PacketFields().decapsulation(io.packetlens.packet.Decapsulation.DEFAULT);
        PacketFlowTable t = new PacketFlowTable(8, 2);
        for (int i = 0; i < 20; i++) {
            byte[] f = Frames.udp4(1000 + i, 53, 10);
            for (int k = 0; k < 3; k++) count(t, p, f, f.length, f.length, -1, 1);
        }
        for (int type : new int[] {EtherType.ARP, EtherType.LLDP, 0x88b5, 0x88b6}) {
            byte[] f = Frames.nonIp(type, 46);
            count(t, p, f, f.length, f.length, -1, 1);
        }
        assertThat(entries(t)).hasSize(8);
        int len = Frames.udp4(1, 2, 10).length;
        LossCounters c = t.counters(5);
        assertThat(c.tableFull()).isEqualTo(new Count(12 * 3, 12L * 3 * len));
        assertThat(c.otherFull()).isEqualTo(new Count(2, 2 * 60));
        assertThat(c.ringDrops()).isEqualTo(5);
        assertThat(t.otherCounts()).hasSize(2);
    }

    @Test
    void removalsKeepEveryOtherFlowFindable() {
        PacketFields p = new PacketFields().decapsulation(io.packetlens.packet.Decapsulation.DEFAULT);
        PacketFlowTable t = new PacketFlowTable(64, 4);
        Random random = new Random(42);
        Map<Integer, Long> model = new HashMap<>();
        long[] value = new long[PacketFlowTable.VALUE_WORDS];
        for (int step = 0; step < 20_000; step++) {
            int port = random.nextInt(90);
            if (random.nextInt(3) > 0) {
                byte[] f = Frames.udp4(port, 53, 10);
                int r = count(t, p, f);
                if (r >= 0) model.merge(port, 1L, Long::sum);
                else assertThat(model).hasSize(64);
            } else {
                FlowKey k = (ReferenceParser.Flow.class.cast(ReferenceParser.parse(Frames.udp4(port, 53, 10), IFINDEX, Direction.INGRESS))).key();
                int[] words = new int[PacketFlowTable.KEY_WORDS];
                MemorySegment.copy(MemorySegment.ofArray(k.toBytes()), java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, words, 0, words.length);
                boolean removed = t.remove(words, 0, value);
                assertThat(removed).isEqualTo(model.containsKey(port));
                if (removed) assertThat(value[RecordWords.PACKETS]).isEqualTo(model.remove(port));
            }
        }
        Map<Integer, Long> inTable = new HashMap<>();
        entries(t).forEach((k, r) -> inTable.put(k.sourcePort(), r.packets()));
        assertThat(inTable).isEqualTo(model);
    }

    private static int count(PacketFlowTable t, PacketFields p, byte[] f) {
        return t.accountFrame(p, MemorySegment.ofArray(f), 0, f.length, f.length, -1, IFINDEX, 0, 1);
    }

    @Test
    void theAggregatorMakesTheSameRecordsOfItMarkedFallback() {
        FakeClock clock = new FakeClock();
        List<FinishedFlow> out = new ArrayList<>();
        try (PacketFlows flows = new PacketFlows(FlowConfig.defaults().tableSize(1024), clock);
             FlowAggregator agg = new FlowAggregator(flows, FlowAggregator.Settings.defaults().idleTimeout(Duration.ofSeconds(15))
                     .activeTimeout(Duration.ofSeconds(60)), clock, out::add)) {
            PacketFields p = new PacketFields().decapsulation(io.packetlens.packet.Decapsulation.DEFAULT);
            byte[] a = Frames.udp4(1111, 53, 100), b = Frames.udp4(2222, 53, 200);
            synchronized (flows.table()) {
                for (int i = 0; i < 10; i++) count(flows.table(), p, a, a.length, a.length, -1, clock.monotonicNanos());
                for (int i = 0; i < 4; i++) count(flows.table(), p, b, b.length, b.length, -1, clock.monotonicNanos());
            }
            agg.poll();
            assertThat(out).isEmpty();
            clock.advance(Duration.ofSeconds(20));
            synchronized (flows.table()) {
                count(flows.table(), p, b, b.length, b.length, clock.monotonicNanos());
            }
            agg.poll(); // a: idle, finished and removed; b: still going
            assertThat(out).singleElement().satisfies(r -> {
                assertThat(r.key().sourcePort()).isEqualTo(1111);
                assertThat(r.packets()).isEqualTo(10);
                assertThat(r.bytes()).isEqualTo(10L * a.length);
                assertThat(r.ipBytes()).isEqualTo(10L * (a.length - 14));
                assertThat(r.reason()).isEqualTo(EndReason.IDLE);
                assertThat(r.fallback()).isTrue();
            });
            assertThat(flows.table().size()).isEqualTo(1);
            agg.flush();
            assertThat(out).hasSize(2);
            assertThat(out.get(1)).satisfies(r -> {
                assertThat(r.packets()).isEqualTo(5);
                assertThat(r.reason()).isEqualTo(EndReason.END);
                assertThat(r.fallback()).isTrue();
            });
            assertThat(flows.table().size()).isZero();
            FlowAggregator.Totals totals = agg.totals();
            assertThat(totals.flowTraffic()).isEqualTo(new Count(15, 10L * a.length + 5L * b.length));
            assertThat(totals.losses()).isEqualTo(LossCounters.ZERO);
        }
    }

    private static void count(PacketFlowTable t, PacketFields p, byte[] f, int length, int wire, long nanos) {
        count(t, p, f, length, wire, -1, nanos);
    }
}
