package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfProgram;

/**
 * How to attach a TC program: through a tcx link (kernel 6.6+) or a cls_bpf filter on a
 * clsact qdisc, and where in the hook's order. Ordering relative to another program or link
 * is a tcx feature (BPF_F_BEFORE / BPF_F_AFTER); cls_bpf filters are ordered by priority
 * (lower runs first) and identified by priority and handle (0 lets the kernel choose).
 */
public record TcOptions(Via via, Position position, Object relativeTo, int priority, int handle) {

    public enum Via {
        /** tcx where the kernel has it, else clsact + cls_bpf (reported by {@link TcLink#fallback()}). */
        AUTO,
        /** tcx link only. */
        TCX,
        /** clsact qdisc + cls_bpf direct-action filter over rtnetlink only. */
        CLSACT
    }

    /** Where a tcx program goes in the hook's list. */
    public enum Position { LAST, FIRST, BEFORE, AFTER }

    public TcOptions {
        if (via == null || position == null) throw new IllegalArgumentException("via and position are required");
        if ((position == Position.BEFORE || position == Position.AFTER) != (relativeTo != null)) {
            throw new IllegalArgumentException("BEFORE and AFTER need a program or link to be relative to; FIRST and LAST none");
        }
        if (relativeTo != null && !(relativeTo instanceof BpfProgram) && !(relativeTo instanceof TcLink) && !(relativeTo instanceof Integer)) {
            throw new IllegalArgumentException("relative to a BpfProgram, a tcx TcLink or a program id, not " + relativeTo);
        }
        if (priority < 0 || priority > 0xffff) throw new IllegalArgumentException("priority must be 0..65535");
        if (via == Via.CLSACT && position != Position.LAST) {
            throw new IllegalArgumentException("clsact filters are ordered by priority, not by position: use priority()");
        }
    }

    /** AUTO, appended last, kernel-chosen priority and handle. */
    public static TcOptions defaults() {
        return new TcOptions(Via.AUTO, Position.LAST, null, 0, 0);
    }

    public TcOptions via(Via v) {
        return new TcOptions(v, position, relativeTo, priority, handle);
    }

    /** First in the hook's tcx list (BPF_F_BEFORE with no anchor). */
    public TcOptions first() {
        return new TcOptions(via, Position.FIRST, null, priority, handle);
    }

    public TcOptions last() {
        return new TcOptions(via, Position.LAST, null, priority, handle);
    }

    /** Immediately before {@code program}, which must be on the hook (BPF_F_BEFORE with its fd). */
    public TcOptions before(BpfProgram program) {
        return new TcOptions(via, Position.BEFORE, program, priority, handle);
    }

    /** Immediately before the program of a tcx {@code link} on the hook (BPF_F_BEFORE | BPF_F_LINK). */
    public TcOptions before(TcLink link) {
        return new TcOptions(via, Position.BEFORE, link, priority, handle);
    }

    /** Immediately before the program with id {@code programId} (BPF_F_BEFORE | BPF_F_ID). */
    public TcOptions beforeId(int programId) {
        return new TcOptions(via, Position.BEFORE, programId, priority, handle);
    }

    /** Immediately after {@code program}, which must be on the hook (BPF_F_AFTER with its fd). */
    public TcOptions after(BpfProgram program) {
        return new TcOptions(via, Position.AFTER, program, priority, handle);
    }

    /** Immediately after the program of a tcx {@code link} on the hook (BPF_F_AFTER | BPF_F_LINK). */
    public TcOptions after(TcLink link) {
        return new TcOptions(via, Position.AFTER, link, priority, handle);
    }

    /** Immediately after the program with id {@code programId} (BPF_F_AFTER | BPF_F_ID). */
    public TcOptions afterId(int programId) {
        return new TcOptions(via, Position.AFTER, programId, priority, handle);
    }

    /** The cls_bpf filter priority (1..65535, lower first; 0 = chosen by the kernel). */
    public TcOptions priority(int p) {
        return new TcOptions(via, position, relativeTo, p, handle);
    }

    /** The cls_bpf filter handle (0 = chosen by the kernel). */
    public TcOptions handle(int h) {
        return new TcOptions(via, position, relativeTo, priority, h);
    }
}
