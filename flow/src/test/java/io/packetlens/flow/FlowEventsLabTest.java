package io.packetlens.flow;

import io.packetlens.packet.IpProtocol;
import io.packetlens.ebpf.events.ChannelKind;
import io.packetlens.ebpf.events.EventChannelConfig;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.perf.PerfBufferOptions;
import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.lab.Await;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The flow program's events read by {@link FlowEvents} from real traffic across the lab, over both channels (the
 * ring buffer, and the perf buffer that kernels before 5.8 get): new flows, TCP open and close, sampled frame bytes,
 * and losses that are counted rather than silent.
 */
@KernelTest
class FlowEventsLabTest {

    private static EventChannelConfig channel(ChannelKind kind) {
        return EventChannelConfig.defaults().mode(kind == ChannelKind.RING_BUFFER
                ? EventChannelConfig.Mode.RING_BUFFER : EventChannelConfig.Mode.PERF_BUFFER);
    }

    @ParameterizedTest
    @EnumSource(ChannelKind.class)
    void newFlowAndTcpOpenAndClose(ChannelKind kind) throws Exception {
        List<FlowEvent> events = new CopyOnWriteArrayList<>();
        FlowConfig config = FlowConfig.defaults().events(EnumSet.of(EventKind.NEW_FLOW, EventKind.TCP));
        try (Lab lab = Lab.create(); FlowProgram flows = FlowProgram.load(config, channel(kind));
             FlowEvents sub = FlowEvents.open(flows, events::add)) {
            assertThat(sub.channel()).isEqualTo(kind);
            Host a = lab.a(), b = lab.b();
            // both ends' ingress: a -> b on b's interface, b -> a on a's
            b.call(() -> flows.attachXdp(b.ifname(), XdpMode.DRIVER));
            a.call(() -> flows.attachXdp(a.ifname(), XdpMode.DRIVER));
            Traffic.tcp(a, b, false, 100_000);
            Thread.sleep(100);
            flows.detachAll();
            assertThat(sub.awaitDrained(Duration.ofSeconds(5))).as("reader caught up").isTrue();

            LossCounters c = flows.counters();
            assertThat(c.eventsLost().packets()).isZero();
            assertThat(sub.delivered()).isEqualTo(c.eventsSent().packets()).isEqualTo(events.size());
            assertThat(sub.losses().total()).isZero();

            // exactly one NEW_FLOW per flow-table entry, and no other
            List<FlowKey> newFlows = events.stream().filter(e -> e.kind() == EventKind.NEW_FLOW).map(FlowEvent::key).toList();
            assertThat(newFlows).doesNotHaveDuplicates();
            assertThat(Set.copyOf(newFlows)).isEqualTo(flows.flows().keySet());

            InetAddress a4 = InetAddress.ofLiteral(a.ipv4()), b4 = InetAddress.ofLiteral(b.ipv4());
            // a perf buffer has one ring per CPU, so delivery order holds per CPU only: order by the kernel's timestamp
            List<FlowEvent> tcp = events.stream().filter(e -> e.kind() == EventKind.TCP)
                    .sorted(java.util.Comparator.comparingLong(FlowEvent::timestampNanos)).toList();
            assertThat(tcp).allMatch(e -> e.key().protocol() == IpProtocol.TCP
                    && (e.tcpFlags() & (TcpFlags.SYN | TcpFlags.FIN | TcpFlags.RST)) != 0);
            // (both veth ends may have the same ifindex, each in its own namespace: tell them apart by address)
            List<FlowEvent> toServer = tcp.stream().filter(e -> e.key().source().equals(a4)).toList();
            List<FlowEvent> toClient = tcp.stream().filter(e -> e.key().source().equals(b4)).toList();
            assertThat(toServer.size() + toClient.size()).isEqualTo(tcp.size());
            // the client's SYN opens; its port is the connection's
            FlowEvent syn = toServer.getFirst();
            assertThat(syn.tcpFlags() & (TcpFlags.SYN | TcpFlags.ACK)).isEqualTo(TcpFlags.SYN);
            int clientPort = syn.key().sourcePort();
            FlowKey up = new FlowKey(a4, b4, clientPort, Traffic.TCP_PORT, IpProtocol.TCP, 0, b.ifindex(), Direction.INGRESS);
            FlowKey down = new FlowKey(b4, a4, Traffic.TCP_PORT, clientPort, IpProtocol.TCP, 0, a.ifindex(), Direction.INGRESS);
            assertThat(toServer).allMatch(e -> e.key().equals(up));
            assertThat(toClient).allMatch(e -> e.key().equals(down));
            assertThat(toClient.getFirst().tcpFlags() & (TcpFlags.SYN | TcpFlags.ACK)).isEqualTo(TcpFlags.SYN | TcpFlags.ACK);
            assertThat(toServer).anyMatch(e -> (e.tcpFlags() & (TcpFlags.FIN | TcpFlags.RST)) != 0);
            assertThat(toClient).anyMatch(e -> (e.tcpFlags() & (TcpFlags.FIN | TcpFlags.RST)) != 0);
            // one SYN each way, and closing comes after opening
            assertThat(tcp.stream().filter(e -> (e.tcpFlags() & TcpFlags.SYN) != 0)).hasSize(2);
            assertThat(toServer.getLast().timestampNanos()).isGreaterThan(syn.timestampNanos());
            assertThat(syn.epochMillis()).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(10_000L));
            // the flow table agrees: the connection's two flows each saw SYN and FIN
            Map<FlowKey, FlowRecord> table = flows.flows();
            assertThat(table.get(up).tcpFlags() & (TcpFlags.SYN | TcpFlags.FIN)).isEqualTo(TcpFlags.SYN | TcpFlags.FIN);
            assertThat(table.get(down).tcpFlags() & (TcpFlags.SYN | TcpFlags.FIN)).isEqualTo(TcpFlags.SYN | TcpFlags.FIN);
        }
    }

    @ParameterizedTest
    @EnumSource(ChannelKind.class)
    void samplesCarryTheFramesFirstBytes(ChannelKind kind) throws Exception {
        List<FlowEvent> events = new CopyOnWriteArrayList<>();
        FlowConfig config = FlowConfig.defaults().events(EnumSet.of(EventKind.SAMPLE)).sampleEvery(1);
        try (Lab lab = Lab.create(); FlowProgram flows = FlowProgram.load(config, channel(kind));
             FlowEvents sub = FlowEvents.open(flows, events::add)) {
            Host a = lab.a(), b = lab.b();
            byte[] big = udpFrame(40_001, 300), small = udpFrame(40_002, 40);
            b.call(() -> flows.attachXdp(b.ifname(), XdpMode.DRIVER));
            a.call(() -> {
                try (NativeSocket s = NativeSocket.packet().bindToInterface(a.ifindex())) {
                    for (int i = 0; i < 10; i++) {
                        s.send(big);
                        s.send(small);
                    }
                }
                return null;
            });
            // the frames may still be in b's backlog, or their events in the reader's hands
            Await.until(Duration.ofSeconds(5), () -> ours(events, 40_001).size() >= 10 && ours(events, 40_002).size() >= 10);
            flows.detachAll();
            assertThat(sub.awaitDrained(Duration.ofSeconds(5))).isTrue();
            assertThat(flows.counters().eventsLost().packets()).isZero();

            List<FlowEvent> bigs = ours(events, 40_001), smalls = ours(events, 40_002);
            assertThat(bigs).hasSize(10).allSatisfy(e -> {
                assertThat(e.kind()).isEqualTo(EventKind.SAMPLE);
                assertThat(e.packetLength()).isEqualTo(big.length);
                assertThat(e.data()).isEqualTo(Arrays.copyOf(big, FlowEvent.SAMPLE_BYTES));
            });
            assertThat(smalls).hasSize(10).allSatisfy(e -> {
                assertThat(e.packetLength()).isEqualTo(small.length);
                assertThat(e.data()).as("a frame shorter than 128 bytes whole, nothing more").isEqualTo(small);
            });
        }
    }

    @ParameterizedTest
    @EnumSource(ChannelKind.class)
    void aTinyRingUnderABurstCountsWhatItLoses(ChannelKind kind) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        long[] handled = new long[1];
        FlowConfig config = FlowConfig.defaults().events(EnumSet.of(EventKind.SAMPLE, EventKind.NEW_FLOW)).sampleEvery(1)
                .eventRingBytes(4096);
        EventChannelConfig ch = channel(kind).perf(PerfBufferOptions.wakeupPerEvent(1)); // perf: one page per CPU
        try (Lab lab = Lab.create(); FlowProgram flows = FlowProgram.load(config, ch);
             FlowEvents sub = FlowEvents.openRaw(flows, record -> {
                 // hold the reader on the first record until the burst is over: the ring must absorb all of it
                 try {
                     release.await(30, TimeUnit.SECONDS);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 handled[0]++;
             })) {
            Host a = lab.a(), b = lab.b();
            b.call(() -> flows.attachXdp(b.ifname(), XdpMode.DRIVER));
            Traffic.Sent sent = Traffic.udp(a, b, false, 2000, 100);
            Thread.sleep(100);
            flows.detachAll();
            release.countDown();
            assertThat(sub.awaitDrained(Duration.ofSeconds(5))).isTrue();

            LossCounters c = flows.counters();
            System.out.printf("%s, one page: %d events sent, %d lost%n", kind, c.eventsSent().packets(), c.eventsLost().packets());
            // what the program attempted: one sample per packet it saw, plus one NEW_FLOW per flow
            long packets = flows.flows().values().stream().mapToLong(FlowRecord::packets).sum()
                    + flows.otherCounts().values().stream().mapToLong(Count::packets).sum();
            assertThat(packets).isGreaterThanOrEqualTo(sent.packets());
            long attempted = packets + flows.flows().size();
            assertThat(c.eventsSent().packets() + c.eventsLost().packets()).isEqualTo(attempted);
            assertThat(c.eventsLost().packets()).as("a page cannot hold 2000 samples").isPositive();
            assertThat(c.eventsSent().packets()).as("the page filled before losses began").isPositive();
            assertThat(sub.delivered()).isEqualTo(handled[0]).isEqualTo(c.eventsSent().packets());
            // the channel's own per-reason counters say the same
            assertThat(sub.losses().total()).isEqualTo(c.eventsLost().packets());
            assertThat(sub.losses().ringFull()).isEqualTo(c.eventsLost().packets());
        }
    }

    /** Sample events of the crafted frames with this UDP source port. */
    private static List<FlowEvent> ours(List<FlowEvent> events, int sport) {
        return events.stream().filter(e -> e.key().protocol() == IpProtocol.UDP && e.key().sourcePort() == sport)
                .collect(Collectors.toList());
    }

    /** An untagged IPv4/UDP frame to port 9000 whose payload is a byte pattern (so every offset differs). */
    private static byte[] udpFrame(int sport, int payload) {
        byte[] pattern = new byte[payload];
        for (int i = 0; i < payload; i++) pattern[i] = (byte) (i * 7 + 3);
        return Frames.udp4(sport, 9000, pattern);
    }

    @ParameterizedTest
    @EnumSource(ChannelKind.class)
    void theRawReaderAllocatesNothingPerRecord(ChannelKind kind) throws Exception {
        long[] sampled = new long[1];
        FlowConfig config = FlowConfig.defaults().events(EnumSet.of(EventKind.SAMPLE)).sampleEvery(1).eventRingBytes(1 << 23);
        // room for the whole measured burst (20,000 samples of ~200 B) even if the reader is kept off the CPU: the check is
        // about allocation, and a loss would spoil the count of records it divides by
        EventChannelConfig ch = channel(kind).perf(PerfBufferOptions.defaults().pagesPerCpu(2048));
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (Lab lab = Lab.create(); FlowProgram flows = FlowProgram.load(config, ch);
             FlowEvents sub = FlowEvents.openRaw(flows, r -> {
                 if (FlowEvent.kindCode(r) == 3 && FlowEvent.captureLength(r) > 0) sampled[0]++;
             })) {
            Host a = lab.a(), b = lab.b();
            b.call(() -> flows.attachXdp(b.ifname(), XdpMode.DRIVER));
            for (int i = 0; i < 5; i++) Traffic.udp(a, b, false, 20_000, 64); // warm-up: let the JIT compile the read path
            assertThat(sub.awaitDrained(Duration.ofSeconds(10))).isTrue();
            long tid = sub.readerThread().threadId();
            long delivered0 = sub.delivered(), bytes0 = threads.getThreadAllocatedBytes(tid);
            Traffic.udp(a, b, false, 20_000, 64);
            assertThat(sub.awaitDrained(Duration.ofSeconds(10))).isTrue();
            long records = sub.delivered() - delivered0, bytes = threads.getThreadAllocatedBytes(tid) - bytes0;
            flows.detachAll();
            assertThat(flows.counters().eventsLost().packets()).isZero();
            assertThat(records).isGreaterThanOrEqualTo(20_000);
            assertThat(sampled[0]).isEqualTo(sub.delivered());
            System.out.printf("%s: %d records, %d bytes allocated by the reader thread (%.2f per record)%n",
                    kind, records, bytes, (double) bytes / records);
            // per-batch costs (epoll, a read's bookkeeping) are allowed, and so is the one record view per record
            // (a MemorySegment, ~40 B) that the JIT usually scalar-replaces but not on every compile (CI saw 40 B over a
            // ring buffer once); a copy of the record (its ~200 bytes) or a decoded event would fail the bound
            assertThat((double) bytes / records).as("bytes allocated per record").isLessThan(48.0);
        }
    }
}
