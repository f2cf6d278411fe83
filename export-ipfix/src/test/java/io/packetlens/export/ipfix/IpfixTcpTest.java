package io.packetlens.export.ipfix;

import io.packetlens.export.ExportContext;
import io.packetlens.export.ExporterRunner;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.json.FlowJson;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.testkit.KernelTest;
import io.packetlens.peers.Processes;
import io.packetlens.peers.SocketQueues;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * IPFIX over TCP to a real decoder: libfixbuf's ipfixDump reading the stream socat accepts (a TCP stream of IPFIX
 * messages is exactly an IPFIX file, RFC 5655), which ignores data records whose template it has not seen; and tshark
 * decoding the captured connections. The receiver is killed and restarted: the exporter reconnects, and the new
 * connection starts with the templates and sequence number 0. Needs root for the capture.
 */
@KernelTest
class IpfixTcpTest {
    private static final int PORT = 4744;
    private static final Pattern SOURCE_PORT = Pattern.compile("sourceTransportPort : (\\d+)");
    private static final Pattern FILE_STATS = Pattern.compile("File Stats: (\\d+) Messages, (\\d+) Data Records, (\\d+) Template Records");

    /**
     * socat accepting one connection on the port and piping it into ipfixDump, which writes {@code out} at EOF. A socat
     * that exits before it listens (the port not yet free again after the last connection) is started again.
     */
    private static Process receiver(Path out, Path log) throws Exception {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (true) {
            Process p = Processes.start(log, "sh", "-c", "socat -u TCP-LISTEN:" + PORT + ",bind=127.0.0.1,reuseaddr STDOUT | ipfixDump --out " + out);
            while (p.isAlive() && !listening() && System.nanoTime() < deadline) Thread.sleep(20);
            if (p.isAlive() && listening()) return p;
            if (System.nanoTime() >= deadline) {
                String said = Files.exists(log) ? Files.readString(log) : "";
                String sockets = Processes.run(Duration.ofSeconds(5), Map.of(), "ss", "-Htan", "sport = :" + PORT + " or dport = :" + PORT);
                p.destroyForcibly();
                throw new AssertionError("socat did not listen on " + PORT + " within 15 s; its log: " + said + "; sockets on the port: " + sockets);
            }
            Thread.sleep(200);
        }
    }

    /**
     * Whether socat listens on the port, or has already taken its one connection (it then stops listening: the
     * exporter's reconnect loop can get there before a look at the listening sockets does).
     */
    private static boolean listening() {
        try {
            String sockets = Processes.run(Duration.ofSeconds(5), Map.of(), "ss", "-Htan", "sport = :" + PORT);
            return sockets.lines().anyMatch(l -> l.startsWith("LISTEN") || l.startsWith("ESTAB"));
        } catch (Exception e) {
            return false;
        }
    }

    private static void killSocat(Process receiver) {
        receiver.descendants().filter(h -> h.info().command().orElse("").endsWith("socat")).forEach(ProcessHandle::destroy);
    }

    private static List<FinishedFlow> batch(int from) {
        List<FinishedFlow> l = new ArrayList<>();
        for (int i = from; i < from + 20; i++) l.add(Flows.numbered(i, i % 3 == 0));
        return l;
    }

    @Test
    void recordsArriveOverTcpAndEachNewConnectionStartsWithTemplates() throws Exception {
        Path dir = Processes.tempDir("pl-ipfix-tcp-");
        Process r1 = null, r2 = null;
        IpfixSettings s = IpfixSettings.defaults(List.of(new Collector(Collector.Transport.TCP, new InetSocketAddress("127.0.0.1", PORT))), 21);
        ExportContext ctx = new ExportContext(i -> "if" + i, 21);
        IpfixExporter exporter = new IpfixExporter(s, ctx);
        ExporterRunner runner = null;
        try (Capture capture = Capture.start("tcp", PORT)) {
            r1 = receiver(dir.resolve("first.txt"), dir.resolve("first.log"));
            runner = ExporterRunner.start("tcp", "ipfix", ExporterSettings.defaults().backoff(Duration.ofMillis(20), Duration.ofMillis(200)), exporter, ctx);
            ExporterRunner run = runner;
            List<FinishedFlow> first = batch(0), second = batch(1000);
            first.forEach(runner::offer);
            Processes.await("the first batch sent", Duration.ofSeconds(10), () -> run.stats().sent() == 20);
            // socat ends on SIGTERM without reading what is still queued on its socket: wait until it has read it all
            assertThat(SocketQueues.awaitEmpty(SocketQueues.Transport.TCP, PORT, Duration.ofSeconds(10)))
                    .as("socat read all that was queued on its connection").isTrue();
            Thread.sleep(300); // socat passes on what it read
            killSocat(r1);
            assertThat(r1.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).as("ipfixDump finished").isTrue();
            Processes.await("the exporter to notice the closed connection", Duration.ofSeconds(5), () -> !exporter.collectorStats().getFirst().open());

            second.forEach(runner::offer); // while nothing listens: the runner retries, open() fails, until the receiver is back
            Processes.await("a refused reconnect", Duration.ofSeconds(10), () -> run.stats().sendErrors() > 0);
            Thread.sleep(300); // the old connection's sockets settle before socat binds the port again
            assertThat(runner.stats().sent()).isEqualTo(20);
            r2 = receiver(dir.resolve("second.txt"), dir.resolve("second.log"));
            Processes.await("the second batch sent after reconnecting", Duration.ofSeconds(10), () -> run.stats().sent() == 40);
            runner.close(); // closes the connection: socat ends, ipfixDump writes its file
            assertThat(r2.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).as("ipfixDump finished").isTrue();

            assertThat(runner.stats().failed()).isZero();
            assertThat(exporter.collectorStats().getFirst().sessions()).isEqualTo(2);
            assertThat(exporter.collectorStats().getFirst().templateMessages()).isEqualTo(2);
            for (var run2 : List.of(Map.entry("first.txt", first), Map.entry("second.txt", second))) {
                String dump = Files.readString(dir.resolve(run2.getKey()));
                Matcher stats = FILE_STATS.matcher(dump);
                assertThat(stats.find()).as(dump).isTrue();
                // ipfixDump skips data records without a template: all 20 decoded means the templates came first
                assertThat(stats.group(2)).as(run2.getKey()).isEqualTo("20");
                assertThat(stats.group(3)).as("the one-way and the biflow templates, IPv4 and IPv6").isEqualTo("4");
                assertThat(dump.indexOf("sequence number: 0 (0)")).as("a new session starts at 0").isGreaterThanOrEqualTo(0);
                List<Integer> ports = SOURCE_PORT.matcher(dump).results().map(m -> Integer.parseInt(m.group(1))).toList();
                assertThat(ports).containsExactlyInAnyOrderElementsOf(run2.getValue().stream().map(f -> f.key().sourcePort()).toList());
            }

            capture.stop();
            Capture.Decoded decoded = capture.decode("tcp", PORT);
            assertThat(decoded.problems()).as("tshark's expert info").isEmpty();
            List<FlowView> expected = new ArrayList<>();
            for (FinishedFlow f : first) expected.add(FlowView.ofFlowJson(FlowJson.toJson(f, null)));
            for (FinishedFlow f : second) expected.add(FlowView.ofFlowJson(FlowJson.toJson(f, null)));
            assertThat(decoded.records().stream().map(FlowView::ofTshark).toList()).containsExactlyInAnyOrderElementsOf(expected);
            // two connections that carried IPFIX (the refused attempts between them carried nothing), each beginning with
            // a template set
            assertThat(decoded.streams()).hasSize(2);
            decoded.streams().values().forEach(sets -> assertThat(sets.getFirst()).containsExactly(2));
        } finally {
            if (runner != null) runner.close();
            Processes.stop(r1);
            Processes.stop(r2);
            Processes.delete(dir);
        }
    }
}
