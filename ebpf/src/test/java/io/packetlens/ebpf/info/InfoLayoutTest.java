package io.packetlens.ebpf.info;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.tracing.KernelBtf;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The offsets BpfAttr declares for the info structures and BPF_ENABLE_STATS, against the running kernel's own
 * layout of the same structures in its BTF (/sys/kernel/btf/vmlinux): an independent description of the UAPI the
 * kernel was built with, so a wrong or outdated constant fails here rather than as garbage in inspect.
 */
class InfoLayoutTest {
    private static Btf vmlinux;

    @BeforeAll
    static void readKernelBtf() throws Exception {
        assumeThat(KernelBtf.available()).as("kernel BTF at " + KernelBtf.VMLINUX).isTrue();
        vmlinux = Btf.parse(Files.readAllBytes(KernelBtf.VMLINUX));
    }

    /** Byte offset of a dotted member path ("xdp.ifindex") in struct or union {@code outer}, through anonymous members. */
    private static long offset(int kind, String outer, String path) {
        BtfType t = vmlinux.findByName(kind, outer).orElseThrow(() -> new AssertionError("kernel BTF has no " + outer));
        long bits = 0;
        int id = t.id();
        for (String part : path.split("\\.")) {
            OptionalLong o = find(id, part, 0);
            if (o.isEmpty()) throw new AssertionError(outer + " has no member " + path + " on this kernel");
            bits += o.getAsLong();
            id = memberType(id, part);
        }
        assertThat(bits % 8).as(path + " is not a bit field").isZero();
        return bits / 8;
    }

    private static OptionalLong find(int structId, String member, long base) {
        for (Btf.Member m : vmlinux.members(structId)) {
            if (m.name().equals(member)) return OptionalLong.of(base + m.bitOffset());
            if (m.name().isEmpty()) {
                BtfType t = vmlinux.resolve(m.type());
                if (t.kind() == BtfKind.STRUCT || t.kind() == BtfKind.UNION) {
                    OptionalLong inner = find(t.id(), member, base + m.bitOffset());
                    if (inner.isPresent()) return inner;
                }
            }
        }
        return OptionalLong.empty();
    }

    private static int memberType(int structId, String member) {
        for (Btf.Member m : vmlinux.members(structId)) {
            if (m.name().equals(member)) return vmlinux.resolve(m.type()).id();
            if (m.name().isEmpty()) {
                BtfType t = vmlinux.resolve(m.type());
                if (t.kind() == BtfKind.STRUCT || t.kind() == BtfKind.UNION) {
                    try {
                        return memberType(t.id(), member);
                    } catch (AssertionError ignored) {
                        // not in this anonymous member
                    }
                }
            }
        }
        throw new AssertionError("no member " + member);
    }

    private static long size(int kind, String name) {
        return vmlinux.sizeOf(vmlinux.findByName(kind, name).orElseThrow().id());
    }

    private static void check(int kind, String struct, Map<String, Integer> expected) {
        Map<String, Long> kernel = new LinkedHashMap<>(), ours = new LinkedHashMap<>();
        expected.forEach((path, off) -> {
            kernel.put(path, offset(kind, struct, path));
            ours.put(path, (long) off);
        });
        assertThat(ours).as(struct + " offsets (ours vs the running kernel's BTF)").isEqualTo(kernel);
    }

    @Test
    void progInfoMatchesTheKernel() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("type", BpfAttr.ProgInfo.TYPE); m.put("id", BpfAttr.ProgInfo.ID); m.put("tag", BpfAttr.ProgInfo.TAG);
        m.put("jited_prog_len", BpfAttr.ProgInfo.JITED_PROG_LEN); m.put("xlated_prog_len", BpfAttr.ProgInfo.XLATED_PROG_LEN);
        m.put("load_time", BpfAttr.ProgInfo.LOAD_TIME); m.put("created_by_uid", BpfAttr.ProgInfo.CREATED_BY_UID);
        m.put("nr_map_ids", BpfAttr.ProgInfo.NR_MAP_IDS); m.put("map_ids", BpfAttr.ProgInfo.MAP_IDS);
        m.put("name", BpfAttr.ProgInfo.NAME); m.put("ifindex", BpfAttr.ProgInfo.IFINDEX);
        m.put("netns_dev", BpfAttr.ProgInfo.NETNS_DEV); m.put("netns_ino", BpfAttr.ProgInfo.NETNS_INO);
        m.put("nr_jited_ksyms", BpfAttr.ProgInfo.NR_JITED_KSYMS); m.put("btf_id", BpfAttr.ProgInfo.BTF_ID);
        m.put("nr_func_info", BpfAttr.ProgInfo.NR_FUNC_INFO); m.put("run_time_ns", BpfAttr.ProgInfo.RUN_TIME_NS);
        m.put("run_cnt", BpfAttr.ProgInfo.RUN_CNT); m.put("recursion_misses", BpfAttr.ProgInfo.RECURSION_MISSES);
        m.put("verified_insns", BpfAttr.ProgInfo.VERIFIED_INSNS); m.put("attach_btf_obj_id", BpfAttr.ProgInfo.ATTACH_BTF_OBJ_ID);
        m.put("attach_btf_id", BpfAttr.ProgInfo.ATTACH_BTF_ID);
        check(BtfKind.STRUCT, "bpf_prog_info", m);
        // gpl_compatible is bit 0 of the word after ifindex
        BtfType t = vmlinux.findByName(BtfKind.STRUCT, "bpf_prog_info").orElseThrow();
        Btf.Member gpl = vmlinux.members(t.id()).stream().filter(x -> x.name().equals("gpl_compatible")).findFirst().orElseThrow();
        assertThat(gpl.bitOffset()).isEqualTo(BpfAttr.ProgInfo.GPL_COMPATIBLE * 8);
        assertThat(size(BtfKind.STRUCT, "bpf_prog_info")).isEqualTo(BpfAttr.ProgInfo.SIZE);
    }

    @Test
    void mapInfoMatchesTheKernel() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("type", BpfAttr.MapInfo.TYPE); m.put("id", BpfAttr.MapInfo.ID); m.put("key_size", BpfAttr.MapInfo.KEY_SIZE);
        m.put("value_size", BpfAttr.MapInfo.VALUE_SIZE); m.put("max_entries", BpfAttr.MapInfo.MAX_ENTRIES);
        m.put("map_flags", BpfAttr.MapInfo.MAP_FLAGS); m.put("name", BpfAttr.MapInfo.NAME); m.put("ifindex", BpfAttr.MapInfo.IFINDEX);
        m.put("btf_vmlinux_value_type_id", BpfAttr.MapInfo.BTF_VMLINUX_VALUE_TYPE_ID); m.put("netns_dev", BpfAttr.MapInfo.NETNS_DEV);
        m.put("netns_ino", BpfAttr.MapInfo.NETNS_INO); m.put("btf_id", BpfAttr.MapInfo.BTF_ID);
        m.put("btf_key_type_id", BpfAttr.MapInfo.BTF_KEY_TYPE_ID); m.put("btf_value_type_id", BpfAttr.MapInfo.BTF_VALUE_TYPE_ID);
        m.put("map_extra", BpfAttr.MapInfo.MAP_EXTRA);
        check(BtfKind.STRUCT, "bpf_map_info", m);
        // newer fields: checked where this kernel has them (our SIZE covers 6.18's struct; more is zero-filled, which kernels accept)
        assertThat(BpfAttr.MapInfo.SIZE).isGreaterThanOrEqualTo((int) size(BtfKind.STRUCT, "bpf_map_info"));
    }

    @Test
    void linkInfoMatchesTheKernel() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("type", BpfAttr.LinkInfo.TYPE); m.put("id", BpfAttr.LinkInfo.ID); m.put("prog_id", BpfAttr.LinkInfo.PROG_ID);
        m.put("raw_tracepoint.tp_name", BpfAttr.LinkInfo.RAW_TP_NAME); m.put("raw_tracepoint.tp_name_len", BpfAttr.LinkInfo.RAW_TP_NAME_LEN);
        m.put("tracing.attach_type", BpfAttr.LinkInfo.TRACING_ATTACH_TYPE); m.put("tracing.target_obj_id", BpfAttr.LinkInfo.TRACING_TARGET_OBJ_ID);
        m.put("tracing.target_btf_id", BpfAttr.LinkInfo.TRACING_TARGET_BTF_ID);
        m.put("cgroup.cgroup_id", BpfAttr.LinkInfo.CGROUP_ID); m.put("cgroup.attach_type", BpfAttr.LinkInfo.CGROUP_ATTACH_TYPE);
        m.put("iter.target_name", BpfAttr.LinkInfo.ITER_TARGET_NAME); m.put("iter.target_name_len", BpfAttr.LinkInfo.ITER_TARGET_NAME_LEN);
        m.put("netns.netns_ino", BpfAttr.LinkInfo.NETNS_INO); m.put("netns.attach_type", BpfAttr.LinkInfo.NETNS_ATTACH_TYPE);
        m.put("xdp.ifindex", BpfAttr.LinkInfo.XDP_IFINDEX); m.put("struct_ops.map_id", BpfAttr.LinkInfo.STRUCT_OPS_MAP_ID);
        m.put("netfilter.pf", BpfAttr.LinkInfo.NETFILTER_PF); m.put("netfilter.hooknum", BpfAttr.LinkInfo.NETFILTER_HOOKNUM);
        m.put("netfilter.priority", BpfAttr.LinkInfo.NETFILTER_PRIORITY); m.put("netfilter.flags", BpfAttr.LinkInfo.NETFILTER_FLAGS);
        m.put("kprobe_multi.count", BpfAttr.LinkInfo.KPROBE_MULTI_COUNT); m.put("kprobe_multi.flags", BpfAttr.LinkInfo.KPROBE_MULTI_FLAGS);
        m.put("kprobe_multi.missed", BpfAttr.LinkInfo.KPROBE_MULTI_MISSED);
        m.put("uprobe_multi.path", BpfAttr.LinkInfo.UPROBE_MULTI_PATH); m.put("uprobe_multi.path_size", BpfAttr.LinkInfo.UPROBE_MULTI_PATH_SIZE);
        m.put("uprobe_multi.count", BpfAttr.LinkInfo.UPROBE_MULTI_COUNT); m.put("uprobe_multi.pid", BpfAttr.LinkInfo.UPROBE_MULTI_PID);
        m.put("perf_event.type", BpfAttr.LinkInfo.PERF_EVENT_TYPE);
        m.put("perf_event.tracepoint.tp_name", BpfAttr.LinkInfo.PERF_TP_NAME);
        m.put("perf_event.tracepoint.name_len", BpfAttr.LinkInfo.PERF_TP_NAME_LEN);
        m.put("perf_event.tracepoint.cookie", BpfAttr.LinkInfo.PERF_TP_COOKIE);
        m.put("perf_event.kprobe.func_name", BpfAttr.LinkInfo.PERF_KPROBE_FUNC_NAME);
        m.put("perf_event.kprobe.offset", BpfAttr.LinkInfo.PERF_KPROBE_OFFSET);
        m.put("perf_event.kprobe.addr", BpfAttr.LinkInfo.PERF_KPROBE_ADDR);
        m.put("perf_event.uprobe.file_name", BpfAttr.LinkInfo.PERF_UPROBE_FILE_NAME);
        m.put("perf_event.uprobe.offset", BpfAttr.LinkInfo.PERF_UPROBE_OFFSET);
        m.put("perf_event.event.config", BpfAttr.LinkInfo.PERF_EVENT_CONFIG);
        m.put("perf_event.event.type", BpfAttr.LinkInfo.PERF_EVENT_EVENT_TYPE);
        m.put("tcx.ifindex", BpfAttr.LinkInfo.TCX_IFINDEX); m.put("tcx.attach_type", BpfAttr.LinkInfo.TCX_ATTACH_TYPE);
        m.put("netkit.ifindex", BpfAttr.LinkInfo.NETKIT_IFINDEX); m.put("netkit.attach_type", BpfAttr.LinkInfo.NETKIT_ATTACH_TYPE);
        m.put("sockmap.map_id", BpfAttr.LinkInfo.SOCKMAP_MAP_ID); m.put("sockmap.attach_type", BpfAttr.LinkInfo.SOCKMAP_ATTACH_TYPE);
        check(BtfKind.STRUCT, "bpf_link_info", m);
        assertThat(BpfAttr.LinkInfo.SIZE).isGreaterThanOrEqualTo((int) size(BtfKind.STRUCT, "bpf_link_info"));
    }

    @Test
    void btfInfoAndEnableStatsMatchTheKernel() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("btf", BpfAttr.BtfInfo.BTF); m.put("btf_size", BpfAttr.BtfInfo.BTF_SIZE); m.put("id", BpfAttr.BtfInfo.ID);
        m.put("name", BpfAttr.BtfInfo.NAME); m.put("name_len", BpfAttr.BtfInfo.NAME_LEN); m.put("kernel_btf", BpfAttr.BtfInfo.KERNEL_BTF);
        check(BtfKind.STRUCT, "bpf_btf_info", m);
        assertThat(size(BtfKind.STRUCT, "bpf_btf_info")).isEqualTo(BpfAttr.BtfInfo.SIZE);
        Map<String, Integer> a = new LinkedHashMap<>();
        a.put("enable_stats.type", BpfAttr.EnableStats.TYPE);
        a.put("info.bpf_fd", BpfAttr.Info.BPF_FD); a.put("info.info_len", BpfAttr.Info.INFO_LEN); a.put("info.info", BpfAttr.Info.INFO);
        a.put("start_id", BpfAttr.GetId.START_ID); a.put("next_id", BpfAttr.GetId.NEXT_ID); a.put("open_flags", BpfAttr.GetId.OPEN_FLAGS);
        check(BtfKind.UNION, "bpf_attr", a);
    }
}
