package io.packetlens.peers;

import java.time.Duration;
import java.util.Map;

/**
 * What waits unread on a local port's sockets: the Recv-Q of {@code ss}. A peer stopped with SIGTERM (nfcapd, socat)
 * drops what is still queued on its socket, and a loaded machine can hold the last datagrams or bytes there for a
 * while after the sender's kernel took them; so a test waits for the queue to empty before stopping the peer.
 */
public final class SocketQueues {
    private SocketQueues() {}

    /** The transport of the port: {@code ss -u} or {@code ss -t}. */
    public enum Transport { UDP, TCP }

    /**
     * Waits until the receive queues of the sockets bound to {@code port} (connections and unconnected sockets, not
     * listeners) have stayed empty for 200 ms; false if they have not within {@code timeout}.
     */
    public static boolean awaitEmpty(Transport transport, int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos(), emptySince = -1;
        while (System.nanoTime() < deadline) {
            long now = System.nanoTime();
            if (queued(transport, port) > 0) emptySince = -1;
            else if (emptySince < 0) emptySince = now;
            else if (now - emptySince >= 200_000_000L) return true;
            Thread.sleep(20);
        }
        return false;
    }

    /** Bytes waiting in the receive queues of the sockets bound to {@code port}; 0 when there are none (or ss fails). */
    public static long queued(Transport transport, int port) {
        try {
            String out = Processes.run(Duration.ofSeconds(5), Map.of(), "ss", "-Hna", transport == Transport.UDP ? "-u" : "-t",
                    "sport = :" + port);
            long sum = 0;
            for (String line : out.strip().split("\n")) {
                String[] f = line.trim().split("\\s+");
                // State Recv-Q Send-Q Local Peer; a listener's Recv-Q is its accept backlog, not data
                if (f.length >= 2 && !f[0].equals("LISTEN")) sum += Long.parseLong(f[1]);
            }
            return sum;
        } catch (Exception e) {
            return 0;
        }
    }
}
