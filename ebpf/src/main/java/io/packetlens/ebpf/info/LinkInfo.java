package io.packetlens.ebpf.info;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A BPF link as the kernel describes it: {@code struct bpf_link_info} of linux/bpf.h, its type, id and program, and
 * the per-type union as a {@link Target}. One BPF_OBJ_GET_INFO_BY_FD answers for every type; the types that report a
 * name (raw tracepoint, iterator, perf-event tracepoint/kprobe/uprobe, uprobe_multi) need a second call with a name
 * buffer placed where that type's union member wants it, which is only known from the first answer.
 */
public record LinkInfo(int id, int type, int programId, Target target) {
    private static final int NAME_BUFFER = 512;

    /** What the link attaches to: one record per member of the kernel's union. */
    public sealed interface Target {
    }

    /** An XDP link: the device's ifindex (in the network namespace the link was made in). */
    public record Xdp(int ifindex) implements Target {}

    /** A tcx link (TC ingress or egress, 6.6+): ifindex and tcx_ingress / tcx_egress. */
    public record Tcx(int ifindex, int attachType) implements Target {
        public String attachTypeName() { return AttachType.nameOf(attachType); }
    }

    /** A netkit link: ifindex and netkit_primary / netkit_peer. */
    public record Netkit(int ifindex, int attachType) implements Target {
        public String attachTypeName() { return AttachType.nameOf(attachType); }
    }

    /** A cgroup link: the cgroup's id (the inode number of its cgroup v2 directory) and the hook. */
    public record Cgroup(long cgroupId, int attachType) implements Target {
        public String attachTypeName() { return AttachType.nameOf(attachType); }
    }

    /** BPF_RAW_TRACEPOINT_OPEN: the raw tracepoint's name. */
    public record RawTracepoint(String name, long cookie) implements Target {}

    /** fentry / fexit / fmod_ret / lsm / freplace: the target (BTF object or program id) and its BTF type id. */
    public record Tracing(int attachType, int targetObjectId, int targetBtfId, long cookie) implements Target {
        public String attachTypeName() { return AttachType.nameOf(attachType); }
    }

    /** A BPF iterator: its target ({@code bpf_map_elem}, {@code task} ...) and, for map iterators, the map. */
    public record Iter(String targetName, int mapId) implements Target {}

    /** A network-namespace link (flow dissector, sk_lookup): the namespace's inode and the hook. */
    public record Netns(long netnsInode, int attachType) implements Target {
        public String attachTypeName() { return AttachType.nameOf(attachType); }
    }

    /** A struct_ops map registered as a link. */
    public record StructOps(int mapId) implements Target {}

    /** A netfilter hook: protocol family, hook number, priority, flags. */
    public record Netfilter(int protocolFamily, int hook, int priority, int flags) implements Target {}

    /** A multi-kprobe link: how many functions, runs missed. */
    public record KprobeMulti(int count, int flags, long missed) implements Target {}

    /** A multi-uprobe link: the binary, how many offsets, the pid it is limited to (0 = any). */
    public record UprobeMulti(String path, int count, int flags, int pid) implements Target {}

    /**
     * A program on a perf event: a tracepoint (name {@code category:event}... the kernel reports just the event name),
     * a kprobe or uprobe (function or file name, offset) or a hardware/software event (type and config in
     * {@code offsetOrConfig}).
     */
    public record PerfEvent(PerfEventType eventType, String name, long offsetOrConfig, long cookie) implements Target {}

    /** A sockmap / sockhash verdict or parser program. */
    public record Sockmap(int mapId, int attachType) implements Target {
        public String attachTypeName() { return AttachType.nameOf(attachType); }
    }

    /** A link type this library does not decode. */
    public record Unknown() implements Target {}

    /** {@code enum bpf_perf_event_type}. */
    public enum PerfEventType {
        UNSPEC, UPROBE, URETPROBE, KPROBE, KRETPROBE, TRACEPOINT, EVENT;

        static PerfEventType of(int v) {
            return v >= 0 && v < values().length ? values()[v] : UNSPEC;
        }
    }

    /** The link type, if this library knows its number. */
    public Optional<LinkType> linkType() {
        return LinkType.find(type);
    }

    /** The type as bpftool names it ({@code xdp}, {@code tcx}, {@code perf_event} ...). */
    public String typeName() {
        return LinkType.nameOf(type);
    }

    /** Reads the info of the link behind {@code fd}. */
    public static LinkInfo ofFd(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.LinkInfo.SIZE, 8);
            call(fd, info);
            int type = info.get(JAVA_INT, BpfAttr.LinkInfo.TYPE);
            int perfType = info.get(JAVA_INT, BpfAttr.LinkInfo.PERF_EVENT_TYPE);
            // where this type wants its name buffer (pointer, then length), if it reports one
            int ptr = -1, len = -1;
            if (type == LinkType.RAW_TRACEPOINT.value()) {
                ptr = BpfAttr.LinkInfo.RAW_TP_NAME; len = BpfAttr.LinkInfo.RAW_TP_NAME_LEN;
            } else if (type == LinkType.ITER.value()) {
                ptr = BpfAttr.LinkInfo.ITER_TARGET_NAME; len = BpfAttr.LinkInfo.ITER_TARGET_NAME_LEN;
            } else if (type == LinkType.UPROBE_MULTI.value()) {
                ptr = BpfAttr.LinkInfo.UPROBE_MULTI_PATH; len = BpfAttr.LinkInfo.UPROBE_MULTI_PATH_SIZE;
            } else if (type == LinkType.PERF_EVENT.value() && PerfEventType.of(perfType) != PerfEventType.EVENT
                    && PerfEventType.of(perfType) != PerfEventType.UNSPEC) {
                ptr = BpfAttr.LinkInfo.PERF_TP_NAME; len = BpfAttr.LinkInfo.PERF_TP_NAME_LEN; // same place for k/u-probes
            }
            String name = null;
            if (ptr >= 0) {
                MemorySegment buf = arena.allocate(NAME_BUFFER);
                info.fill((byte) 0);
                info.set(JAVA_LONG, ptr, buf.address());
                info.set(JAVA_INT, len, NAME_BUFFER);
                call(fd, info);
                name = Names.cString(buf, 0, NAME_BUFFER);
            }
            return new LinkInfo(info.get(JAVA_INT, BpfAttr.LinkInfo.ID), type, info.get(JAVA_INT, BpfAttr.LinkInfo.PROG_ID),
                    target(type, info, name));
        }
    }

    private static void call(int fd, MemorySegment info) {
        int r = Bpf.tryInfo(fd, info);
        if (r < 0) throw BpfException.of(BpfCmd.name(BpfCmd.OBJ_GET_INFO_BY_FD) + " (link info)", -r);
    }

    private static Target target(int type, MemorySegment i, String name) {
        LinkType t = LinkType.find(type).orElse(LinkType.UNSPEC);
        return switch (t) {
            case XDP -> new Xdp(i.get(JAVA_INT, BpfAttr.LinkInfo.XDP_IFINDEX));
            case TCX -> new Tcx(i.get(JAVA_INT, BpfAttr.LinkInfo.TCX_IFINDEX), i.get(JAVA_INT, BpfAttr.LinkInfo.TCX_ATTACH_TYPE));
            case NETKIT -> new Netkit(i.get(JAVA_INT, BpfAttr.LinkInfo.NETKIT_IFINDEX), i.get(JAVA_INT, BpfAttr.LinkInfo.NETKIT_ATTACH_TYPE));
            case CGROUP -> new Cgroup(i.get(JAVA_LONG, BpfAttr.LinkInfo.CGROUP_ID), i.get(JAVA_INT, BpfAttr.LinkInfo.CGROUP_ATTACH_TYPE));
            case RAW_TRACEPOINT -> new RawTracepoint(name, i.get(JAVA_LONG, BpfAttr.LinkInfo.RAW_TP_COOKIE));
            case TRACING -> new Tracing(i.get(JAVA_INT, BpfAttr.LinkInfo.TRACING_ATTACH_TYPE),
                    i.get(JAVA_INT, BpfAttr.LinkInfo.TRACING_TARGET_OBJ_ID), i.get(JAVA_INT, BpfAttr.LinkInfo.TRACING_TARGET_BTF_ID),
                    i.get(JAVA_LONG, BpfAttr.LinkInfo.TRACING_COOKIE));
            case ITER -> new Iter(name, i.get(JAVA_INT, BpfAttr.LinkInfo.ITER_MAP_ID));
            case NETNS -> new Netns(Integer.toUnsignedLong(i.get(JAVA_INT, BpfAttr.LinkInfo.NETNS_INO)),
                    i.get(JAVA_INT, BpfAttr.LinkInfo.NETNS_ATTACH_TYPE));
            case STRUCT_OPS -> new StructOps(i.get(JAVA_INT, BpfAttr.LinkInfo.STRUCT_OPS_MAP_ID));
            case NETFILTER -> new Netfilter(i.get(JAVA_INT, BpfAttr.LinkInfo.NETFILTER_PF), i.get(JAVA_INT, BpfAttr.LinkInfo.NETFILTER_HOOKNUM),
                    i.get(JAVA_INT, BpfAttr.LinkInfo.NETFILTER_PRIORITY), i.get(JAVA_INT, BpfAttr.LinkInfo.NETFILTER_FLAGS));
            case KPROBE_MULTI -> new KprobeMulti(i.get(JAVA_INT, BpfAttr.LinkInfo.KPROBE_MULTI_COUNT),
                    i.get(JAVA_INT, BpfAttr.LinkInfo.KPROBE_MULTI_FLAGS), i.get(JAVA_LONG, BpfAttr.LinkInfo.KPROBE_MULTI_MISSED));
            case UPROBE_MULTI -> new UprobeMulti(name, i.get(JAVA_INT, BpfAttr.LinkInfo.UPROBE_MULTI_COUNT),
                    i.get(JAVA_INT, BpfAttr.LinkInfo.UPROBE_MULTI_FLAGS), i.get(JAVA_INT, BpfAttr.LinkInfo.UPROBE_MULTI_PID));
            case PERF_EVENT -> perfEvent(i, name);
            case SOCKMAP -> new Sockmap(i.get(JAVA_INT, BpfAttr.LinkInfo.SOCKMAP_MAP_ID), i.get(JAVA_INT, BpfAttr.LinkInfo.SOCKMAP_ATTACH_TYPE));
            case UNSPEC -> new Unknown();
        };
    }

    private static PerfEvent perfEvent(MemorySegment i, String name) {
        PerfEventType pt = PerfEventType.of(i.get(JAVA_INT, BpfAttr.LinkInfo.PERF_EVENT_TYPE));
        return switch (pt) {
            case TRACEPOINT -> new PerfEvent(pt, name, 0, i.get(JAVA_LONG, BpfAttr.LinkInfo.PERF_TP_COOKIE));
            case KPROBE, KRETPROBE -> new PerfEvent(pt, name, Integer.toUnsignedLong(i.get(JAVA_INT, BpfAttr.LinkInfo.PERF_KPROBE_OFFSET)),
                    i.get(JAVA_LONG, BpfAttr.LinkInfo.PERF_KPROBE_COOKIE));
            case UPROBE, URETPROBE -> new PerfEvent(pt, name, Integer.toUnsignedLong(i.get(JAVA_INT, BpfAttr.LinkInfo.PERF_UPROBE_OFFSET)),
                    i.get(JAVA_LONG, BpfAttr.LinkInfo.PERF_UPROBE_COOKIE));
            case EVENT -> new PerfEvent(pt, null, i.get(JAVA_LONG, BpfAttr.LinkInfo.PERF_EVENT_CONFIG), i.get(JAVA_LONG, BpfAttr.LinkInfo.PERF_EVENT_COOKIE));
            case UNSPEC -> new PerfEvent(pt, null, 0, 0);
        };
    }
}
