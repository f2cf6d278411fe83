package io.packetlens.capture.mirror;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.sys.Errno;
import io.packetlens.ebpf.sys.Syscalls;
import io.packetlens.ebpf.sys.XskSyscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A minimal, single-consumer reader of a BPF_MAP_TYPE_RINGBUF map, only for capture's mirror
 * mode: the shared ring buffer reader of the library (package io.packetlens.ebpf.ringbuf,
 * built separately) replaces it when the branches merge.
 *
 * <p>Layout (kernel/bpf/ringbuf.c): page 0 holds the consumer position (written by us),
 * page 1 the producer position (written by the kernel), then the data area, mapped twice in
 * a row so a record that wraps reads contiguously. Each record starts with an 8-byte header:
 * u32 length with BUSY (bit 31, still being written) and DISCARD (bit 30) flags, and a u32
 * page offset; records are 8-byte aligned. The producer position is read with acquire, each
 * header with acquire (the kernel commits it with release), and the consumer position is
 * published with release once the records are handled.
 */
public final class RingBufferReader implements AutoCloseable {
    private static final VarHandle U64 = JAVA_LONG.varHandle();
    private static final VarHandle U32 = JAVA_INT.varHandle();
    private static final int BUSY = 1 << 31, DISCARD = 1 << 30, HEADER = 8;
    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;

    /** Handles one record: {@code length} bytes at {@code offset} of {@code data}, valid during the call only. */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(MemorySegment data, long offset, int length);
    }

    private final int mapFd;
    private final long page;
    private final long size;
    private final long mask;
    private final MemorySegment consumerPage;
    private final MemorySegment producerAndData;
    private final MemorySegment data;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pollfd = arena.allocate(XskSyscalls.POLLFD_SIZE, 8);
    private long consumer;
    private boolean closed;

    /** Maps the ring buffer {@code map} (which must stay open while the reader is used). */
    public RingBufferReader(BpfMap map) {
        if (map.type() != MapType.RINGBUF) throw new BpfException("map " + map.name() + " is " + map.type() + ", not RINGBUF");
        this.mapFd = map.fd();
        this.page = pageSize();
        this.size = Integer.toUnsignedLong(map.maxEntries());
        this.mask = size - 1;
        long c = Syscalls.mmap(0, page, PROT_READ | PROT_WRITE, MAP_SHARED, mapFd, 0);
        if (c < 0) throw BpfException.of("mmap of ring buffer " + map.name() + " consumer page", (int) -c);
        long p = Syscalls.mmap(0, page + 2 * size, PROT_READ, MAP_SHARED, mapFd, page);
        if (p < 0) {
            Syscalls.munmap(c, page);
            throw BpfException.of("mmap of ring buffer " + map.name() + " data", (int) -p);
        }
        this.consumerPage = MemorySegment.ofAddress(c).reinterpret(page);
        this.producerAndData = MemorySegment.ofAddress(p).reinterpret(page + 2 * size);
        this.data = producerAndData.asSlice(page, 2 * size);
        this.consumer = (long) U64.getAcquire(consumerPage, 0L);
        pollfd.set(JAVA_INT, 0, mapFd);
        pollfd.set(JAVA_SHORT, 4, XskSyscalls.POLLIN);
    }

    private static long pageSize() {
        return 4096; // x86-64 and arm64 (4K kernels); the kernel maps ring buffers in PAGE_SIZE units
    }

    /** Handles up to {@code max} committed records; returns how many (0 if none). Skips discarded ones. */
    public int read(int max, RecordHandler handler) {
        long producer = (long) U64.getAcquire(producerAndData, 0L);
        int n = 0;
        long c = consumer;
        while (c < producer && n < max) {
            long at = c & mask;
            int len = (int) U32.getAcquire(data, at);
            if ((len & BUSY) != 0) break; // the producer has not committed it yet; records commit in order for us
            int recLen = len & ~(BUSY | DISCARD);
            if ((len & DISCARD) == 0) {
                handler.onRecord(data, at + HEADER, recLen);
                n++;
            }
            c += (recLen + HEADER + 7) & ~7L;
        }
        if (c != consumer) {
            consumer = c;
            // release: we are done reading the records before the kernel may overwrite them
            U64.setRelease(consumerPage, 0L, c);
        }
        return n;
    }

    /** Waits up to {@code timeoutMillis} for data (poll on the map fd); true if some may be ready. */
    public boolean await(int timeoutMillis) {
        if (available() > 0) return true;
        int r = XskSyscalls.poll(pollfd, 1, timeoutMillis);
        if (r < 0 && r != -Errno.EINTR) throw BpfException.of("poll on ring buffer", -r);
        return r > 0;
    }

    /** Bytes between the consumer and the producer position. */
    public long available() {
        return (long) U64.getAcquire(producerAndData, 0L) - consumer;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Syscalls.munmap(consumerPage.address(), page);
        Syscalls.munmap(producerAndData.address(), page + 2 * size);
        arena.close();
    }
}
