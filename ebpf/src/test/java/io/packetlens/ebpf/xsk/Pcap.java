package io.packetlens.ebpf.xsk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.packetlens.lab.Host;

/** Test helper: runs tcpdump in a lab host and reads the classic pcap file it wrote (frames only). */
final class Pcap implements AutoCloseable {
    private final Process process;
    private final Path file;

    private Pcap(Process process, Path file) {
        this.process = process;
        this.file = file;
    }

    /** Starts {@code tcpdump -i ifname -Q direction -w file -U -n filter} in {@code host} and waits until it listens. */
    static Pcap start(Host host, String ifname, String direction, String filter) throws Exception {
        Path file = Files.createTempFile("pl-xsk", ".pcap");
        // tcpdump prints "listening on ..." to stderr once the capture is open
        Process p = host.startAndAwait("listening on", Duration.ofSeconds(10), "tcpdump", "-i", ifname, "-Q", direction, "-w",
                file.toString(), "-U", "--immediate-mode", "-n", "-s", "0", "-B", "16384", filter);
        return new Pcap(p, file);
    }

    /**
     * Waits (up to 10 s) until tcpdump has written {@code expected} frames — on a loaded machine it can lag behind
     * the kernel ring, and frames still in the ring are lost when it exits — then stops it.
     */
    List<byte[]> stop(int expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && read(file).size() < expected) Thread.sleep(100);
        return stop();
    }

    /** Stops tcpdump (SIGTERM flushes the file) and returns the captured frames in order. */
    List<byte[]> stop() throws Exception {
        // in immediate mode tcpdump sees each packet at once; give it a moment to drain its ring, then SIGTERM flushes the file
        Thread.sleep(500);
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) throw new IOException("tcpdump did not stop");
        return read(file);
    }

    static List<byte[]> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.limit() < 24) return new ArrayList<>(); // tcpdump has not written its header yet
        int magic = b.getInt(0);
        if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) throw new IOException("not a little-endian pcap file: " + Integer.toHexString(magic));
        b.position(24);
        List<byte[]> frames = new ArrayList<>();
        while (b.remaining() >= 16) {
            b.getInt();
            b.getInt();
            int incl = b.getInt();
            b.getInt();
            if (incl > b.remaining()) break; // a record still being written
            byte[] f = new byte[incl];
            b.get(f);
            frames.add(f);
        }
        return frames;
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        Files.deleteIfExists(file);
    }

    static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }

    static boolean same(byte[] a, byte[] b) {
        return Arrays.equals(a, b);
    }
}
