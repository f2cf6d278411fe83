package io.packetlens.capture.pcapng;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Writes a pcapng file: one Section Header Block, Interface Description Blocks with
 * nanosecond timestamps (if_tsresol = 9), Enhanced Packet Blocks, and Interface Statistics
 * Blocks with drop counts. Blocks are assembled in a native buffer; {@link #writePacket}
 * copies the frame straight from its memory segment (a UMEM or a ring buffer) into that
 * buffer and allocates nothing. Full buffers go to a writer thread, so that a stall in the
 * file system (page-cache writeback throttling can block a write for a long time) holds up
 * neither the caller nor the kernel rings it drains, until all {@value #BUFFERS} buffers are
 * in flight. Host byte order, as the format allows (the byte-order magic tells readers).
 * Not thread-safe, apart from the internal writer thread.
 */
public final class PcapngWriter implements AutoCloseable {
    /*
     * Small enough that a buffer is still in the CPU's caches when the writer thread's write(2)
     * copies it into the page cache: with 4 MiB buffers that copy missed, and took 55% of mirror
     * mode's CPU (0.88 CPU-s for 3,000,000 frames, now 0.47-0.50: docs/BENCHMARKS.md). 16 MiB in
     * all, room for a long write stall.
     */
    private static final int BUFFER = 256 << 10;
    private static final int BUFFERS = 64;

    /** One write buffer: native memory, a ByteBuffer view of it for the channel, and how much of it is filled. */
    private static final class Chunk {
        final MemorySegment memory;
        final ByteBuffer view;
        int length;

        Chunk(Arena arena) {
            memory = arena.allocate(BUFFER, 8);
            view = memory.asByteBuffer();
        }
    }

    private final FileChannel channel;
    private final Arena arena = Arena.ofShared();
    private final BlockingQueue<Chunk> free = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<Optional<Chunk>> full = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final Thread writerThread;
    private volatile IOException writeFailure;
    private Chunk chunk;
    private MemorySegment buf;
    private int pos;
    private int interfaces;
    private long packets;
    private boolean closed;

    private PcapngWriter(FileChannel channel) {
        this.channel = channel;
        for (int i = 0; i < BUFFERS; i++) free.add(new Chunk(arena));
        this.chunk = free.poll();
        this.buf = chunk.memory;
        this.writerThread = Thread.ofPlatform().daemon().name("pcapng-writer").start(this::writeLoop);
    }

    /** The writer thread: writes full chunks in order and recycles them. */
    private void writeLoop() {
        try {
            while (true) {
                Optional<Chunk> next = full.take();
                if (next.isEmpty()) return;
                Chunk c = next.get();
                try {
                    if (writeFailure == null) {
                        c.view.clear().limit(c.length);
                        while (c.view.hasRemaining()) channel.write(c.view);
                    }
                } catch (IOException e) {
                    writeFailure = e;
                }
                free.put(c);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Creates (or truncates) {@code file} and writes the section header naming {@code application}. */
    public static PcapngWriter create(Path file, String application) {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            PcapngWriter w = new PcapngWriter(ch);
            w.sectionHeader(application);
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file + ": " + e.getMessage(), e);
        }
    }

    private void sectionHeader(String application) {
        String os = System.getProperty("os.name") + " " + System.getProperty("os.version");
        int start = begin(Pcapng.SHB, 16 + optionSize(application) + optionSize(os) + 4);
        putInt(Pcapng.BYTE_ORDER_MAGIC);
        putShort((short) 1);
        putShort((short) 0);
        putLong(-1); // section length unknown
        stringOption(Pcapng.SHB_USERAPPL, application);
        stringOption(Pcapng.SHB_OS, os);
        endOptions();
        end(start);
    }

    /**
     * Adds an Ethernet interface with nanosecond timestamps; returns its id for
     * {@link #writePacket}. {@code snaplen} is the most bytes stored per frame (0 = no limit).
     */
    public int addInterface(String name, String description, int snaplen) {
        int start = begin(Pcapng.IDB, 8 + optionSize(name) + optionSize(description) + 8 + 4);
        putShort((short) Pcapng.LINKTYPE_ETHERNET);
        putShort((short) 0);
        putInt(snaplen);
        stringOption(Pcapng.IF_NAME, name);
        stringOption(Pcapng.IF_DESCRIPTION, description);
        putShort(Pcapng.IF_TSRESOL);
        putShort((short) 1);
        putInt(Pcapng.TSRESOL_NANOS & 0xff); // one byte, then padding
        endOptions();
        end(start);
        return interfaces++;
    }

    /**
     * Writes an Enhanced Packet Block for {@code caplen} bytes at {@code offset} of
     * {@code src}, originally {@code origLen} bytes long, received at {@code tsNanos}
     * (ns since the epoch).
     */
    public void writePacket(int iface, long tsNanos, MemorySegment src, long offset, int caplen, int origLen) {
        int padded = Pcapng.pad4(caplen);
        int total = Pcapng.EPB_HEADER + padded + 4;
        if (total > BUFFER) throw new IllegalArgumentException("frame of " + caplen + " bytes does not fit the write buffer");
        if (pos + total > BUFFER) flush();
        int p = pos;
        buf.set(JAVA_INT_UNALIGNED, p, Pcapng.EPB);
        buf.set(JAVA_INT_UNALIGNED, p + 4, total);
        buf.set(JAVA_INT_UNALIGNED, p + 8, iface);
        buf.set(JAVA_INT_UNALIGNED, p + 12, (int) (tsNanos >>> 32));
        buf.set(JAVA_INT_UNALIGNED, p + 16, (int) tsNanos);
        buf.set(JAVA_INT_UNALIGNED, p + 20, caplen);
        buf.set(JAVA_INT_UNALIGNED, p + 24, origLen);
        MemorySegment.copy(src, offset, buf, p + Pcapng.EPB_HEADER, caplen);
        for (int i = caplen; i < padded; i++) buf.set(JAVA_BYTE, p + Pcapng.EPB_HEADER + i, (byte) 0);
        buf.set(JAVA_INT_UNALIGNED, p + Pcapng.EPB_HEADER + padded, total);
        pos = p + total;
        packets++;
    }

    /** Writes an Interface Statistics Block for {@code iface}. */
    public void writeStatistics(int iface, InterfaceStatistics s) {
        int options = 2 * 12 + 5 * 12 + 4;
        int start = begin(Pcapng.ISB, 12 + options);
        putInt(iface);
        putInt((int) (s.endNanos() >>> 32));
        putInt((int) s.endNanos());
        timestampOption(Pcapng.ISB_STARTTIME, s.startNanos());
        timestampOption(Pcapng.ISB_ENDTIME, s.endNanos());
        longOption(Pcapng.ISB_IFRECV, s.received());
        longOption(Pcapng.ISB_IFDROP, s.dropped());
        longOption(Pcapng.ISB_FILTERACCEPT, s.filterAccepted());
        longOption(Pcapng.ISB_OSDROP, s.osDropped());
        longOption(Pcapng.ISB_USRDELIV, s.delivered());
        endOptions();
        end(start);
    }

    /** Enhanced Packet Blocks written so far. */
    public long packets() {
        return packets;
    }

    /**
     * Hands the buffered blocks to the writer thread and continues in a free buffer; waits
     * only if every buffer is still being written.
     */
    public void flush() {
        checkFailure();
        if (pos == 0) return;
        chunk.length = pos;
        try {
            full.put(Optional.of(chunk));
            chunk = free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new java.io.InterruptedIOException("interrupted while handing a buffer to the pcapng writer"));
        }
        buf = chunk.memory;
        pos = 0;
    }

    private void checkFailure() {
        IOException e = writeFailure;
        if (e != null) throw new UncheckedIOException("writing pcapng: " + e.getMessage(), e);
    }

    /** Writes everything buffered, waits for the writer thread, and closes the file. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            flush();
            full.put(Optional.empty());
            writerThread.join();
            checkFailure();
            channel.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new java.io.InterruptedIOException("interrupted while closing the pcapng file"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            arena.close();
        }
    }

    // ---- block assembly (metadata blocks; not the packet path) ----

    /** Starts a block of {@code bodyLength} bytes between the length fields; returns its start. */
    private int begin(int type, int bodyLength) {
        int total = 8 + bodyLength + 4;
        if (pos + total > BUFFER) flush();
        int start = pos;
        putInt(type);
        putInt(total);
        return start;
    }

    private void end(int start) {
        int total = pos - start + 4;
        buf.set(JAVA_INT_UNALIGNED, start + 4, total);
        putInt(total);
    }

    private static int optionSize(String value) {
        return 4 + Pcapng.pad4(value.getBytes(StandardCharsets.UTF_8).length);
    }

    private void stringOption(short code, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        putShort(code);
        putShort((short) b.length);
        MemorySegment.copy(b, 0, buf, JAVA_BYTE, pos, b.length);
        for (int i = b.length; i < Pcapng.pad4(b.length); i++) buf.set(JAVA_BYTE, pos + i, (byte) 0);
        pos += Pcapng.pad4(b.length);
    }

    private void longOption(short code, long value) {
        putShort(code);
        putShort((short) 8);
        putLong(value);
    }

    /** Timestamp options hold the high 32 bits first, then the low 32, in if_tsresol units. */
    private void timestampOption(short code, long nanos) {
        putShort(code);
        putShort((short) 8);
        putInt((int) (nanos >>> 32));
        putInt((int) nanos);
    }

    private void endOptions() {
        putShort(Pcapng.OPT_ENDOFOPT);
        putShort((short) 0);
    }

    private void putShort(short v) {
        buf.set(JAVA_SHORT_UNALIGNED, pos, v);
        pos += 2;
    }

    private void putInt(int v) {
        buf.set(JAVA_INT_UNALIGNED, pos, v);
        pos += 4;
    }

    private void putLong(long v) {
        buf.set(JAVA_LONG_UNALIGNED, pos, v);
        pos += 8;
    }
}
