package io.packetlens.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.lab.Host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * iperf3 (the Debian package) as the guard benchmark's legitimate TCP stream: a server in the receiving namespace,
 * pinned to the receiver's CPU, and clients run from the sending namespace, pinned to the sender's CPU, with
 * {@code -J} output read back. Throughput is taken from the one-second intervals that lie wholly inside a window, so
 * that connection set-up and the flood's start and end stay out of it.
 */
final class Iperf3 {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Host server, client;
    private final String address;
    private final int port;
    private final int serverCpu, clientCpu;
    private Process serverProcess;

    Iperf3(Host server, Host client, int port, int serverCpu, int clientCpu) {
        this.server = server;
        this.client = client;
        this.address = server.ipv4();
        this.port = port;
        this.serverCpu = serverCpu;
        this.clientCpu = clientCpu;
    }

    /** Starts the server (the lab kills it when it closes) and waits until a client gets through. */
    void startServer() throws Exception {
        serverProcess = server.start("taskset", "-c", Integer.toString(serverCpu), "iperf3", "-s", "-p", Integer.toString(port),
                "-B", address);
        // the server prints a banner per test: drain it so the pipe never fills
        Thread.ofPlatform().daemon().start(() -> {
            try (var in = serverProcess.getInputStream()) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // the server was killed
            }
        });
        for (int i = 0; ; i++) {
            Thread.sleep(200);
            Process p = startClient(1);
            if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0) return;
            if (!serverProcess.isAlive() || i == 20) {
                throw new IllegalStateException("iperf3 server on " + address + ":" + port + " did not serve a first test: "
                        + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip());
            }
        }
    }

    long serverPid() {
        // `ip netns exec` execs taskset, which execs iperf3: one process, the one the lab started
        return serverProcess.pid();
    }

    /** Starts a client test of {@code seconds} with one-second intervals and JSON output. */
    Process startClient(int seconds) throws IOException {
        return client.start("taskset", "-c", Integer.toString(clientCpu), "iperf3", "-c", address, "-p", Integer.toString(port),
                "-t", Integer.toString(seconds), "-i", "1", "-J");
    }

    /** What one test gave: throughput over the chosen intervals, and the retransmissions of the whole test. */
    record Result(double bitsPerSecond, int intervals, long retransmits) {}

    /** Waits for a client started by {@link #startClient} and reads the throughput of intervals within [from, to) seconds. */
    static Result finish(Process p, double from, double to) throws Exception {
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("iperf3 client failed (exit " + (p.isAlive() ? "none" : p.exitValue()) + "): "
                    + new String(out, StandardCharsets.UTF_8).strip() + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip());
        }
        return parse(new String(out, StandardCharsets.UTF_8), from, to);
    }

    static Result parse(String json, double from, double to) throws IOException {
        JsonNode root = JSON.readTree(json);
        if (root.has("error")) throw new IllegalStateException("iperf3: " + root.get("error").asText());
        double bytes = 0, secs = 0;
        int n = 0;
        for (JsonNode interval : root.path("intervals")) {
            JsonNode sum = interval.path("sum");
            double start = sum.path("start").asDouble(), end = sum.path("end").asDouble();
            // iperf3 ends a test's last interval slightly early or late: accept 10 ms either way
            if (start >= from - 0.01 && end <= to + 0.01) {
                bytes += sum.path("bytes").asDouble();
                secs += sum.path("seconds").asDouble();
                n++;
            }
        }
        if (n == 0 || secs <= 0) throw new IllegalStateException("iperf3 gave no intervals within [" + from + ", " + to + ") s");
        return new Result(bytes * 8 / secs, n, root.path("end").path("sum_sent").path("retransmits").asLong());
    }
}
