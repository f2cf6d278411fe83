package io.packetlens.export.ipfix;

import io.packetlens.peers.Processes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * tcpdump writing what crosses the loopback on one port to a pcap file, and tshark decoding that file as IPFIX
 * ({@code -d udp.port==N,cflow}), the Wireshark dissector being the independent reader of the bytes on the wire.
 */
final class Capture implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Wireshark's expert group of TCP's connection notes (SYN, FIN, RST), which are no decoding problem. */
    private static final String SEQUENCE_GROUP = "0x02000000";
    private final Path dir;
    private final Path pcap;
    private final Path log;
    private Process tcpdump;

    private Capture(Path dir) {
        this.dir = dir;
        this.pcap = dir.resolve("export.pcap");
        this.log = dir.resolve("tcpdump.log");
    }

    /** Starts capturing {@code proto} ("udp" or "tcp") port {@code port} on lo. */
    static Capture start(String proto, int port) throws Exception {
        Capture c = new Capture(Processes.tempDir("pl-ipfix-pcap-"));
        try {
            c.tcpdump = Processes.start(c.log, "tcpdump", "-i", "lo", "--immediate-mode", "-U", "-n", "-s", "0", "-w", c.pcap.toString(), proto + " port " + port);
            Processes.await("tcpdump to listen", Duration.ofSeconds(10), () -> Processes.contains(c.log, "listening on"));
            return c;
        } catch (Exception | AssertionError e) {
            c.close();
            throw e;
        }
    }

    /**
     * Stops tcpdump. Its file is complete then: with --immediate-mode the kernel hands over each packet at once (by
     * default it holds them up to a second, and SIGTERM before that loses them), and -U writes each as it comes.
     */
    void stop() throws InterruptedException {
        Processes.stop(tcpdump);
        tcpdump = null;
    }

    /** The pcap's size and what tcpdump said, for failure messages. */
    String summary() throws java.io.IOException {
        return pcap + ": " + (Files.exists(pcap) ? Files.size(pcap) + " bytes" : "missing") + "; tcpdump: " + Files.readString(log);
    }

    /** tshark's full decoding of the capture as IPFIX on {@code proto.port==N}. */
    Decoded decode(String proto, int port) throws Exception {
        String decodeAs = proto + ".port==" + port + ",cflow";
        String verbose = Processes.run(Duration.ofSeconds(60), Map.of(), "tshark", "-n", "-r", pcap.toString(), "-d", decodeAs, "-V");
        String flagged = Processes.run(Duration.ofSeconds(60), Map.of(), "tshark", "-n", "-r", pcap.toString(), "-d", decodeAs,
                "-Y", "_ws.malformed || _ws.expert.group ~= " + SEQUENCE_GROUP);
        JsonNode packets = JSON.readTree(Processes.run(Duration.ofSeconds(60), Map.of(), "tshark", "-n", "-r", pcap.toString(), "-d", decodeAs, "-T", "json"));
        List<JsonNode> messages = new ArrayList<>();
        List<Integer> streams = new ArrayList<>();
        for (JsonNode p : packets) {
            JsonNode layers = p.path("_source").path("layers");
            JsonNode cflow = layers.path("cflow");
            int stream = layers.path("tcp").path("tcp.stream").asInt(-1);
            // several messages in one TCP segment come as an array of cflow layers
            List<JsonNode> here = new ArrayList<>();
            if (cflow.isArray()) cflow.forEach(here::add);
            else if (!cflow.isMissingNode()) here.add(cflow);
            for (JsonNode m : here) {
                messages.add(m);
                streams.add(stream);
            }
        }
        return new Decoded(messages, streams, verbose, flagged);
    }

    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            Processes.delete(dir);
        }
    }

    /** What tshark made of the capture. */
    record Decoded(List<JsonNode> messages, List<Integer> messageStreams, String verbose, String flagged) {
        /** For TCP: the set ids of each message, by TCP stream (connection) in capture order. */
        java.util.Map<Integer, List<List<Integer>>> streams() {
            java.util.Map<Integer, List<List<Integer>>> out = new java.util.TreeMap<>();
            List<List<Integer>> ids = setIds();
            for (int i = 0; i < ids.size(); i++) out.computeIfAbsent(messageStreams.get(i), k -> new ArrayList<>()).add(ids.get(i));
            return out;
        }

        /** Every data record of every message: the objects holding {@code cflow.packets}. */
        List<JsonNode> records() {
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode m : messages) collect(m, out);
            return out;
        }

        private static void collect(JsonNode n, List<JsonNode> out) {
            if (!n.isObject()) return;
            if (n.has("cflow.packets")) {
                out.add(n);
                return;
            }
            n.forEach(c -> collect(c, out));
        }

        /** Lines of tshark's expert information (other than TCP's connection notes) or malformed-packet marks: none is expected. */
        List<String> problems() {
            List<String> p = new ArrayList<>();
            verbose.lines().filter(l -> l.contains("Malformed") || l.contains("Expert Info") && !l.contains("/Sequence)")).forEach(p::add);
            flagged.lines().filter(l -> !l.isBlank()).forEach(p::add);
            return p;
        }

        /** Set ids of each message, in capture order (2 is a template set). */
        List<List<Integer>> setIds() {
            List<List<Integer>> out = new ArrayList<>();
            for (JsonNode m : messages) {
                List<Integer> ids = new ArrayList<>();
                m.properties().forEach(e -> {
                    if (e.getKey().startsWith("Set ")) ids.add(e.getValue().path("cflow.flowset_id").asInt());
                });
                out.add(ids);
            }
            return out;
        }
    }
}
