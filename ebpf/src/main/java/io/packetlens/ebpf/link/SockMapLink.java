package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * An sk_skb stream parser, sk_skb stream verdict or sk_msg verdict program attached to a
 * SOCKMAP or SOCKHASH (BPF_PROG_ATTACH with the map's fd as target): it then runs on the
 * data of every socket in the map, and may redirect it to another socket of the map inside
 * the kernel. The kernel would silently replace a program already attached to the map, so
 * this refuses unless the slot is free (BPF_PROG_QUERY first). Closing detaches
 * (BPF_PROG_DETACH); when the process dies the map's last user reference goes and the
 * kernel drops its programs, unless the map is pinned.
 */
public final class SockMapLink extends Link {
    private final Fd mapFd;
    private final Fd programFd;
    private final AttachType attachType;
    private final int programId;

    private SockMapLink(Fd mapFd, Fd programFd, AttachType attachType, int programId, String what) {
        super(what);
        this.mapFd = mapFd;
        this.programFd = programFd;
        this.attachType = attachType;
        this.programId = programId;
    }

    /** Attaches with the program's own expected attach type (from its section: sk_skb/stream_parser, ...). */
    public static SockMapLink attach(BpfProgram program, BpfMap map) {
        if (program.attachType() == null) {
            throw new BpfException("program " + program.name() + " has no attach type: pass one (SK_SKB_STREAM_PARSER, "
                    + "SK_SKB_STREAM_VERDICT, SK_SKB_VERDICT or SK_MSG_VERDICT)");
        }
        return attach(program, map, program.attachType());
    }

    /**
     * Attaches {@code program} to {@code map} as {@code type}.
     *
     * @throws BpfException if the map is no sockmap, the program type does not fit the attach
     *         type, or another program already holds this slot of the map
     */
    public static SockMapLink attach(BpfProgram program, BpfMap map, AttachType type) {
        if (map.type() != MapType.SOCKMAP && map.type() != MapType.SOCKHASH) {
            throw new BpfException("map " + map.name() + " is " + map.type() + "; sk_skb and sk_msg programs attach to a SOCKMAP or SOCKHASH");
        }
        ProgramType needed = switch (type) {
            case SK_SKB_STREAM_PARSER, SK_SKB_STREAM_VERDICT, SK_SKB_VERDICT -> ProgramType.SK_SKB;
            case SK_MSG_VERDICT -> ProgramType.SK_MSG;
            default -> throw new BpfException(type + " is not a sockmap attach type (SK_SKB_STREAM_PARSER, SK_SKB_STREAM_VERDICT, "
                    + "SK_SKB_VERDICT, SK_MSG_VERDICT)");
        };
        if (program.type() != needed) {
            throw new BpfException("program " + program.name() + " is " + program.type() + ", " + type + " needs an " + needed + " program");
        }
        String what = type + " program " + program.name() + " on map " + map.name();
        List<Integer> there = query(map.fd(), type);
        if (!there.isEmpty()) {
            throw BpfException.of("attach " + what + ": the slot is taken by " + Programs.describe(there.getFirst())
                    + "; detach it first", Errno.EBUSY);
        }
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.ProgAttach.TARGET_FD, map.fd());
        a.set(JAVA_INT, BpfAttr.ProgAttach.ATTACH_BPF_FD, program.fd());
        a.set(JAVA_INT, BpfAttr.ProgAttach.ATTACH_TYPE, type.value());
        int r = Syscalls.bpf(BpfCmd.PROG_ATTACH, a, BpfAttr.ProgAttach.SIZE);
        if (r < 0) throw BpfException.of("attach " + what, -r);
        // our own references, so that detaching works whatever happens to the caller's objects
        return new SockMapLink(Programs.dup(map.fd()), Programs.dup(program.fd()), type, program.id(), what);
    }

    /** Ids of the programs attached to a sockmap as {@code type} (BPF_PROG_QUERY; empty on kernels before 5.19). */
    static List<Integer> query(int mapFd, AttachType type) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(4 * 4, 4);
            MemorySegment a = Bpf.attr();
            a.set(JAVA_INT, BpfAttr.Query.TARGET_FD, mapFd);
            a.set(JAVA_INT, BpfAttr.Query.ATTACH_TYPE, type.value());
            a.set(JAVA_LONG, BpfAttr.Query.PROG_IDS, ids.address());
            a.set(JAVA_INT, BpfAttr.Query.COUNT, 4);
            int r = Syscalls.bpf(BpfCmd.PROG_QUERY, a, BpfAttr.Query.SIZE);
            List<Integer> out = new ArrayList<>();
            if (r < 0) return out;
            int n = Math.min(a.get(JAVA_INT, BpfAttr.Query.COUNT), 4);
            for (int i = 0; i < n; i++) out.add(ids.getAtIndex(JAVA_INT, i));
            return out;
        }
    }

    /** The programs attached to {@code map} as {@code type}. */
    public static List<Integer> attached(BpfMap map, AttachType type) {
        return query(map.fd(), type);
    }

    public AttachType attachType() {
        return attachType;
    }

    public int programId() {
        return programId;
    }

    @Override
    public boolean detachesOnExit() {
        return true;
    }

    @Override
    protected void release() {
        try {
            MemorySegment a = Bpf.attr();
            a.set(JAVA_INT, BpfAttr.ProgAttach.TARGET_FD, mapFd.get());
            a.set(JAVA_INT, BpfAttr.ProgAttach.ATTACH_BPF_FD, programFd.get());
            a.set(JAVA_INT, BpfAttr.ProgAttach.ATTACH_TYPE, attachType.value());
            int r = Syscalls.bpf(BpfCmd.PROG_DETACH, a, BpfAttr.ProgAttach.SIZE);
            // ENOENT: replaced or detached by someone else since; theirs is not ours to remove
            if (r < 0 && -r != Errno.ENOENT) throw BpfException.of("detach " + description(), -r);
        } finally {
            programFd.close();
            mapFd.close();
        }
    }
}
