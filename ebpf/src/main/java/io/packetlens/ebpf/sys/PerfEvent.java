package io.packetlens.ebpf.sys;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * perf_event_open(2) for BPF output events: the offsets of {@code struct perf_event_attr} and
 * {@code struct perf_event_mmap_page} (linux/perf_event.h), the record types a BPF output ring
 * carries, and the enable/disable ioctls. Declared once here.
 */
public final class PerfEvent {
    /** {@code perf_event_attr} fields used (PERF_ATTR_SIZE_VER7 = 128 bytes). */
    public static final int ATTR_TYPE = 0, ATTR_SIZE = 4, ATTR_CONFIG = 8, ATTR_SAMPLE_PERIOD = 16, ATTR_SAMPLE_TYPE = 24,
            ATTR_FLAGS = 40, ATTR_WAKEUP = 48;
    public static final int ATTR_BYTES = 128;

    public static final int TYPE_SOFTWARE = 1;
    public static final long COUNT_SW_BPF_OUTPUT = 10;
    public static final long SAMPLE_RAW = 1L << 10;
    /** Bits of the attr flags word. */
    public static final long FLAG_DISABLED = 1L, FLAG_WATERMARK = 1L << 14;
    public static final long FLAG_FD_CLOEXEC = 1L << 3;

    public static final long IOC_ENABLE = 0x2400, IOC_DISABLE = 0x2401;

    /** {@code perf_event_mmap_page}: the ring's positions and where its data area lies. */
    public static final long PAGE_DATA_HEAD = 1024, PAGE_DATA_TAIL = 1032, PAGE_DATA_OFFSET = 1040, PAGE_DATA_SIZE = 1048;

    /** {@code struct perf_event_header} and the record types of a BPF output ring. */
    public static final int HEADER_TYPE = 0, HEADER_MISC = 4, HEADER_SIZE = 6, HEADER_BYTES = 8;
    public static final int RECORD_LOST = 2, RECORD_SAMPLE = 9;
    /** In a PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW: u32 size, then the data. In PERF_RECORD_LOST: u64 id, u64 lost. */
    public static final int SAMPLE_RAW_SIZE = 8, SAMPLE_RAW_DATA = 12, LOST_COUNT = 16;

    private PerfEvent() {}

    /**
     * Opens a BPF output event on {@code cpu} for all processes: samples carry PERF_SAMPLE_RAW and
     * the reader is woken every {@code wakeupEvents} samples, or when {@code watermarkBytes} (if
     * positive) are pending. Returns the owned fd.
     */
    public static Fd openBpfOutput(int cpu, int wakeupEvents, int watermarkBytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_BYTES, 8);
            attr.set(JAVA_INT, ATTR_TYPE, TYPE_SOFTWARE);
            attr.set(JAVA_INT, ATTR_SIZE, ATTR_BYTES);
            attr.set(JAVA_LONG, ATTR_CONFIG, COUNT_SW_BPF_OUTPUT);
            attr.set(JAVA_LONG, ATTR_SAMPLE_PERIOD, 1);
            attr.set(JAVA_LONG, ATTR_SAMPLE_TYPE, SAMPLE_RAW);
            long flags = 0;
            int wakeup = Math.max(wakeupEvents, 1);
            if (watermarkBytes > 0) {
                flags |= FLAG_WATERMARK;
                wakeup = watermarkBytes;
            }
            attr.set(JAVA_LONG, ATTR_FLAGS, flags);
            attr.set(JAVA_INT, ATTR_WAKEUP, wakeup);
            long r = Syscalls.syscall(Syscalls.SYS_PERF_EVENT_OPEN, attr.address(), -1, cpu, -1, FLAG_FD_CLOEXEC);
            if (r < 0) {
                String hint = r == -Errno.EACCES || r == -Errno.EPERM ? " (needs CAP_PERFMON or root; see kernel.perf_event_paranoid)"
                        : r == -Errno.ENODEV || r == -Errno.ENOENT ? " (CPU " + cpu + " offline?)" : "";
                throw BpfException.of("perf_event_open BPF output on CPU " + cpu + hint, (int) -r);
            }
            return new Fd((int) r);
        }
    }

    /** PERF_EVENT_IOC_ENABLE / DISABLE on an event. */
    public static void ioctl(Fd event, long request) {
        int r = Syscalls.ioctl(event.get(), request, 0);
        if (r < 0) throw BpfException.of("perf event ioctl 0x" + Long.toHexString(request), -r);
    }
}
