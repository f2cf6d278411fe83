package io.packetlens.peers;

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
 * when it ends on SIGTERM, so {@link #stop()} comes before {@link #flows()}, which reads the files with nfdump. On
 * SIGTERM nfcapd leaves what is still queued on its socket unread, so {@link #stop()} first waits for that queue to
 * empty: a loaded machine can hold the last datagrams there for a while after the exporter sent them.
 * {@link #close()} stops it and deletes its directory and log.
 */
public final class Nfcapd implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final Path log;
    private final int port;
    private Process process;

    private Nfcapd(Path dir, int port) {
        this.dir = dir;
        this.port = port;
        this.log = dir.resolveSibling(dir.getFileName() + ".log");
    }

    /** Starts nfcapd on 127.0.0.1:{@code port} (UDP), writing into a new directory {@code /tmp/pl-ipfix-nfcapd-*}. */
    public static Nfcapd start(int port) throws Exception {
        return start(port, Processes.tempDir("pl-ipfix-nfcapd-"));
    }

    /**
     * Starts nfcapd on 127.0.0.1:{@code port} (UDP), writing into {@code dir}, an empty directory it then owns, with
     * further nfcapd options (e.g. {@code -B BYTES}, its socket receive buffer).
     */
    public static Nfcapd start(int port, Path dir, String... options) throws Exception {
        Nfcapd n = new Nfcapd(dir, port);
        try {
            List<String> command = new ArrayList<>(List.of("nfcapd", "-w", n.dir.toString(), "-b", "127.0.0.1", "-p", Integer.toString(port)));
            // -t: a rotation interval longer than any test, so that the only file is the one written at SIGTERM
            command.addAll(List.of("-t", "3600"));
            command.addAll(List.of(options));
            n.process = Processes.start(n.log, command.toArray(String[]::new));
            Processes.await("nfcapd to start (" + n.log + ")", Duration.ofSeconds(10), () -> Processes.contains(n.log, "Startup"));
            return n;
        } catch (Exception | AssertionError e) {
            n.close();
            throw e;
        }
    }

    /** The running nfcapd's process id, or -1 once it stopped. */
    public long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    public Path directory() {
        return dir;
    }

    /**
     * Ends nfcapd with SIGTERM, which makes it complete its file, once its socket's receive queue has stayed empty for
     * 200 ms (10 s at most), so that what the kernel already took for it is in the file.
     */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) SocketQueues.awaitEmpty(SocketQueues.Transport.UDP, port, Duration.ofSeconds(10));
        Processes.stop(process);
        process = null;
    }

    public String listing() throws IOException {
        try (var l = Files.list(dir)) {
            return l.map(p -> p.getFileName() + " " + p.toFile().length()).toList().toString();
        }
    }

    /** nfcapd's output; after {@link #stop()} it ends with its totals ({@code Flows: ..., Sequence Errors: ...}). */
    public String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** Every flow in the files, as nfdump's JSON objects ({@code nfdump -R DIR -o json}, times in UTC). */
    public List<JsonNode> flows() throws Exception {
        String out = nfdump("-o", "json");
        List<JsonNode> flows = new ArrayList<>();
        // nfdump prints "[", "No matching flows", "]" when the files hold none: not JSON
        if (out.isBlank() || out.contains("No matching flows")) return flows;
        for (JsonNode n : JSON.readTree(out)) flows.add(n);
        return flows;
    }

    /**
     * Runs nfdump over the files ({@code nfdump -R DIR ARGS...}, TZ=UTC) and returns its output: for large files a
     * {@code -o fmt:...} line per flow is far cheaper to read than {@link #flows()}' JSON; {@code -I} prints the
     * statistics nfcapd stored with the file (flows, packets, sequence failures).
     */
    public String nfdump(String... args) throws Exception {
        String[] command = new String[3 + args.length];
        command[0] = "nfdump";
        command[1] = "-R";
        command[2] = dir.toString();
        System.arraycopy(args, 0, command, 3, args.length);
        return Processes.run(Duration.ofSeconds(60), Map.of("TZ", "UTC"), command);
    }

    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            Processes.delete(dir);
            Files.deleteIfExists(log);
        }
    }
}
