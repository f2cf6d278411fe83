package io.packetlens.export.kafka;

import io.packetlens.config.ConfigDocument;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.export.ExporterRunner;
import io.packetlens.export.ExporterStats;
import io.packetlens.export.json.FlowJson;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowClock;
import io.packetlens.lab.Host;
import io.packetlens.testkit.KernelTest;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.monitor.FlowMonitor;
import io.packetlens.monitor.TrafficLabels;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.flow.Count;
import io.packetlens.flow.Direction;
import io.packetlens.flow.EndReason;
import io.packetlens.flow.FlowKey;
import io.packetlens.peers.KafkaBroker;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker that goes away. SIGKILLed while lab traffic flows and the monitor polls: the monitor goes on counting every
 * packet, the exporter holds what it cannot hand over in its bounded queue, accounts for every record it could not
 * deliver, and once the broker is back on the same port and storage delivers again. Frozen (SIGSTOP) with records
 * in flight: they fail after the delivery timeout, the producer's buffer and the queue stay within their bounds and
 * the poll side is never held up.
 */
class KafkaBrokerLossTest {
    private static final int BEFORE_PORT = 9100, DURING_PORT = 9200, AFTER_PORT = 9300;
    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.start(19094, 19095);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    @KernelTest
    void aBrokerKilledMidStreamCostsOnlyCountedRecordsAndTheExporterRecovers() throws Exception {
        MonitorConfig config = MonitorConfig.defaults().withInterfaces(List.of("veth0"))
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1));
        List<FinishedFlow> finished = new CopyOnWriteArrayList<>();
        AtomicLong udpSent = new AtomicLong();
        AtomicLong longestPollNanos = new AtomicLong();
        try (Lab lab = Lab.create(); FlowMonitor monitor = new FlowMonitor(config, FlowClock.system())) {
            broker.createTopic("loss-flows", 2);
            String yaml = """
                    exporters:
                      - type: kafka
                        bootstrap-servers: %s
                        topic: loss-flows
                        linger: 10ms
                        delivery-timeout: 2s
                        max-block: 200ms
                        retry: {initial-backoff: 50ms, max-backoff: 500ms}
                        queue: {flush-timeout: 3s}
                    """.formatted(broker.bootstrap());
            ExporterRunner runner = Configured.read(ConfigDocument.parse(yaml).root().child("exporters"),
                    monitor::interfaceName, 0).getFirst().start();
            Host a = lab.a(), b = lab.b();
            monitor.onFinishedFlow(f -> {
                finished.add(f);
                runner.offer(f);
            });
            b.call(() -> monitor.attachXdp(b.ifname(), XdpMode.AUTO));
            AtomicBoolean polling = new AtomicBoolean(true);
            Thread poller = Thread.ofPlatform().daemon(true).name("poller").start(() -> {
                while (polling.get()) {
                    long t0 = System.nanoTime();
                    monitor.poll();
                    longestPollNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
                    sleep(100);
                }
            });
            try {
                // before: records made and acknowledged
                for (int i = 0; i < 4; i++) udpSent.addAndGet(Traffic.udp(a, b, false, 20, 64, BEFORE_PORT).packets());
                await("records before the kill acknowledged", Duration.ofSeconds(20),
                        () -> finished.stream().filter(f -> f.key().destinationPort() == BEFORE_PORT).count() >= 4
                                && runner.stats().sent() == runner.stats().offered());

                broker.kill();
                long killedAt = System.nanoTime();
                // during: traffic goes on and the monitor counts all of it; its records wait in the runner's queue
                while (System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(4)) {
                    udpSent.addAndGet(Traffic.udp(a, b, false, 10, 64, DURING_PORT).packets());
                    assertThat(udpPackets(monitor)).as("the monitor counts throughout").isEqualTo(udpSent.get());
                    sleep(250);
                }
                await("records made while the broker is gone are held or counted failed", Duration.ofSeconds(10), () -> {
                    ExporterStats s = runner.stats();
                    return s.queued() + s.inFlight() + s.failed() > 0;
                });
                assertThat(runner.stats().offered()).isEqualTo(finished.size());
                System.out.println("kafka exporter with its broker gone: " + runner.stats());

                broker.restart();
                System.out.println("kafka broker restarted in " + broker.lastStart().toMillis() + " ms");
                // after: the exporter reaches the broker again
                for (int i = 0; i < 4; i++) udpSent.addAndGet(Traffic.udp(a, b, false, 20, 64, AFTER_PORT).packets());
                await("records after the restart acknowledged", Duration.ofSeconds(30),
                        () -> finished.stream().filter(f -> f.key().destinationPort() == AFTER_PORT).count() >= 4
                                && runner.stats().sent() + runner.stats().failed() == runner.stats().offered());
            } finally {
                polling.set(false);
                poller.join();
            }
            monitor.stop();
            runner.close();

            assertThat(udpPackets(monitor)).as("monitor totals equal the traffic sent").isEqualTo(udpSent.get());
            assertThat(finished.stream().filter(f -> f.key().protocol() == 17).mapToLong(FinishedFlow::packets).sum())
                    .as("every counted packet reported in a record").isEqualTo(udpSent.get());
            ExporterStats s = runner.stats();
            System.out.println("kafka exporter after a broker kill: " + s);
            assertThat(s.offered()).isEqualTo(finished.size());
            assertThat(s.queued()).isZero();
            assertThat(s.sent() + s.dropped() + s.failed()).as("every record accounted for: " + s).isEqualTo(s.offered());
            assertThat(s.inFlight()).isZero();
            assertThat(s.dropped()).isZero();

            List<ConsumerRecord<String, String>> got = broker.read("loss-flows", (int) s.sent(), Duration.ofSeconds(30),
                    Duration.ofSeconds(1));
            Set<String> inTopic = got.stream().map(ConsumerRecord::value).collect(Collectors.toCollection(HashSet::new));
            Set<String> made = lines(finished, monitor, 0);
            assertThat(made).as("the topic holds only records the monitor made").containsAll(inTopic);
            assertThat(inTopic).as("at least every acknowledged record").hasSizeGreaterThanOrEqualTo((int) s.sent());
            Set<String> missing = new HashSet<>(made);
            missing.removeAll(inTopic);
            assertThat((long) missing.size()).as("whatever is not in the topic was counted failed").isLessThanOrEqualTo(s.failed());
            assertThat(inTopic).as("records acknowledged before the kill survived it").containsAll(lines(finished, monitor, BEFORE_PORT));
            assertThat(inTopic).as("records made after the restart arrived").containsAll(lines(finished, monitor, AFTER_PORT));
            assertThat(lines(finished, monitor, DURING_PORT)).isNotEmpty();
            // waiting on the exporter would take its max-block or delivery timeouts (many seconds); 2 s leaves
            // room for a poll descheduled while a new broker JVM starts on the same CPUs
            assertThat(Duration.ofNanos(longestPollNanos.get())).as("the poll never waited on the exporter")
                    .isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void aFrozenBrokerMakesRecordsFailAfterTheDeliveryTimeoutWithinBoundedMemory() throws Exception {
        broker.createTopic("frozen-flows", 2);
        String yaml = """
                exporters:
                  - type: kafka
                    bootstrap-servers: %s
                    topic: frozen-flows
                    linger: 5ms
                    batch-size: 16KiB
                    buffer-memory: 128KiB
                    delivery-timeout: 2s
                    max-block: 100ms
                    retry: {initial-backoff: 50ms, max-backoff: 200ms}
                    queue: {capacity: 2000, batch: 100, flush-timeout: 2s}
                """.formatted(broker.bootstrap());
        ExporterRunner runner = Configured.read(ConfigDocument.parse(yaml).root().child("exporters"), i -> "if" + i, 0)
                .getFirst().start();
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                warnings.add(r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger export = Logger.getLogger("packetlens.export");
        export.addHandler(capture);
        try {
            for (int i = 0; i < 10; i++) runner.offer(synthetic(i, 80));
            await("the first records acknowledged", Duration.ofSeconds(20), () -> runner.stats().sent() == 10);

            List<FinishedFlow> burst = java.util.stream.IntStream.range(0, 20_000).mapToObj(i -> synthetic(i, 81)).toList();
            broker.freeze();
            long t0 = System.nanoTime();
            burst.forEach(runner::offer);
            Duration offering = Duration.ofNanos(System.nanoTime() - t0);
            await("records with the frozen broker fail after the delivery timeout", Duration.ofSeconds(20),
                    () -> runner.stats().failed() > 0);
            Duration firstFailure = Duration.ofNanos(System.nanoTime() - t0);
            ExporterStats frozen = runner.stats();
            assertThat(firstFailure).as("records fail by the 2 s delivery timeout, not before: " + frozen)
                    .isGreaterThanOrEqualTo(Duration.ofMillis(1900)).isLessThan(Duration.ofSeconds(10));
            System.out.println("kafka exporter with a frozen broker: " + frozen + ", 20000 offers took " + offering.toMillis() + " ms");
            assertThat(offering).as("offer never waits for the exporter").isLessThan(Duration.ofSeconds(1));
            assertThat(frozen.dropped()).as("the bounded queue gave records up, counted").isPositive();
            assertThat(frozen.queued()).isLessThanOrEqualTo(2000);
            // beyond the queue, only the runner's batch (100) and what fits the producer's 128 KiB buffer (a few hundred
            // records of ~300 bytes) are in flight: not the thousands offered
            assertThat(frozen.inFlight()).isLessThan(1000);
            assertThat(warnings).anyMatch(w -> w.contains("the producer's buffer is full"));

            broker.thaw();
            await("the broker answers again", Duration.ofSeconds(30), () -> {
                ExporterStats s = runner.stats();
                return s.sent() > 10 && s.queued() == 0 && s.inFlight() == 0;
            });
            for (int i = 0; i < 100; i++) runner.offer(synthetic(i, 82));
            await("records after the thaw acknowledged", Duration.ofSeconds(20),
                    () -> runner.stats().sent() + runner.stats().failed() + runner.stats().dropped() == runner.stats().offered());
        } finally {
            runner.close();
            export.removeHandler(capture);
            broker.thaw();
        }
        ExporterStats s = runner.stats();
        System.out.println("kafka exporter after a frozen broker: " + s);
        assertThat(s.sent() + s.dropped() + s.failed()).as("every record accounted for: " + s).isEqualTo(s.offered());
        assertThat(s.failed()).isPositive();
        assertThat(warnings).anyMatch(w -> w.startsWith("exporter kafka: ") && w.contains("record(s) not delivered to Kafka"));
        List<ConsumerRecord<String, String>> got = broker.read("frozen-flows", (int) s.sent(), Duration.ofSeconds(30),
                Duration.ofSeconds(1));
        assertThat(got.stream().filter(r -> r.value().contains("\"destinationTransportPort\":82,")).count())
                .as("the records made after the thaw").isEqualTo(100);
        assertThat((long) got.size()).isGreaterThanOrEqualTo(s.sent());
    }

    private static FinishedFlow synthetic(int i, int port) {
        FlowKey k = new FlowKey(InetAddress.ofLiteral("10.9.0.1"), InetAddress.ofLiteral("10.9.0.2"), 1024 + i, port, 17,
                0, 3, Direction.INGRESS);
        Instant start = Instant.parse("2026-12-01T00:00:00Z").plusMillis(i);
        return new FinishedFlow(k, 2, 200, 172, start, start.plusMillis(10), 0, 10_000_000L, 0, 86, 86, 0, false, EndReason.IDLE);
    }

    /** The JSON records of the flows to {@code port} (0: all). */
    private static Set<String> lines(List<FinishedFlow> flows, FlowMonitor monitor, int port) {
        return flows.stream().filter(f -> port == 0 || f.key().destinationPort() == port)
                .map(f -> FlowJson.toLine(f, monitor.interfaceName(f.key().ifindex()))).collect(Collectors.toSet());
    }

    private static long udpPackets(FlowMonitor monitor) {
        Count c = monitor.poll().traffic().get(new TrafficLabels("veth0", "ingress", "udp"));
        return c == null ? 0 : c.packets();
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting: " + what);
            Thread.sleep(50);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
