package io.packetlens.ebpf;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** BTF loaded into the kernel (BPF_BTF_LOAD), owned through its fd; programs and maps refer to its type ids. */
final class BtfHandle implements AutoCloseable {
    private final Fd fd;

    private BtfHandle(Fd fd) {
        this.fd = fd;
    }

    static BtfHandle load(Btf btf) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = btf.bytes();
            MemorySegment data = arena.allocateFrom(JAVA_BYTE, bytes);
            int r = attempt(data, bytes.length, MemorySegment.NULL);
            if (r >= 0) return new BtfHandle(new Fd(r));
            if (r == -Errno.EPERM) throw BpfException.of("load BTF", -r);
            MemorySegment log = arena.allocate(1 << 20);
            r = attempt(data, bytes.length, log);
            if (r >= 0) return new BtfHandle(new Fd(r));
            throw new VerifierException("BTF", -r, log.getString(0, StandardCharsets.UTF_8));
        }
    }

    private static int attempt(MemorySegment data, int size, MemorySegment log) {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_LONG, BpfAttr.BtfLoad.BTF, data.address());
        a.set(JAVA_INT, BpfAttr.BtfLoad.BTF_SIZE, size);
        if (!log.equals(MemorySegment.NULL)) {
            a.set(JAVA_LONG, BpfAttr.BtfLoad.LOG_BUF, log.address());
            a.set(JAVA_INT, BpfAttr.BtfLoad.LOG_SIZE, (int) log.byteSize());
            a.set(JAVA_INT, BpfAttr.BtfLoad.LOG_LEVEL, 1);
        }
        return Syscalls.bpf(BpfCmd.BTF_LOAD, a, BpfAttr.BtfLoad.SIZE);
    }

    int fd() {
        return fd.get();
    }

    @Override
    public void close() {
        fd.close();
    }
}
