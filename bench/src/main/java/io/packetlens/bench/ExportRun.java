package io.packetlens.bench;

import io.packetlens.agent.Agent;
import io.packetlens.agent.AgentConfig;
import io.packetlens.agent.AgentSnapshot;
import io.packetlens.agent.InterfaceSpec;
import io.packetlens.config.ConfigDocument;
import io.packetlens.export.ExporterConfigs;
import io.packetlens.export.ExporterSpec;
import io.packetlens.export.ExporterStats;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.peers.KafkaBroker;
import io.packetlens.peers.Nfcapd;
import io.packetlens.peers.Processes;
import io.packetlens.trafficgen.TrafficGenerator;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One run of the export benchmark: a fresh agent with the mode's exporters (nfcapd and a topic of their own), the
 * flows sent in the middle of a poll interval so that they all go idle between the same two polls, then the poll that
 * finishes them, the exporters watched every millisecond until each has delivered them all, and the collectors read.
 */
final class ExportRun {
    /** nfcapd's totals line at exit. */
    private static final Pattern NFCAPD_TOTALS = Pattern.compile("Flows: (\\d+), Packets: (\\d+), Bytes: (\\d+), Sequence Errors: (\\d+), Bad Packets: (\\d+)");
    private static final long WATCH_NANOS = 1_000_000;

    private final ExportSettings s;
    private final Lab lab;
    private final KafkaBroker broker;
    private final TrafficGenerator generator;
    private final Path work;
    private final AtomicReference<Nfcapd> running;
    private final PrintStream log;
    private final boolean trace;

    /** {@code running} holds the nfcapd of the run in progress, for a shutdown hook to end. */
    ExportRun(ExportSettings s, Lab lab, KafkaBroker broker, TrafficGenerator generator, Path work,
              AtomicReference<Nfcapd> running, PrintStream log, boolean trace) {
        this.s = s;
        this.lab = lab;
        this.broker = broker;
        this.generator = generator;
        this.work = work;
        this.running = running;
        this.log = log;
        this.trace = trace;
    }

    String yaml(ExportMode mode, String topic) {
        StringBuilder y = new StringBuilder("exporters:\n");
        if (mode.ipfix) y.append("  - type: ipfix\n    collectors: udp://127.0.0.1:").append(s.ipfixPort()).append('\n');
        if (mode.kafka) {
            y.append("  - type: kafka\n    bootstrap-servers: 127.0.0.1:").append(s.kafkaPort()).append('\n')
                    .append("    topic: ").append(topic).append('\n');
        }
        return y.toString();
    }

    ExportResult run(ExportMode mode, int round) throws Exception {
        Host a = lab.a(), b = lab.b();
        String topic = "xbench-" + round + "-" + mode.name().toLowerCase(Locale.ROOT);
        if (mode.kafka) broker.createTopic(topic, s.partitions());
        Nfcapd nfcapd = null;
        try {
            if (mode.ipfix) {
                Path dir = Files.createDirectory(work.resolve("nfcapd-" + topic));
                nfcapd = s.nfcapdBuffer() == 0 ? Nfcapd.start(s.ipfixPort(), dir)
                        : Nfcapd.start(s.ipfixPort(), dir, "-B", Integer.toString(s.nfcapdBuffer()));
                running.set(nfcapd);
            }
            List<ExporterSpec> specs = ExporterConfigs.read(ConfigDocument.parse(yaml(mode, topic)).root().child("exporters"));
            MonitorConfig flows = MonitorConfig.defaults().withTableSize(s.tableSize())
                    .withTimeouts(MonitorConfig.defaults().activeTimeout(), s.idleTimeout()).withPollInterval(s.pollInterval());
            AgentConfig config = AgentConfig.defaults().withInterfaces(List.of(new InterfaceSpec(b.ifname(), b.namespace())))
                    .withFlows(flows).withMetrics(null).withExporters(specs);
            List<Long> pids = new ArrayList<>();
            if (mode.ipfix) pids.add(nfcapd.pid());
            if (mode.kafka) pids.add(broker.pid());
            try (Agent agent = Agent.start(config, new Agent.Listener() {})) {
                Processes.await("the exporters to connect", Duration.ofSeconds(30),
                        () -> agent.snapshot().exporters().stream().allMatch(ExporterStats::connected));
                return measure(mode, round, agent, nfcapd, topic, pids.stream().mapToLong(Long::longValue).toArray());
            }
        } finally {
            running.set(null);
            if (nfcapd != null) nfcapd.close();
        }
    }

    private ExportResult measure(ExportMode mode, int round, Agent agent, Nfcapd nfcapd, String topic, long[] pids) throws Exception {
        int n = pids.length;
        long flows = s.flows();
        List<Poller.Poll> polls = new ArrayList<>();
        long[] doneAt = new long[n];
        CpuTime[] cpuAt = new CpuTime[n];
        long[] peerAt = new long[n];
        boolean[] settled = new boolean[n];
        TrafficGenerator.Result traffic;
        long trafficStart, trafficEnd;
        Poller.Poll finishing = null;
        long udpDrops = -1;
        List<long[]> samples = new ArrayList<>();
        try (Poller poller = new Poller(agent.monitor(), s.pollInterval(), pids)) {
            // the middle of the interval after the first poll: every flow's one packet is then more than half an
            // interval away from both polls, so they all go idle at the same later poll
            sleepUntil(poller.startNanos() + poller.intervalNanos() * 3 / 2);
            trafficStart = System.nanoTime();
            traffic = generator.run(flows, 0, () -> false);
            trafficEnd = System.nanoTime();
            long deadline = trafficEnd + s.timeout().toNanos();
            while (true) {
                for (Poller.Poll p; (p = poller.polls().poll()) != null; ) {
                    polls.add(p);
                    if (finishing == null && p.records() > 0) finishing = p;
                }
                List<ExporterStats> stats = agent.snapshot().exporters();
                long now = System.nanoTime();
                if (trace) {
                    long[] row = new long[1 + 3 * n];
                    row[0] = now;
                    for (int i = 0; i < n; i++) {
                        row[1 + 3 * i] = stats.get(i).offered();
                        row[2 + 3 * i] = stats.get(i).sent();
                        row[3 + 3 * i] = stats.get(i).queued();
                    }
                    samples.add(row);
                }
                boolean all = true;
                for (int i = 0; i < n; i++) {
                    if (doneAt[i] != 0 || settled[i]) continue;
                    ExporterStats e = stats.get(i);
                    if (e.sent() >= flows) {
                        doneAt[i] = now;
                        cpuAt[i] = CpuTime.process();
                        peerAt[i] = Processes.cpuNanos(pids[i]);
                    } else if (e.offered() >= flows && e.sent() + e.dropped() + e.failed() >= e.offered()) {
                        settled[i] = true; // done, with losses
                    } else {
                        all = false;
                    }
                }
                if (all && finishing != null) break;
                if (now - deadline > 0) {
                    log.printf("bench-export: %s round %d: gave up waiting %d s after the traffic: %s%n", mode, round,
                            s.timeout().toSeconds(), stats);
                    break;
                }
                LockSupport.parkNanos(WATCH_NANOS);
            }
            // one more poll (does anything come after the finishing one?), and time for datagrams to reach nfcapd
            long lastPoll = polls.getLast().index();
            Processes.await("the poll after", Duration.ofSeconds(10), () -> {
                for (Poller.Poll p; (p = poller.polls().poll()) != null; ) polls.add(p);
                return polls.getLast().index() > lastPoll;
            });
            if (mode.ipfix) udpDrops = UdpDrops.loopback(s.ipfixPort());
        }
        AgentSnapshot fin = agent.stop();
        if (trace && finishing != null) printTrace(mode, round, finishing, samples, n);
        long recordsInPoll = 0, recordsLater = fin.flows().totals().records(), pollWall = 0, pollCpu = 0, agentCpu = 0;
        long[] delivered = new long[n], cpu = new long[n], peer = new long[n];
        java.util.Arrays.fill(delivered, ExportResult.Outcome.NEVER);
        if (finishing != null) {
            int at = polls.indexOf(finishing);
            long before = at == 0 ? 0 : polls.get(at - 1).records();
            recordsInPoll = finishing.records() - before;
            recordsLater = fin.flows().totals().records() - finishing.records();
            pollWall = finishing.wallNanos();
            pollCpu = finishing.threadCpuNanos();
            for (int i = 0; i < n; i++) {
                if (doneAt[i] == 0) continue;
                delivered[i] = doneAt[i] - finishing.endNanos();
                cpu[i] = cpuAt[i].minus(finishing.processCpu()).totalNanos();
                agentCpu = Math.max(agentCpu, cpu[i]);
                peer[i] = peerAt[i] < 0 || finishing.peerCpuNanos()[i] < 0 ? -1 : peerAt[i] - finishing.peerCpuNanos()[i];
            }
        }
        boolean oneInterval = polls.size() >= 2 && polls.get(0).endNanos() < trafficStart && polls.get(1).startNanos() > trafficEnd;
        List<ExportResult.Outcome> outcomes = new ArrayList<>();
        int i = 0;
        if (mode.ipfix) {
            nfcapd.stop(); // completes its file
            String out = nfcapd.nfdump("-q", "-N", "-o", "fmt:%sa,%da,%sp,%dp,%pr,%pkt");
            CollectorCount seen = CollectorCount.ofNfdump(out, lab.a().ipv4(), lab.b().ipv4());
            Matcher m = NFCAPD_TOTALS.matcher(nfcapd.log());
            String totals = "no totals in nfcapd's log";
            while (m.find()) {
                totals = String.format(Locale.ROOT, "nfcapd: %s flows, sequence errors %s, bad packets %s", m.group(1), m.group(4), m.group(5));
            }
            String note = totals + String.format(Locale.ROOT, "; socket drops %d", udpDrops);
            outcomes.add(new ExportResult.Outcome("ipfix", delivered[i], cpu[i], peer[i], fin.exporters().get(i), seen, note));
            i++;
        }
        if (mode.kafka) {
            List<ConsumerRecord<String, String>> records = broker.read(topic, (int) flows, Duration.ofSeconds(60), Duration.ofSeconds(1));
            CollectorCount seen = CollectorCount.ofFlowJson(records.stream().map(ConsumerRecord::value).toList(), lab.a().ipv4(), lab.b().ipv4());
            long parts = records.stream().mapToInt(ConsumerRecord::partition).distinct().count();
            String note = String.format(Locale.ROOT, "consumer: %d records from %d of %d partitions", records.size(), parts, s.partitions());
            outcomes.add(new ExportResult.Outcome("kafka", delivered[i], cpu[i], peer[i], fin.exporters().get(i), seen, note));
        }
        return new ExportResult(mode, round, traffic.sent(), trafficEnd - trafficStart, oneInterval,
                finishing == null ? -1 : finishing.index(), recordsInPoll, recordsLater, pollWall, pollCpu, agentCpu, outcomes);
    }

    /** Every 20 ms from the finishing poll's start: each exporter's offered, sent and queued counts. */
    private void printTrace(ExportMode mode, int round, Poller.Poll poll, List<long[]> samples, int n) {
        log.printf("bench-export: trace %s round %d: poll %d ran %d ms; ms from the poll's start, then per exporter offered/sent/queued%n",
                mode, round, poll.index(), poll.wallNanos() / 1_000_000);
        long next = poll.startNanos();
        for (long[] row : samples) {
            if (row[0] < next) continue;
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  %5d ms", (row[0] - poll.startNanos()) / 1_000_000));
            for (int i = 0; i < n; i++) b.append(String.format(Locale.ROOT, "  %6d/%6d/%6d", row[1 + 3 * i], row[2 + 3 * i], row[3 + 3 * i]));
            log.println(b);
            next = row[0] + 20_000_000;
        }
    }

    private static void sleepUntil(long nanos) {
        for (long now = System.nanoTime(); now - nanos < 0; now = System.nanoTime()) LockSupport.parkNanos(nanos - now);
    }
}
