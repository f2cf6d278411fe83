package io.packetlens.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Datagrams the kernel dropped at one UDP socket (its receive buffer was full), from the {@code drops} column of
 * {@code /proc/net/udp} of the calling thread's network namespace: how a collector's loss on loopback shows.
 */
final class UdpDrops {
    private UdpDrops() {}

    /** Drops of the IPv4 socket bound to 127.0.0.1:{@code port}, or -1 when there is none. */
    static long loopback(int port) throws IOException {
        return parse(Files.readString(Path.of("/proc/net/udp")), port);
    }

    static long parse(String procNetUdp, int port) {
        String local = String.format("0100007F:%04X", port);
        for (String line : procNetUdp.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 13 && f[1].equalsIgnoreCase(local)) return Long.parseLong(f[f.length - 1]);
        }
        return -1;
    }
}
