package io.packetlens.ops.inspect;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.info.FdInfo;
import io.packetlens.ebpf.info.KernelObjects;
import io.packetlens.ebpf.info.LinkInfo;
import io.packetlens.ebpf.info.MapInfo;
import io.packetlens.ebpf.info.ObjectKind;
import io.packetlens.ebpf.info.Owners;
import io.packetlens.ebpf.info.ProgramInfo;
import io.packetlens.ebpf.link.TcInfo;
import io.packetlens.ebpf.link.XdpMode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds an {@link Inventory}: every program, map and link (the kernel's id walk), their kernel memory (fdinfo of
 * the fd the walk holds anyway), owners (/proc), and attach points, from link info for hooks that have links and
 * from a scan of every interface's XDP and TC hooks in every network namespace for the packet hooks (which give
 * XDP modes, tcx order and clsact filters, and find attachments that have no link). Needs root.
 */
public final class Inspector {
    private Inspector() {}

    private record RawProgram(ProgramInfo info, long memlock) {}

    private record RawMap(MapInfo info, long memlock, boolean frozen) {}

    /** Reads everything now. */
    public static Inventory collect() {
        List<String> notes = new ArrayList<>();
        List<RawProgram> programs = KernelObjects.walk(ObjectKind.PROGRAM,
                fd -> new RawProgram(ProgramInfo.ofFd(fd), FdInfo.self(fd).flatMap(i -> boxed(i.memlock())).orElse(0L)));
        List<RawMap> maps = KernelObjects.walk(ObjectKind.MAP, fd -> {
            var fdinfo = FdInfo.self(fd);
            return new RawMap(MapInfo.ofFd(fd), fdinfo.flatMap(i -> boxed(i.memlock())).orElse(0L),
                    fdinfo.flatMap(i -> i.get("frozen")).map(v -> v.equals("1")).orElse(false));
        });
        List<LinkInfo> links = KernelObjects.links();
        List<Hooks.Interface> hooks = Hooks.scan(notes);
        Owners.Scan owners = Owners.scan();
        if (!owners.complete()) {
            notes.add(owners.unreadable() + " of " + owners.processes() + " processes could not be read, so owners may be missing"
                    + " (reading other users' /proc/PID/fdinfo needs root or CAP_SYS_PTRACE)");
        }

        Map<Integer, List<Attachment>> byProgram = new HashMap<>();
        Map<Integer, Attachment> byLink = new HashMap<>();
        Set<Integer> placedLinks = new HashSet<>();
        Map<Integer, LinkInfo> linkById = new HashMap<>();
        for (LinkInfo l : links) linkById.put(l.id(), l);

        for (Hooks.Interface i : hooks) {
            for (Map.Entry<XdpMode, Integer> e : i.xdp().programs().entrySet()) {
                int prog = e.getValue();
                Integer linkId = null;
                for (LinkInfo l : links) {
                    if (l.programId() == prog && l.target() instanceof LinkInfo.Xdp x && x.ifindex() == i.ifindex() && !placedLinks.contains(l.id())) {
                        linkId = l.id();
                        break;
                    }
                }
                Attachment a = new Attachment("xdp", i.name(), i.ifindex(), i.netns(), Hooks.modeName(e.getKey()), null, null, linkId, null);
                place(byProgram, byLink, placedLinks, prog, linkId, a);
            }
            for (TcInfo tc : new TcInfo[] {i.ingress(), i.egress()}) {
                if (tc == null) continue;
                String dir = tc.direction().name().toLowerCase();
                int total = tc.tcxProgramIds().size() + tc.filters().size();
                for (int k = 0; k < tc.tcxProgramIds().size(); k++) {
                    int linkId = tc.tcxLinkIds().get(k);
                    Attachment a = new Attachment("tcx", i.name(), i.ifindex(), i.netns(), dir, k + 1, total, linkId == 0 ? null : linkId, null);
                    place(byProgram, byLink, placedLinks, tc.tcxProgramIds().get(k), linkId == 0 ? null : linkId, a);
                }
                for (int k = 0; k < tc.filters().size(); k++) {
                    TcInfo.Filter f = tc.filters().get(k);
                    String detail = "pref " + f.priority() + " handle 0x" + Integer.toHexString(f.handle()) + (f.directAction() ? " direct-action" : "")
                            + (f.name() == null || f.name().isEmpty() ? "" : " " + f.name());
                    Attachment a = new Attachment("clsact", i.name(), i.ifindex(), i.netns(), dir, tc.tcxProgramIds().size() + k + 1, total, null, detail);
                    place(byProgram, byLink, placedLinks, f.programId(), null, a);
                }
            }
        }
        CgroupPaths cgroups = new CgroupPaths();
        Map<Long, String> netnsNames = new HashMap<>();
        for (Hooks.Namespace ns : Hooks.namespaces()) netnsNames.put(ns.inode(), ns.name() == null ? "this process's" : ns.name());
        for (LinkInfo l : links) {
            if (placedLinks.contains(l.id())) continue;
            Attachment a = fromLink(l, cgroups, netnsNames);
            place(byProgram, byLink, placedLinks, l.programId(), l.id(), a);
        }

        Map<Integer, List<Integer>> programsOfMap = new HashMap<>();
        for (RawProgram p : programs) for (int m : p.info().mapIds()) programsOfMap.computeIfAbsent(m, k -> new ArrayList<>()).add(p.info().id());

        List<Inventory.Program> outPrograms = programs.stream()
                .map(p -> new Inventory.Program(p.info(), p.memlock(), distinctPids(owners.of(ObjectKind.PROGRAM, p.info().id())),
                        byProgram.getOrDefault(p.info().id(), List.of())))
                .sorted(Comparator.comparingInt(p -> p.info().id())).toList();
        List<Inventory.Map> outMaps = maps.stream()
                .map(m -> new Inventory.Map(m.info(), m.memlock(), m.frozen(), distinctPids(owners.of(ObjectKind.MAP, m.info().id())),
                        programsOfMap.getOrDefault(m.info().id(), List.of())))
                .sorted(Comparator.comparingInt(m -> m.info().id())).toList();
        List<Inventory.Link> outLinks = links.stream()
                .map(l -> new Inventory.Link(l, byLink.get(l.id()), distinctPids(owners.of(ObjectKind.LINK, l.id()))))
                .sorted(Comparator.comparingInt(l -> l.info().id())).toList();
        return new Inventory(outPrograms, outMaps, outLinks, owners.complete(), notes);
    }

    private static void place(Map<Integer, List<Attachment>> byProgram, Map<Integer, Attachment> byLink, Set<Integer> placedLinks,
                              int programId, Integer linkId, Attachment a) {
        byProgram.computeIfAbsent(programId, k -> new ArrayList<>()).add(a);
        if (linkId != null) {
            byLink.put(linkId, a);
            placedLinks.add(linkId);
        }
    }

    /** An attachment described from link info alone (hooks without a per-interface view, or an interface not found). */
    static Attachment fromLink(LinkInfo l, CgroupPaths cgroups, Map<Long, String> netnsNames) {
        return switch (l.target()) {
            case LinkInfo.Xdp x -> new Attachment("xdp", "ifindex " + x.ifindex(), x.ifindex(), null, null, null, null, l.id(),
                    "interface not found in any network namespace");
            case LinkInfo.Tcx t -> new Attachment("tcx", "ifindex " + t.ifindex(), t.ifindex(), null,
                    t.attachTypeName().replace("tcx_", ""), null, null, l.id(), "interface not found in any network namespace");
            case LinkInfo.Netkit n -> new Attachment("netkit", "ifindex " + n.ifindex(), n.ifindex(), null, n.attachTypeName(), null, null, l.id(), null);
            case LinkInfo.Cgroup c -> new Attachment("cgroup", cgroups.path(c.cgroupId()).map(Object::toString).orElse("cgroup id " + c.cgroupId()),
                    null, null, c.attachTypeName(), null, null, l.id(), null);
            case LinkInfo.RawTracepoint r -> new Attachment("raw_tracepoint", r.name(), null, null, null, null, null, l.id(),
                    r.cookie() != 0 ? "cookie " + r.cookie() : null);
            case LinkInfo.PerfEvent p -> switch (p.eventType()) {
                case TRACEPOINT -> new Attachment("tracepoint", p.name(), null, null, null, null, null, l.id(), null);
                case KPROBE, KRETPROBE, UPROBE, URETPROBE -> new Attachment(p.eventType().name().toLowerCase(), p.name(), null, null, null, null, null,
                        l.id(), p.offsetOrConfig() != 0 ? "offset 0x" + Long.toHexString(p.offsetOrConfig()) : null);
                default -> new Attachment("perf_event", "config " + p.offsetOrConfig(), null, null, null, null, null, l.id(), null);
            };
            case LinkInfo.Tracing t -> new Attachment("tracing", "btf type " + t.targetBtfId() + " of object " + t.targetObjectId(), null, null,
                    t.attachTypeName(), null, null, l.id(), null);
            case LinkInfo.Netns n -> new Attachment("netns", null, null, netnsNames.getOrDefault(n.netnsInode(), "inode " + n.netnsInode()),
                    n.attachTypeName(), null, null, l.id(), null);
            case LinkInfo.Netfilter n -> new Attachment("netfilter", "pf " + n.protocolFamily() + " hook " + n.hook(), null, null, null, null, null,
                    l.id(), "priority " + n.priority());
            case LinkInfo.Iter it -> new Attachment("iter", it.targetName(), null, null, null, null, null, l.id(), it.mapId() != 0 ? "map " + it.mapId() : null);
            case LinkInfo.StructOps s -> new Attachment("struct_ops", "map " + s.mapId(), null, null, null, null, null, l.id(), null);
            case LinkInfo.KprobeMulti k -> new Attachment("kprobe_multi", k.count() + " functions", null, null, null, null, null, l.id(), null);
            case LinkInfo.UprobeMulti u -> new Attachment("uprobe_multi", u.path(), null, null, null, null, null, l.id(), u.count() + " offsets");
            case LinkInfo.Sockmap s -> new Attachment("sockmap", "map " + s.mapId(), null, null, AttachType.nameOf(s.attachType()), null, null, l.id(), null);
            case LinkInfo.Unknown u -> new Attachment(l.typeName(), null, null, null, null, null, null, l.id(), null);
        };
    }

    /** One owner per process (a process holding several fds of an object is listed once, with its first fd). */
    private static List<Owners.Owner> distinctPids(List<Owners.Owner> owners) {
        Map<Long, Owners.Owner> m = new java.util.LinkedHashMap<>();
        for (Owners.Owner o : owners) m.putIfAbsent(o.pid(), o);
        return List.copyOf(m.values());
    }

    private static java.util.Optional<Long> boxed(java.util.OptionalLong v) {
        return v.isPresent() ? java.util.Optional.of(v.getAsLong()) : java.util.Optional.empty();
    }
}
