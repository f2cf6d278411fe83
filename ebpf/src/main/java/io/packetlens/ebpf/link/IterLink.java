package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A BPF iterator ({@code SEC("iter/tcp")}, {@code iter/task}, {@code iter/bpf_map_elem} ...): a link of a TRACE_ITER
 * program (BPF_LINK_CREATE), from which each {@link #read()} opens a fresh pass (BPF_ITER_CREATE) and reads what the
 * program wrote with bpf_seq_printf / bpf_seq_write until the kernel's walk ends. Closing detaches it.
 */
public final class IterLink extends Link {
    private static final int CHUNK = 64 * 1024;

    private IterLink(Fd fd, String what) {
        super(fd, what);
    }

    /** Attaches an iterator that takes no parameter (tcp, udp, task, bpf_map, bpf_prog ...). */
    public static IterLink attach(BpfProgram program) {
        check(program);
        String what = "iterator program " + program.name();
        return new IterLink(create(program.fd(), 0, AttachType.TRACE_ITER.value(), 0, null, what), what);
    }

    /** Attaches an iterator over the elements of {@code map} (iter/bpf_map_elem, iter/sockmap ...). */
    public static IterLink attach(BpfProgram program, BpfMap map) {
        check(program);
        String what = "iterator program " + program.name() + " over map " + map.name();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(16, 8); // union bpf_iter_link_info: map.map_fd first
            info.set(JAVA_INT, 0, map.fd());
            return new IterLink(create(program.fd(), 0, AttachType.TRACE_ITER.value(), 0, a -> {
                a.set(JAVA_LONG, BpfAttr.LinkCreate.ITER_INFO, info.address());
                a.set(JAVA_INT, BpfAttr.LinkCreate.ITER_INFO_LEN, (int) info.byteSize());
            }, what), what);
        }
    }

    private static void check(BpfProgram program) {
        if (program.attachType() != AttachType.TRACE_ITER) {
            throw new BpfException("program " + program.name() + " is " + program.type()
                    + (program.attachType() != null ? "/" + program.attachType() : "")
                    + ", not an iterator (section \"iter/<name>\")");
        }
    }

    /** One pass of the iterator: everything the program wrote, from the first object to the last. */
    public byte[] read() {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.IterCreate.LINK_FD, fd());
        int r = Syscalls.bpf(BpfCmd.ITER_CREATE, a, BpfAttr.IterCreate.SIZE);
        if (r < 0) throw BpfException.of("open a pass of " + this, -r);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Fd iter = new Fd(r); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(CHUNK);
            while (true) {
                long n = Syscalls.read(iter.get(), buf, CHUNK);
                if (n < 0) throw BpfException.of("read " + this, (int) -n);
                if (n == 0) return out.toByteArray();
                out.write(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), 0, (int) n);
            }
        }
    }

    /** {@link #read()} as UTF-8 text (what bpf_seq_printf wrote). */
    public String readText() {
        return new String(read(), java.nio.charset.StandardCharsets.UTF_8);
    }
}
