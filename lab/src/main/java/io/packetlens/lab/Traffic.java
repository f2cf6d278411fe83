package io.packetlens.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Traffic generators that run inside a {@link Host}'s namespace, using plain java.net sockets or {@code ping}. Each
 * blocks until done and returns what was sent.
 */
public final class Traffic {

    public static final int UDP_PORT = 9000;
    public static final int TCP_PORT = 9001;
    /** Bytes of ICMP data per echo request: ping's default, passed explicitly so {@link Sent#payloadBytes()} is exact. */
    public static final int PING_PAYLOAD = 56;

    private static final Duration IO_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern PING_SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");

    private Traffic() {
    }

    /** What a generator sent: packets and the application payload bytes they carried. */
    public record Sent(long packets, long payloadBytes) {
    }

    /** {@link #udp(Host, Host, boolean, int, int, int)} to port {@value #UDP_PORT}. */
    public static Sent udp(Host from, Host to, boolean ipv6, int count, int payloadBytes) throws Exception {
        return udp(from, to, ipv6, count, payloadBytes, UDP_PORT);
    }

    /**
     * Sends {@code count} UDP datagrams of {@code payloadBytes} each from {@code from} to {@code to}. A receiver socket
     * is bound in {@code to} first and drained concurrently, so no ICMP port-unreachable comes back; it is closed
     * afterwards. Datagrams the receiving socket drops (a full buffer) are still sent and still cross the link.
     */
    public static Sent udp(Host from, Host to, boolean ipv6, int count, int payloadBytes, int port) throws Exception {
        return udp(from, to, address(to, ipv6), count, payloadBytes, port);
    }

    /** Like {@link #udp(Host, Host, boolean, int, int, int)} to one of {@code to}'s addresses (e.g. on a VLAN). */
    public static Sent udp(Host from, Host to, InetAddress toAddress, int count, int payloadBytes, int port) throws Exception {
        InetSocketAddress target = new InetSocketAddress(toAddress, port);
        DatagramSocket receiver = to.call(() -> {
            DatagramSocket socket = new DatagramSocket(null);
            socket.bind(target);
            return socket;
        });
        try (receiver) {
            // the socket stays in `to`'s namespace whichever thread reads it
            java.util.concurrent.atomic.AtomicBoolean sent = new java.util.concurrent.atomic.AtomicBoolean();
            FutureTask<Long> received = background("udp-receiver", () -> {
                // a burst can overflow the receive buffer (counted by the kernel as RcvbufErrors): once the sender
                // is done, stop after a short quiet spell instead of waiting for datagrams that were dropped
                receiver.setReceiveBufferSize(8 << 20);
                receiver.setSoTimeout(200);
                byte[] buffer = new byte[Math.max(payloadBytes, 1)];
                long n = 0;
                long deadline = System.nanoTime() + IO_TIMEOUT.toNanos();
                while (n < count && System.nanoTime() < deadline) {
                    try {
                        receiver.receive(new DatagramPacket(buffer, buffer.length));
                        n++;
                    } catch (SocketTimeoutException quiet) {
                        if (sent.get()) break;
                    } catch (SocketException closed) {
                        break; // closed because the sender failed: report what arrived
                    }
                }
                return n;
            });
            from.call(() -> {
                try (DatagramSocket sender = new DatagramSocket()) {
                    byte[] payload = pattern(payloadBytes);
                    for (int i = 0; i < count; i++) {
                        sender.send(new DatagramPacket(payload, payload.length, target));
                    }
                }
                return null;
            });
            sent.set(true);
            get(received);
        }
        return new Sent(count, (long) count * payloadBytes);
    }

    /** {@link #tcp(Host, Host, boolean, int, int)} to port {@value #TCP_PORT}. */
    public static Sent tcp(Host from, Host to, boolean ipv6, int bytes) throws Exception {
        return tcp(from, to, ipv6, bytes, TCP_PORT);
    }

    /**
     * Connects from {@code from} to a listener in {@code to}, writes {@code bytes} bytes, and waits until the receiver has
     * read them all and both sides have closed. {@link Sent#packets()} is the delta of {@code from}'s veth tx counter over
     * the connection: every skb it sent (handshake, data, ACKs, FINs), a GSO super-packet counting once, exactly as the
     * peer's rx counter and a tc/XDP program on the link see it, provided nothing else uses the link meanwhile.
     *
     * @throws IOException if the receiver did not get exactly {@code bytes} bytes
     */
    public static Sent tcp(Host from, Host to, boolean ipv6, int bytes, int port) throws Exception {
        InetSocketAddress target = new InetSocketAddress(address(to, ipv6), port);
        ServerSocket listener = to.call(() -> {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(target, 1);
            return socket;
        });
        FutureTask<Long> received;
        LinkStats before;
        LinkStats after;
        try (listener) {
            received = background("tcp-receiver", () -> {
                listener.setSoTimeout((int) IO_TIMEOUT.toMillis());
                try (Socket socket = listener.accept()) {
                    socket.setSoTimeout((int) IO_TIMEOUT.toMillis());
                    InputStream in = socket.getInputStream();
                    byte[] buffer = new byte[64 * 1024];
                    long n = 0;
                    for (int r; (r = in.read(buffer)) != -1; ) {
                        n += r;
                    }
                    return n;
                }
            });
            before = from.linkStats();
            from.call(() -> {
                try (Socket socket = new Socket()) {
                    socket.connect(target, (int) IO_TIMEOUT.toMillis());
                    socket.setSoTimeout((int) IO_TIMEOUT.toMillis());
                    OutputStream out = socket.getOutputStream();
                    byte[] chunk = pattern(64 * 1024);
                    for (int left = bytes; left > 0; left -= chunk.length) {
                        out.write(chunk, 0, Math.min(left, chunk.length));
                    }
                    socket.shutdownOutput();
                    // EOF means the peer's FIN arrived; the kernel ACKs a FIN before waking the reader, so once read
                    // returns -1 this side has sent its last segment and the tx counter below is final
                    while (socket.getInputStream().read() != -1) {
                        // the receiver never writes
                    }
                }
                return null;
            });
            after = from.linkStats();
        }
        long got = get(received);
        if (got != bytes) {
            throw new IOException("TCP receiver in " + to.namespace() + " read " + got + " bytes, expected " + bytes);
        }
        return new Sent(after.minus(before).txPackets(), bytes);
    }

    /**
     * Runs {@code ping -c count -i 0.01 -s 56} (with {@code -6} for IPv6) in {@code from} towards {@code to}; returns the
     * echo requests sent with 56 data bytes each. Throws if no reply came back; lost replies are not an error.
     */
    public static Sent ping(Host from, Host to, boolean ipv6, int count) throws Exception {
        int deadlineSeconds = (int) Math.ceil(count * 0.01) + 5;
        List<String> command = Commands.ip("netns", "exec", from.namespace(), "ping", ipv6 ? "-6" : "-4",
                "-c", Integer.toString(count), "-i", "0.01", "-s", Integer.toString(PING_PAYLOAD),
                "-W", "1", "-w", Integer.toString(deadlineSeconds), ipv6 ? to.ipv6() : to.ipv4());
        Commands.Result result = Commands.exec(command, Duration.ofSeconds(deadlineSeconds + 10));
        Matcher m = PING_SUMMARY.matcher(result.stdout());
        // ping exits 1 when replies are missing; only its summary tells how many went out
        if (!m.find()) {
            result.orThrow();
            throw new IOException("no summary in ping output: " + result.stdout());
        }
        long transmitted = Long.parseLong(m.group(1));
        long replies = Long.parseLong(m.group(2));
        if (replies == 0) {
            throw new IOException("no reply to " + transmitted + " pings from " + from.namespace() + " to "
                    + (ipv6 ? to.ipv6() : to.ipv4()) + ":\n" + result.stdout() + result.stderr());
        }
        return new Sent(transmitted, transmitted * PING_PAYLOAD);
    }

    private static InetAddress address(Host host, boolean ipv6) {
        return InetAddress.ofLiteral(ipv6 ? host.ipv6() : host.ipv4());
    }

    private static byte[] pattern(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) i;
        }
        return bytes;
    }

    private static <T> FutureTask<T> background(String name, Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        Thread.ofPlatform().daemon(true).name(name).start(future);
        return future;
    }

    private static <T> T get(FutureTask<T> future) throws Exception {
        try {
            return future.get(IO_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
