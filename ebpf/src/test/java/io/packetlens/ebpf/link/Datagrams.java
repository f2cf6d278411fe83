package io.packetlens.ebpf.link;

import io.packetlens.lab.Host;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** UDP traffic between lab hosts that reports what arrived, so a test sees exactly what a hook let through. */
final class Datagrams {
    /** How long the receiver waits for one more datagram before it decides the rest were dropped. */
    private static final int QUIET_MS = 400;

    private Datagrams() {}

    /** Sends {@code count} datagrams from {@code from} to {@code to}:{@code port}; returns how many arrived. */
    static int exchange(Host from, Host to, int port, int count) throws Exception {
        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < count; i++) payloads.add("datagram " + i);
        return exchange(from, to, port, payloads).size();
    }

    /** Sends each payload as one datagram; returns the payloads that arrived, in order. */
    static List<String> exchange(Host from, Host to, int port, List<String> payloads) throws Exception {
        InetSocketAddress target = new InetSocketAddress(InetAddress.ofLiteral(to.ipv4()), port);
        DatagramSocket receiver = to.call(() -> {
            DatagramSocket s = new DatagramSocket(null);
            s.setReuseAddress(true);
            s.bind(target);
            return s;
        });
        try (receiver) {
            CompletableFuture<List<String>> received = CompletableFuture.supplyAsync(() -> {
                List<String> got = new ArrayList<>();
                byte[] buf = new byte[2048];
                try {
                    receiver.setSoTimeout(QUIET_MS);
                    while (got.size() < payloads.size()) {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        receiver.receive(p);
                        got.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8));
                    }
                } catch (SocketTimeoutException quiet) {
                    // the rest did not come
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return got;
            }, r -> Thread.ofPlatform().daemon().start(r));
            from.run(() -> {
                try (DatagramSocket sender = new DatagramSocket()) {
                    for (String p : payloads) {
                        byte[] b = p.getBytes(StandardCharsets.UTF_8);
                        sender.send(new DatagramPacket(b, b.length, target));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            return received.get(30, TimeUnit.SECONDS);
        }
    }
}
