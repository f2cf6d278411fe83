package io.packetlens.export.ipfix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Debian's nfcapd (nfdump 1.7.1) collecting on a loopback UDP port into a directory of its own, run in the foreground
 * as a child. nfcapd writes {@code nfcapd.current.PID} while it runs and completes it into {@code nfcapd.YYYYMMDDhhmm}
 * when it ends on SIGTERM, so {@link #stop()} comes before {@link #flows()}, which reads the files with nfdump.
 */
final class Nfcapd implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final Path log;
    private Process process;

    private Nfcapd(Path dir) {
        this.dir = dir;
        this.log = dir.resolveSibling(dir.getFileName() + ".log");
    }

    static Nfcapd start(int port) throws Exception {
        Nfcapd n = new Nfcapd(Tools.tempDir("nfcapd"));
        try {
            // -t: a rotation interval longer than any test, so that the only file is the one written at SIGTERM
            n.process = Tools.start(n.log, "nfcapd", "-w", n.dir.toString(), "-b", "127.0.0.1", "-p", Integer.toString(port), "-t", "3600");
            Tools.await("nfcapd to start (" + n.log + ")", Duration.ofSeconds(10), () -> Tools.contains(n.log, "Startup"));
            return n;
        } catch (Exception | AssertionError e) {
            n.close();
            throw e;
        }
    }

    /** Ends nfcapd with SIGTERM, which makes it complete its file. */
    void stop() throws InterruptedException {
        Tools.stop(process);
        process = null;
    }

    String listing() throws IOException {
        try (var l = Files.list(dir)) {
            return l.map(p -> p.getFileName() + " " + p.toFile().length()).toList().toString();
        }
    }

    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** Every flow in the files, as nfdump's JSON objects ({@code nfdump -R DIR -o json}, times in UTC). */
    List<JsonNode> flows() throws Exception {
        String out = Tools.run(Duration.ofSeconds(30), Map.of("TZ", "UTC"), "nfdump", "-R", dir.toString(), "-o", "json");
        List<JsonNode> flows = new ArrayList<>();
        if (out.isBlank()) return flows;
        for (JsonNode n : JSON.readTree(out)) flows.add(n);
        return flows;
    }

    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            Tools.delete(dir);
            Files.deleteIfExists(log);
        }
    }
}
