package io.packetlens.export.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.config.ConfigDocument;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.export.ExportContext;
import io.packetlens.export.ExporterRunner;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.ExporterStats;
import io.packetlens.export.json.StreamExporter;
import io.packetlens.flow.Direction;
import io.packetlens.flow.EndReason;
import io.packetlens.flow.EventKind;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowClock;
import io.packetlens.flow.FlowEvent;
import io.packetlens.flow.FlowKey;
import io.packetlens.lab.Host;
import io.packetlens.testkit.KernelTest;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.monitor.FlowMonitor;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.peers.KafkaBroker;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real lab traffic through the flow monitor and a {@code type: kafka} exporter into a real KRaft broker, read back
 * with a consumer: the topic holds exactly the records {@code --json} writes for the same traffic, one flow's records
 * in one partition in order; and a bulk run measures the rate into the local broker.
 */
class KafkaRoundTripTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.start(19092, 19093);
        System.out.println("kafka broker started in " + broker.lastStart().toMillis() + " ms");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    private static Configured kafkaExporter(String extra, FlowMonitor monitor) {
        String yaml = """
                exporters:
                  - type: kafka
                    bootstrap-servers: %s
                %s""".formatted(broker.bootstrap(), extra.indent(4));
        return Configured.read(ConfigDocument.parse(yaml).root().child("exporters"),
                monitor == null ? i -> "if" + i : monitor::interfaceName, 0).getFirst();
    }

    @Test
    @KernelTest
    void labTrafficArrivesAsTheJsonRecordsWithEachFlowInOnePartition() throws Exception {
        broker.createTopic("rt-flows", 4);
        broker.createTopic("rt-events", 2);
        MonitorConfig config = MonitorConfig.defaults().withInterfaces(List.of("veth0"))
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(15)).withEvents(Set.of(EventKind.NEW_FLOW), 0);
        List<FinishedFlow> finished = new CopyOnWriteArrayList<>();
        List<FlowEvent> events = new CopyOnWriteArrayList<>();
        ByteArrayOutputStream jsonOut = new ByteArrayOutputStream();
        try (Lab lab = Lab.create(); FlowMonitor monitor = new FlowMonitor(config, FlowClock.system())) {
            Host a = lab.a(), b = lab.b();
            Configured kafka = kafkaExporter("""
                    topic: rt-flows
                    events-topic: rt-events
                    compression: gzip
                    linger: 5ms
                    """, monitor);
            ExporterRunner kafkaRunner = kafka.start();
            ExportContext jsonContext = new ExportContext(monitor::interfaceName, 0);
            ExporterRunner jsonRunner = ExporterRunner.start("json", "stdout", ExporterSettings.defaults(),
                    new StreamExporter(jsonOut, true, jsonContext), jsonContext);
            monitor.onFinishedFlow(f -> {
                finished.add(f);
                kafkaRunner.offer(f);
                jsonRunner.offer(f);
            });
            monitor.onEvent(e -> {
                events.add(e);
                kafkaRunner.offer(e);
                jsonRunner.offer(e);
            });
            b.call(() -> monitor.attachXdp(b.ifname(), XdpMode.AUTO));
            AtomicBoolean polling = new AtomicBoolean(true);
            Thread poller = Thread.ofPlatform().daemon(true).name("poller").start(() -> {
                while (polling.get()) {
                    monitor.poll();
                    sleep(200);
                }
            });
            try {
                Traffic.udp(a, b, false, 40, 100);
                Traffic.udp(a, b, true, 40, 100);
                Traffic.tcp(a, b, false, 200_000);
                Traffic.tcp(a, b, true, 200_000);
                // flows that outlast the 1 s active timeout, so they are reported in several records
                CompletableFuture<?> ping4 = CompletableFuture.runAsync(() -> ping(a, b, false));
                CompletableFuture<?> ping6 = CompletableFuture.runAsync(() -> ping(a, b, true));
                slowUdp(a, b);
                CompletableFuture.allOf(ping4, ping6).get(30, TimeUnit.SECONDS);
            } finally {
                polling.set(false);
                poller.join();
            }
            monitor.stop();
            kafkaRunner.close();
            jsonRunner.close();

            ExporterStats stats = kafkaRunner.stats();
            assertThat(stats.offered()).isEqualTo(finished.size() + events.size());
            assertThat(stats.sent()).as("every record acknowledged: " + stats).isEqualTo(stats.offered());
            assertThat(stats.failed() + stats.dropped() + stats.queued()).isZero();

            // the --json lines for the same records, split into flow records and events
            List<String> lines = jsonOut.toString(StandardCharsets.UTF_8).lines().toList();
            List<String> flowLines = lines.stream().filter(l -> !l.startsWith("{\"event\"")).toList();
            List<String> eventLines = lines.stream().filter(l -> l.startsWith("{\"event\"")).toList();
            assertThat(flowLines).hasSize(finished.size());
            assertThat(eventLines).hasSize(events.size());
            assertThat(finished).extracting(f -> f.key().protocol()).contains(1, 6, 17, 58);
            assertThat(finished).anyMatch(f -> f.key().source() instanceof java.net.Inet6Address && f.key().protocol() == 17);

            List<ConsumerRecord<String, String>> flowRecords = broker.read("rt-flows", flowLines.size(),
                    Duration.ofSeconds(30), Duration.ofSeconds(1));
            assertThat(trees(flowRecords.stream().map(ConsumerRecord::value).toList()))
                    .as("the topic holds the --json records, each once").containsExactlyInAnyOrderElementsOf(trees(flowLines));
            List<ConsumerRecord<String, String>> eventRecords = broker.read("rt-events", eventLines.size(),
                    Duration.ofSeconds(30), Duration.ofSeconds(1));
            assertThat(trees(eventRecords.stream().map(ConsumerRecord::value).toList()))
                    .containsExactlyInAnyOrderElementsOf(trees(eventLines));

            // keys: the flow key of each record; all records of a key in one partition, in the order they were made
            Map<String, Long> expectedKeys = finished.stream().collect(Collectors.groupingBy(f -> RecordKey.of(f.key()),
                    TreeMap::new, Collectors.counting()));
            Map<String, Long> keys = flowRecords.stream()
                    .collect(Collectors.groupingBy(ConsumerRecord::key, TreeMap::new, Collectors.counting()));
            assertThat(keys).isEqualTo(expectedKeys);
            assertThat(expectedKeys.values()).as("some flows came in several records").anyMatch(n -> n >= 2);
            Map<String, List<ConsumerRecord<String, String>>> byKey = flowRecords.stream()
                    .collect(Collectors.groupingBy(ConsumerRecord::key));
            byKey.forEach((key, records) -> {
                assertThat(records).extracting(ConsumerRecord::partition).as(key).containsOnly(records.getFirst().partition());
                List<Long> ends = records.stream().sorted(Comparator.comparingLong(ConsumerRecord::offset))
                        .map(r -> tree(r.value()).get("flowEndMilliseconds").asLong()).toList();
                assertThat(ends).as(key).isSorted();
            });
            assertThat(flowRecords.stream().map(ConsumerRecord::partition).collect(Collectors.toSet()))
                    .as("keys spread over partitions").hasSizeGreaterThan(1);
            assertThat(eventRecords).allSatisfy(r -> assertThat(r.key()).isIn(events.stream().map(e -> RecordKey.of(e.key())).toList()));
        }
        assertThat(Files.readString(Path.of("/proc/self/maps"))).as("no JNI codec library loaded")
                .doesNotContain("snappy").doesNotContain("lz4").doesNotContain("zstd");
    }

    /** Many records at once, as a table drain at exit makes them: all acknowledged, all in the topic; prints the rate. */
    @Test
    void aBulkOfRecordsIsDeliveredAndCounted() throws Exception {
        int n = 100_000;
        broker.createTopic("rt-bulk", 4);
        Configured kafka = kafkaExporter("topic: rt-bulk\nqueue: {capacity: 131072}", null);
        List<FinishedFlow> flows = IntStream.range(0, n).mapToObj(KafkaRoundTripTest::synthetic).toList();
        ExporterRunner runner = kafka.start();
        long t0 = System.nanoTime();
        flows.forEach(runner::offer);
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        while (runner.stats().sent() + runner.stats().failed() < n && System.nanoTime() < deadline) Thread.sleep(5);
        double seconds = (System.nanoTime() - t0) / 1e9;
        runner.close();
        ExporterStats s = runner.stats();
        System.out.printf("kafka bulk: %d records of %d bytes acknowledged in %.2f s: %.0f records/s%n", s.sent(),
                io.packetlens.export.json.FlowJson.toLine(flows.getFirst(), "if3").length(), seconds, s.sent() / seconds);
        assertThat(s.sent()).as(s.toString()).isEqualTo(n);
        assertThat(s.failed() + s.dropped()).isZero();
        Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
        for (int p = 0; p < 4; p++) ends.put(new TopicPartition("rt-bulk", p), OffsetSpec.latest());
        long inTopic = broker.admin().listOffsets(ends).all().get(10, TimeUnit.SECONDS).values().stream()
                .mapToLong(r -> r.offset()).sum();
        assertThat(inTopic).isEqualTo(n);
    }

    private static FinishedFlow synthetic(int i) {
        FlowKey k = new FlowKey(InetAddress.ofLiteral("10.1.0." + (i % 250 + 1)), InetAddress.ofLiteral("10.2.0.1"),
                1024 + i % 60_000, 443, 6, 0, 3, Direction.INGRESS);
        Instant start = Instant.parse("2026-12-01T00:00:00Z").plusMillis(i);
        return new FinishedFlow(k, 10, 15_000, 14_860, start, start.plusSeconds(1), 0, 1_000_000_000L, 0x1b, 60, 1500, 0,
                false, EndReason.IDLE);
    }

    private static List<JsonNode> trees(List<String> lines) {
        return lines.stream().map(KafkaRoundTripTest::tree).toList();
    }

    private static JsonNode tree(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    private static void ping(Host from, Host to, boolean ipv6) {
        try {
            Traffic.ping(from, to, ipv6, 250);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One UDP flow (one source socket) sending a few datagrams every 400 ms for about 2.5 s. */
    private static void slowUdp(Host from, Host to) throws Exception {
        InetSocketAddress target = new InetSocketAddress(InetAddress.ofLiteral(to.ipv4()), 9005);
        from.call(() -> {
            try (DatagramSocket s = new DatagramSocket()) {
                byte[] payload = new byte[64];
                for (int round = 0; round < 7; round++) {
                    for (int i = 0; i < 5; i++) s.send(new DatagramPacket(payload, payload.length, target));
                    Thread.sleep(400);
                }
            }
            return null;
        });
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
