package io.packetlens.export.ipfix;

import io.packetlens.export.ExportContext;
import io.packetlens.export.ExporterRunner;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.ExporterStats;
import io.packetlens.peers.Processes;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Counting across collectors when one of them, over TCP, goes away: the healthy one gets every record exactly once
 * while the batch is retried, and every record ends up sent or failed, never both. The collectors here are plain
 * sockets of the test that keep the bytes; the decoding proper is checked against nfdump, ipfixDump and tshark elsewhere.
 */
class IpfixDeliveryTest {
    private static final int UDP_PORT = 4746, TCP_PORT = 4747;

    /** Accepts one connection at a time and keeps what each one sent. */
    static final class TcpSink implements AutoCloseable {
        final ServerSocketChannel server;
        final List<ByteArrayOutputStream> connections = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicReference<SocketChannel> current = new AtomicReference<>();
        final Thread thread;

        TcpSink() throws IOException {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress("127.0.0.1", TCP_PORT));
            thread = Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    while (true) {
                        SocketChannel c = server.accept();
                        current.set(c);
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        connections.add(out);
                        ByteBuffer b = ByteBuffer.allocate(65536);
                        try {
                            while (c.read(b.clear()) > 0) out.write(b.array(), 0, b.position());
                        } catch (IOException closed) {
                            // the test closed it
                        }
                    }
                } catch (IOException closed) {
                    // the server socket closed
                }
            });
        }

        @Override
        public void close() throws Exception {
            server.close();
            // the connection's FIN goes out only when the reader's blocked read has returned: a test that
            // sends next must know the collector is really gone (a busy machine can take its time here). The
            // exporter may have reconnected just before the server closed, so close whatever connection the
            // reader holds until it stops, not only the one it held when close() began.
            long deadline = System.nanoTime() + 15_000_000_000L;
            while (thread.isAlive() && System.nanoTime() < deadline) {
                SocketChannel c = current.get();
                if (c != null) c.close();
                thread.join(50);
            }
            if (thread.isAlive()) throw new IllegalStateException("the TCP sink's reader did not stop within 15 s");
        }
    }

    private static int udpRecords(DatagramChannel rx) throws IOException {
        int n = 0;
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (rx.receive(b.clear()) != null) {
            byte[] d = new byte[b.flip().remaining()];
            b.get(d);
            n += records(Messages.parse(d));
        }
        return n;
    }

    private static int records(Messages m) {
        return m.sets().stream().mapToInt(s -> s.id() == FlowTemplates.IPV4_ID ? s.body().length / 94
                : s.id() == FlowTemplates.IPV6_ID ? s.body().length / 118 : 0).sum();
    }

    /** The messages of a TCP stream, split by their length fields. */
    private static List<Messages> tcpMessages(byte[] stream) {
        List<Messages> out = new ArrayList<>();
        for (int at = 0; at + 4 <= stream.length; ) {
            int len = (stream[at + 2] & 0xff) << 8 | (stream[at + 3] & 0xff);
            out.add(Messages.parse(java.util.Arrays.copyOfRange(stream, at, at + len)));
            at += len;
        }
        return out;
    }

    private static IpfixSettings twoCollectors() {
        return IpfixSettings.defaults(List.of(new Collector(Collector.Transport.UDP, new InetSocketAddress("127.0.0.1", UDP_PORT)),
                new Collector(Collector.Transport.TCP, new InetSocketAddress("127.0.0.1", TCP_PORT))), 1);
    }

    @Test
    void aHealthyCollectorGetsEachRecordOnceWhileTheOtherReconnects() throws Exception {
        try (DatagramChannel rx = DatagramChannel.open(StandardProtocolFamily.INET)) {
            rx.bind(new InetSocketAddress("127.0.0.1", UDP_PORT));
            rx.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            rx.configureBlocking(false);
            ExportContext ctx = ExportContext.standalone();
            IpfixExporter exporter = new IpfixExporter(twoCollectors(), ctx);
            ExporterRunner runner;
            TcpSink sink = new TcpSink();
            try {
                runner = ExporterRunner.start("two", "ipfix", ExporterSettings.defaults().backoff(Duration.ofMillis(10), Duration.ofMillis(50)), exporter, ctx);
                for (int i = 0; i < 50; i++) runner.offer(Flows.numbered(i, false));
                Processes.await("the first 50 sent", Duration.ofSeconds(10), () -> runner.stats().sent() == 50);
                sink.close(); // the TCP collector goes away, and stays away for a while
                for (int i = 50; i < 100; i++) runner.offer(Flows.numbered(i, false));
                Thread.sleep(400);
                assertThat(runner.stats().sent()).as("held back until the TCP collector has them too").isEqualTo(50);
                sink = new TcpSink();
                Processes.await("all 100 sent", Duration.ofSeconds(10), () -> runner.stats().sent() == 100);
                runner.close();
            } finally {
                sink.close();
            }
            ExporterStats stats = runner.stats();
            assertThat(stats.failed()).isZero();
            assertThat(udpRecords(rx)).as("UDP records: each once, none again on the retries").isEqualTo(100);
            List<Messages> second = tcpMessages(sink.connections.getFirst().toByteArray());
            assertThat(second.getFirst().sets()).extracting(Messages.Set::id).containsExactly(2);
            assertThat(second.stream().mapToInt(IpfixDeliveryTest::records).sum()).as("records over the new connection").isEqualTo(50);
            assertThat(second.get(1).sequence()).isZero();
            assertThat(exporter.collectorStats().get(1).sessions()).isEqualTo(2);
        }
    }

    @Test
    void recordsThatNeverGoOutAreCountedFailedOnceAtShutdown() throws Exception {
        try (DatagramChannel rx = DatagramChannel.open(StandardProtocolFamily.INET)) {
            rx.bind(new InetSocketAddress("127.0.0.1", UDP_PORT));
            rx.configureBlocking(false);
            ExportContext ctx = ExportContext.standalone();
            IpfixExporter exporter = new IpfixExporter(twoCollectors(), ctx);
            ExporterRunner runner;
            try (TcpSink sink = new TcpSink()) {
                runner = ExporterRunner.start("shutdown", "ipfix", ExporterSettings.defaults()
                        .backoff(Duration.ofMillis(10), Duration.ofMillis(50)).flushTimeout(Duration.ofMillis(500)), exporter, ctx);
                for (int i = 0; i < 30; i++) runner.offer(Flows.numbered(i, true));
                Processes.await("30 sent", Duration.ofSeconds(10), () -> runner.stats().sent() == 30);
            }
            // the TCP collector is gone for good: what comes now cannot be delivered everywhere
            for (int i = 30; i < 70; i++) runner.offer(Flows.numbered(i, true));
            runner.close();
            ExporterStats stats = runner.stats();
            assertThat(stats.sent()).isEqualTo(30);
            assertThat(stats.sent() + stats.failed() + stats.dropped()).as("each record counted once").isEqualTo(70);
            assertThat(stats.failed()).isEqualTo(40);
        }
    }
}
