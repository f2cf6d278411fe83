package io.packetlens.ebpf.info;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Run-time statistics switched on for as long as this handle is open: BPF_ENABLE_STATS (BPF_STATS_RUN_TIME) answers
 * an fd, and the kernel counts every program's {@code run_cnt} and {@code run_time_ns} while any such fd (or the
 * {@code kernel.bpf_stats_enabled} sysctl) is on. Closing this one turns them off only if nobody else keeps them on,
 * and a crashed process cannot leave them on, unlike the sysctl. Counting costs each run two clock reads (tens of ns).
 */
public final class BpfStats implements AutoCloseable {
    public static final Path SYSCTL = Path.of("/proc/sys/kernel/bpf_stats_enabled");
    private final Fd fd;

    private BpfStats(Fd fd) {
        this.fd = fd;
    }

    /** Turns run-time statistics on until {@link #close()} (kernel 5.8+; needs CAP_SYS_ADMIN). */
    public static BpfStats enable() {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.EnableStats.TYPE, BpfAttr.EnableStats.STATS_RUN_TIME);
        int r = Syscalls.bpf(BpfCmd.ENABLE_STATS, a, BpfAttr.EnableStats.SIZE);
        if (r < 0) {
            String hint = r == -Errno.EINVAL ? " (kernel before 5.8: use `sysctl kernel.bpf_stats_enabled=1` instead)"
                    : r == -Errno.EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : "";
            throw BpfException.of(BpfCmd.name(BpfCmd.ENABLE_STATS) + hint, -r);
        }
        return new BpfStats(new Fd(r));
    }

    /** Whether the sysctl {@code kernel.bpf_stats_enabled} is on (which this handle neither reads nor changes). */
    public static boolean sysctlEnabled() {
        try {
            return Files.readString(SYSCTL).strip().equals("1");
        } catch (IOException e) {
            return false;
        }
    }

    public boolean isOpen() {
        return fd.isOpen();
    }

    @Override
    public void close() {
        fd.close();
    }
}
