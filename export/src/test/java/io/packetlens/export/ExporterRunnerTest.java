package io.packetlens.export;

import io.packetlens.flow.FinishedFlow;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runner between the poll thread and a destination: bounded, never blocking, retrying, counting. The exporters
 * here are small in-test destinations that stall, fail or record, which is what the runner must cope with; the real
 * destinations (nfcapd, Kafka) are tested in their own modules.
 */
class ExporterRunnerTest {
    /** Records what it is sent; can be made to stall or to fail a number of times. */
    static final class Destination implements Exporter {
        final List<FinishedFlow> received = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger opens = new AtomicInteger();
        volatile boolean stall;
        volatile int failuresLeft;
        volatile boolean alwaysFail;

        @Override
        public void open() throws IOException {
            opens.incrementAndGet();
            if (alwaysFail) throw new IOException("connection refused");
        }

        @Override
        public void send(List<FinishedFlow> flows) throws IOException {
            if (stall) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            if (alwaysFail) throw new IOException("connection reset");
            if (failuresLeft > 0) {
                failuresLeft--;
                throw new IOException("broken pipe");
            }
            received.addAll(flows);
        }

        @Override
        public void close() {}
    }

    private static ExporterSettings small(int capacity) {
        return ExporterSettings.defaults().queueCapacity(capacity).backoff(Duration.ofMillis(10), Duration.ofMillis(40))
                .flushTimeout(Duration.ofSeconds(2));
    }

    private static void awaitQuiet(ExporterRunner r, long expectedSettled) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            ExporterStats s = r.stats();
            if (s.sent() + s.dropped() + s.failed() >= expectedSettled) return;
            Thread.sleep(5);
        }
    }

    @Test
    void aStalledDestinationNeverBlocksTheProducer() throws Exception {
        Destination d = new Destination();
        d.stall = true;
        ExportContext ctx = ExportContext.standalone();
        ExporterRunner r = ExporterRunner.start("stalled", "test", small(1000), d, ctx);
        long t0 = System.nanoTime();
        for (int i = 0; i < 200_000; i++) r.offer(TestFlows.numbered(i));
        long offerMillis = (System.nanoTime() - t0) / 1_000_000;
        ExporterStats stalled = r.stats();
        assertThat(stalled.offered()).isEqualTo(200_000);
        assertThat(stalled.queued()).isEqualTo(1000);
        assertThat(stalled.dropped()).as("all but the queue and the batch in the destination's hands")
                .isBetween(200_000L - 1000 - ExporterSettings.defaults().batchSize(), 200_000L - 1000);
        assertThat(offerMillis).as("200,000 offers to a stalled destination take no waiting").isLessThan(5_000);
        d.release.countDown();
        r.close();
        ExporterStats end = r.stats();
        assertThat(end.sent()).isEqualTo(d.received.size());
        assertThat(end.sent() + end.dropped() + end.failed()).as("every record accounted for").isEqualTo(200_000);
        assertThat(end.failed()).isZero();
    }

    @Test
    void dropOldestKeepsTheFreshestRecords() throws Exception {
        Destination d = new Destination();
        d.stall = true;
        ExporterRunner r = ExporterRunner.start("fresh", "test", small(10).dropPolicy(DropPolicy.DROP_OLDEST), d, ExportContext.standalone());
        r.offer(TestFlows.numbered(0));
        awaitInHand(d, r);
        for (int i = 1; i <= 100; i++) r.offer(TestFlows.numbered(i));
        d.release.countDown();
        r.close();
        List<Integer> ports = d.received.stream().map(f -> f.key().sourcePort() - 1024).toList();
        assertThat(ports).as("the record in hand, then the last ten offered").containsExactly(0, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100);
        assertThat(r.stats().dropped()).isEqualTo(90);
    }

    /** Waits until the runner took the first record off the queue (it is then blocked in the stalled send). */
    private static void awaitInHand(Destination d, ExporterRunner r) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (r.stats().queued() > 0 && System.nanoTime() < deadline) Thread.sleep(2);
    }

    @Test
    void aFailedBatchIsRetriedWithBackoffAndArrivesInOrder() throws Exception {
        Destination d = new Destination();
        d.failuresLeft = 3;
        ExporterRunner r = ExporterRunner.start("flaky", "test", small(1000), d, ExportContext.standalone());
        for (int i = 0; i < 500; i++) r.offer(TestFlows.numbered(i));
        awaitQuiet(r, 500);
        r.close();
        ExporterStats s = r.stats();
        assertThat(s.sent()).isEqualTo(500);
        assertThat(s.sendErrors()).isEqualTo(3);
        assertThat(s.lastError()).isEqualTo("broken pipe");
        assertThat(d.opens.get()).as("reopened after each failure").isEqualTo(4);
        assertThat(d.received.stream().map(f -> f.key().sourcePort() - 1024).toList())
                .isEqualTo(java.util.stream.IntStream.range(0, 500).boxed().toList());
    }

    @Test
    void shutdownCountsWhatADeadDestinationNeverTook() throws Exception {
        Destination d = new Destination();
        d.alwaysFail = true;
        ExporterRunner r = ExporterRunner.start("dead", "test", small(1000).flushTimeout(Duration.ofMillis(300)), d, ExportContext.standalone());
        for (int i = 0; i < 50; i++) r.offer(TestFlows.numbered(i));
        Thread.sleep(100);
        long t0 = System.nanoTime();
        r.close();
        assertThat((System.nanoTime() - t0) / 1_000_000).as("close waits for the flush timeout, not forever").isLessThan(2_000);
        ExporterStats s = r.stats();
        assertThat(s.sent()).isZero();
        assertThat(s.failed()).isEqualTo(50);
        assertThat(s.connected()).isFalse();
        assertThat(s.sendErrors()).isGreaterThan(1);
        assertThat(r.offer(TestFlows.numbered(1))).as("a closed runner takes nothing, and counts it").isFalse();
        assertThat(r.stats().dropped()).isEqualTo(1);
    }

    @Test
    void deliveriesReportedLaterAreCounted() throws Exception {
        ExportContext ctx = ExportContext.standalone();
        Exporter async = new Exporter() {
            @Override
            public void open() {}

            @Override
            public void send(List<FinishedFlow> flows) {
                // the destination acknowledges all but the first of each batch later
                ctx.delivered(flows.size() - 1);
                ctx.failed(1, new IOException("topic unavailable"));
            }

            @Override
            public boolean reportsDelivery() {
                return true;
            }

            @Override
            public void close() {}
        };
        ExporterRunner r = ExporterRunner.start("async", "test", small(100), async, ctx);
        for (int i = 0; i < 10; i++) r.offer(TestFlows.numbered(i));
        awaitQuiet(r, 10);
        r.close();
        ExporterStats s = r.stats();
        assertThat(s.sent() + s.failed()).isEqualTo(10);
        assertThat(s.failed()).isGreaterThanOrEqualTo(1);
        assertThat(s.lastError()).isEqualTo("topic unavailable");
    }
    @Test
    void aPartlyTakenBatchIsRetriedFromWhereTheDestinationStopped() throws Exception {
        List<FinishedFlow> received = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger partials = new AtomicInteger(3);
        CountDownLatch offered = new CountDownLatch(1);
        Exporter filling = new Exporter() {
            @Override
            public void open() {}

            @Override
            public void send(List<FinishedFlow> flows) throws IOException {
                try {
                    offered.await(); // so that batches are full ones
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                // a client buffer that fills part way through: it takes the first third, three times
                if (flows.size() > 2 && partials.getAndDecrement() > 0) {
                    int took = flows.size() / 3;
                    received.addAll(flows.subList(0, took));
                    throw new PartialSendException(took, "buffer full", null);
                }
                received.addAll(flows);
            }

            @Override
            public void close() {}
        };
        ExporterRunner r = ExporterRunner.start("filling", "test", small(1000), filling, ExportContext.standalone());
        for (int i = 0; i < 300; i++) r.offer(TestFlows.numbered(i));
        offered.countDown();
        awaitQuiet(r, 300);
        r.close();
        ExporterStats s = r.stats();
        assertThat(s.sent()).isEqualTo(300);
        assertThat(s.failed()).isZero();
        assertThat(s.sendErrors()).isEqualTo(3);
        assertThat(received.stream().map(f -> f.key().sourcePort() - 1024).toList())
                .as("each record once, in order: the part taken is not sent again")
                .isEqualTo(java.util.stream.IntStream.range(0, 300).boxed().toList());
    }
}
