package io.packetlens.bench;

import io.packetlens.ebpf.xsk.BindMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.peers.KafkaBroker;
import io.packetlens.peers.Nfcapd;
import io.packetlens.peers.Processes;
import io.packetlens.packet.FlowFrames;
import io.packetlens.trafficgen.InterfaceMac;
import io.packetlens.trafficgen.TrafficGenerator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Benchmark (a command, not a test) of the agent's export path: a whole flow table finishing in one poll, exported
 * over IPFIX/UDP to a real nfcapd and over Kafka to a real KRaft broker, each alone and both together in one agent.
 * It reports when each exporter had delivered every record, the agent JVM's CPU for it, and what the collectors hold.
 * Results are recorded in docs/BENCHMARKS.md ("Export: a full poll over IPFIX and Kafka").
 */
@Command(name = "bench-export", mixinStandardHelpOptions = true, sortOptions = false,
        description = "65,536 flows finishing in one poll, exported over IPFIX/UDP (nfcapd) and Kafka (a KRaft broker). Needs root.")
public final class ExportBenchmark implements Callable<Integer> {
    @Option(names = "--flows", defaultValue = "65536", description = "Distinct flows, one frame each (default: ${DEFAULT-VALUE}).")
    int flows;
    @Option(names = "--rounds", defaultValue = "5", description = "Runs of each mode (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--modes", defaultValue = "ipfix,kafka,both", split = ",",
            description = "Exporter sets, each round in this order: ipfix, kafka, both (default: ${DEFAULT-VALUE}).")
    List<String> modes;
    @Option(names = "--table-size", defaultValue = "131072", description = "Flow table entries (default: ${DEFAULT-VALUE}).")
    int tableSize;
    @Option(names = "--idle-timeout-ms", defaultValue = "2000", description = "Idle timeout (default: ${DEFAULT-VALUE}).")
    long idleMs;
    @Option(names = "--poll-interval-ms", defaultValue = "1000", description = "Poll interval (default: ${DEFAULT-VALUE}).")
    long pollMs;
    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of each Kafka topic (default: ${DEFAULT-VALUE}).")
    int partitions;
    @Option(names = "--ipfix-port", defaultValue = "19210", description = "nfcapd's UDP port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int ipfixPort;
    @Option(names = "--kafka-port", defaultValue = "19220", description = "The broker's port on 127.0.0.1; the controller takes the next (default: ${DEFAULT-VALUE}).")
    int kafkaPort;
    @Option(names = "--nfcapd-buffer", defaultValue = "0",
            description = "nfcapd's socket receive buffer in bytes (its -B; capped by net.core.rmem_max); 0: its default, the kernel's rmem_default (default: ${DEFAULT-VALUE}).")
    int nfcapdBuffer;
    @Option(names = "--trace", description = "Also print each exporter's offered/sent/queued counts every 20 ms from the finishing poll's start.")
    boolean trace;
    @Option(names = "--markdown", description = "Also write the Markdown tables to this file.")
    Path markdownFile;

    private static final int FRAME_SIZE = 60;
    private static final int DST_PORT = 19230;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new ExportBenchmark());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("bench-export: " + e.getMessage());
            if (!(e instanceof IllegalArgumentException)) e.printStackTrace(cmd.getErr());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<ExportMode> m = modes.stream().map(x -> ExportMode.valueOf(x.trim().toUpperCase(Locale.ROOT))).toList();
        ExportSettings s = new ExportSettings(flows, rounds, m, tableSize, Duration.ofMillis(idleMs), Duration.ofMillis(pollMs),
                partitions, ipfixPort, kafkaPort, FRAME_SIZE, DST_PORT, Duration.ofSeconds(60), nfcapdBuffer);
        PrintStream out = System.out, log = System.err;
        Machine machine = Machine.describe(new Bpftool("bpftool"));
        String software = software() + "; nfcapd socket buffer " + (nfcapdBuffer == 0 ? "its default" : "-B " + nfcapdBuffer)
                + " (net.core.rmem_default " + sysctl("net/core/rmem_default") + ", rmem_max " + sysctl("net/core/rmem_max") + ")";
        log.printf("bench-export: %s; %s%n", machine.cpuDescription(), software);
        Path work = Files.createTempDirectory(Path.of("/tmp"), "pl-xbench-");
        AtomicReference<Nfcapd> nfcapd = new AtomicReference<>();
        // Ctrl-C: the lab and the broker have shutdown hooks of their own; nfcapd and the work dir are ours to end
        Thread cleanup = Thread.ofPlatform().unstarted(() -> {
            try {
                Nfcapd n = nfcapd.get();
                if (n != null) n.close();
                Processes.delete(work);
            } catch (Exception ignored) {
                // exiting anyway
            }
        });
        Runtime.getRuntime().addShutdownHook(cleanup);
        List<ExportResult> results = new ArrayList<>();
        try (Lab lab = Lab.create(); KafkaBroker broker = KafkaBroker.start(kafkaPort, kafkaPort + 1, work)) {
            log.printf("bench-export: lab %s, broker at %s started in %d ms%n", lab.a().namespace().replaceAll("-a$", ""),
                    broker.bootstrap(), broker.lastStart().toMillis());
            Host a = lab.a(), b = lab.b();
            FlowFrames frames = new FlowFrames(FlowFrames.Protocol.UDP, FRAME_SIZE, flows, InterfaceMac.parse(a.mac()),
                    InterfaceMac.parse(b.mac()), InetAddress.ofLiteral(a.ipv4()), InetAddress.ofLiteral(b.ipv4()), DST_PORT);
            try (TrafficGenerator gen = a.call(() -> TrafficGenerator.open(a.ifname(), 0, frames, BindMode.AUTO))) {
                ExportRun run = new ExportRun(s, lab, broker, gen, work, nfcapd, log, trace);
                for (int r = 1; r <= rounds; r++) {
                    for (ExportMode mode : m) {
                        ExportResult res = run.run(mode, r);
                        results.add(res);
                        log.printf("bench-export: %s%n", res);
                    }
                }
            }
        } finally {
            Processes.delete(work);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
        }
        String md = ExportReport.render(machine, software, s, results);
        out.println();
        out.print(md);
        if (markdownFile != null) Files.writeString(markdownFile, md);
        return 0;
    }

    /** The version kafka-clients carries (its AppInfoParser is internal in Kafka 4). */
    private static String kafkaVersion() throws java.io.IOException {
        java.util.Properties p = new java.util.Properties();
        try (var in = ExportBenchmark.class.getClassLoader().getResourceAsStream("kafka/kafka-version.properties")) {
            if (in == null) return "(unknown version)";
            p.load(in);
        }
        return p.getProperty("version", "(unknown version)");
    }

    private static String sysctl(String name) {
        try {
            return Files.readAllLines(Path.of("/proc/sys", name)).getFirst().strip();
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private static String software() throws Exception {
        String nfdump = Processes.run(Duration.ofSeconds(10), Map.of(), "nfdump", "-V").strip().replace("nfdump: Version: ", "nfdump ");
        List<String> flags = ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(f -> f.startsWith("-X")).toList();
        return System.getProperty("java.vm.name") + " " + Runtime.version() + (flags.isEmpty() ? "" : " " + String.join(" ", flags))
                + "; Kafka " + kafkaVersion() + " (broker and client); " + nfdump;
    }
}
