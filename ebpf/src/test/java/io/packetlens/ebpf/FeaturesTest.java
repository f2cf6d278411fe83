package io.packetlens.ebpf;

import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.ebpf.features.Features;
import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.lab.OpenFds;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Feature probes on this kernel (6.18; also run under 6.1 by scripts/test-kernel61.sh), checked against known facts, the
 * kernel version that introduced each feature, and bpftool's own probes.
 */
@KernelTest
class FeaturesTest {
    private static final int HELPER_SKB_LOAD_BYTES = 26, HELPER_XDP_LOAD_BYTES = 189, NO_SUCH_HELPER = 100_000;

    @Test
    void typesThisKernelHas() {
        for (MapType t : new MapType[] {MapType.HASH, MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY,
                MapType.LRU_HASH, MapType.LPM_TRIE, MapType.RINGBUF, MapType.PERF_EVENT_ARRAY, MapType.DEVMAP,
                MapType.QUEUE, MapType.BLOOM_FILTER, MapType.HASH_OF_MAPS, MapType.CGROUP_STORAGE}) {
            assertThat(Features.hasMapType(t)).as("map type %s", t).isTrue();
        }
        for (ProgramType t : new ProgramType[] {ProgramType.XDP, ProgramType.SCHED_CLS, ProgramType.SOCKET_FILTER,
                ProgramType.CGROUP_SKB, ProgramType.CGROUP_SOCK_ADDR, ProgramType.SK_LOOKUP}) {
            assertThat(Features.hasProgramType(t)).as("program type %s", t).isTrue();
        }
    }

    @Test
    void helpersAreProbedPerProgramType() {
        assertThat(Features.hasHelper(ProgramType.XDP, Features.HELPER_RINGBUF_OUTPUT)).isTrue();
        assertThat(Features.hasHelper(ProgramType.XDP, Features.HELPER_RINGBUF_RESERVE)).isTrue();
        assertThat(Features.hasHelper(ProgramType.XDP, Features.HELPER_MAP_LOOKUP_ELEM)).isTrue();
        assertThat(Features.hasHelper(ProgramType.XDP, Features.HELPER_XDP_ADJUST_HEAD)).isTrue();
        assertThat(Features.hasHelper(ProgramType.SCHED_CLS, Features.HELPER_KTIME_GET_BOOT_NS)).isTrue();
        assertThat(Features.hasHelper(ProgramType.SCHED_CLS, HELPER_SKB_LOAD_BYTES)).isTrue();
        assertThat(Features.hasHelper(ProgramType.XDP, Features.HELPER_LOOP)).isTrue();
        // no such helper at all
        assertThat(Features.hasHelper(ProgramType.XDP, NO_SUCH_HELPER)).isFalse();
        assertThat(Features.hasHelper(ProgramType.SCHED_CLS, NO_SUCH_HELPER)).isFalse();
        // helpers that exist, but not for this program type
        assertThat(Features.hasHelper(ProgramType.XDP, HELPER_SKB_LOAD_BYTES)).isFalse();
        assertThat(Features.hasHelper(ProgramType.SCHED_CLS, Features.HELPER_XDP_ADJUST_HEAD)).isFalse();
        assertThat(Features.hasHelper(ProgramType.SOCKET_FILTER, HELPER_XDP_LOAD_BYTES)).isFalse();
        // a program type this kernel lacks has no helpers
        assertThat(Features.hasProgramType(ProgramType.LIRC_MODE2)).isFalse();
        assertThat(Features.hasHelper(ProgramType.LIRC_MODE2, Features.HELPER_MAP_LOOKUP_ELEM)).isFalse();
    }

    /** A kernel feature and the mainline release that introduced it. */
    private record Since(String what, int major, int minor, BooleanSupplier probe) {}

    private static final int HELPER_USER_RINGBUF_DRAIN = 209, HELPER_CGRP_STORAGE_GET = 210;

    /**
     * Each probe answers exactly "this kernel is at least the version that introduced the feature": true on 6.18 for all
     * of them, false (not an exception) for the newer ones on 6.1 (run there by scripts/test-kernel61.sh). Mainline
     * kernels only; a distribution kernel with backports would need its own table.
     */
    @Test
    void featuresAppearWithTheKernelVersionThatIntroducedThem() {
        KernelVersion kernel = KernelVersion.current();
        var table = java.util.List.of(
                new Since("ring buffer map", 5, 8, () -> Features.hasMapType(MapType.RINGBUF)),
                new Since("bloom filter map", 5, 16, () -> Features.hasMapType(MapType.BLOOM_FILTER)),
                new Since("user ring buffer map", 6, 1, () -> Features.hasMapType(MapType.USER_RINGBUF)),
                new Since("arena map", 6, 9, () -> Features.hasMapType(MapType.ARENA) || arenaRefusedByPolicy()),
                new Since("syscall programs", 5, 14, () -> Features.hasProgramType(ProgramType.SYSCALL)),
                new Since("netfilter programs", 6, 4, () -> Features.hasProgramType(ProgramType.NETFILTER)),
                new Since("bpf_ktime_get_boot_ns", 5, 8, () -> Features.hasHelper(ProgramType.XDP, Features.HELPER_KTIME_GET_BOOT_NS)),
                new Since("bpf_loop", 5, 17, () -> Features.hasHelper(ProgramType.XDP, Features.HELPER_LOOP)),
                new Since("bpf_user_ringbuf_drain", 6, 1, () -> Features.hasHelper(ProgramType.XDP, HELPER_USER_RINGBUF_DRAIN)),
                new Since("bpf_cgrp_storage_get", 6, 2, () -> Features.hasHelper(ProgramType.TRACEPOINT, HELPER_CGRP_STORAGE_GET)),
                new Since("tcx", 6, 6, Features::hasTcx));
        for (Since f : table) {
            assertThat(f.probe().getAsBoolean()).as("%s (since %d.%d) on %s", f.what(), f.major(), f.minor(), kernel)
                    .isEqualTo(kernel.atLeast(f.major(), f.minor()));
        }
    }

    /**
     * Some kernels of this kind know arena maps but refuse to create one with EPERM even to a process with CAP_BPF and
     * CAP_SYS_ADMIN (a kernel policy; seen on 6.18.44-fc, which also refuses BPF trampolines). The probe then rightly
     * says the map type is not usable; this tells that case from a kernel without the type (EINVAL).
     */
    private static boolean arenaRefusedByPolicy() {
        var caps = io.packetlens.ebpf.features.Capabilities.current();
        if (!caps.missing(io.packetlens.ebpf.features.Capabilities.CAP_BPF, io.packetlens.ebpf.features.Capabilities.CAP_SYS_ADMIN).isEmpty()) {
            return false;
        }
        var a = io.packetlens.ebpf.sys.Bpf.attr();
        a.set(java.lang.foreign.ValueLayout.JAVA_INT, io.packetlens.ebpf.sys.BpfAttr.MapCreate.MAP_TYPE, MapType.ARENA.value());
        a.set(java.lang.foreign.ValueLayout.JAVA_INT, io.packetlens.ebpf.sys.BpfAttr.MapCreate.MAX_ENTRIES, 1);
        a.set(java.lang.foreign.ValueLayout.JAVA_INT, io.packetlens.ebpf.sys.BpfAttr.MapCreate.MAP_FLAGS, MapSpec.F_MMAPABLE);
        int r = io.packetlens.ebpf.sys.Syscalls.bpf(io.packetlens.ebpf.sys.BpfCmd.MAP_CREATE, a, io.packetlens.ebpf.sys.BpfAttr.MapCreate.SIZE);
        if (r >= 0) io.packetlens.ebpf.sys.Syscalls.close(r);
        return r == -Errno.EPERM;
    }

    @Test
    void kernelVersionsParseAndCompare() {
        KernelVersion debian = KernelVersion.parse("6.1.0-56-amd64\n");
        assertThat(debian).extracting(KernelVersion::major, KernelVersion::minor, KernelVersion::patch).containsExactly(6, 1, 0);
        assertThat(debian.toString()).isEqualTo("6.1.0-56-amd64");
        assertThat(debian.atLeast(6, 1)).isTrue();
        assertThat(debian.atLeast(6, 6)).isFalse();
        assertThat(debian.atLeast(5, 19)).isTrue();
        assertThat(KernelVersion.parse("6.18")).isGreaterThan(debian);
        assertThat(KernelVersion.parse("5.15.0-1-cloud").atLeast(6, 0)).isFalse();
        assertThat(KernelVersion.current().major()).isGreaterThanOrEqualTo(5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KernelVersion.parse("linux"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a kernel release");
    }

    @Test
    void probesLeaveNoFdsAndAnswersAreStable() {
        int before = OpenFds.count();
        boolean ringbuf = Features.hasMapType(MapType.RINGBUF);
        boolean mapInMap = Features.hasMapType(MapType.ARRAY_OF_MAPS);
        boolean helper = Features.hasHelper(ProgramType.CGROUP_SKB, Features.HELPER_PERF_EVENT_OUTPUT);
        boolean tcx = Features.hasTcx();
        assertThat(OpenFds.count()).isEqualTo(before);
        assertThat(Features.hasTcx()).isEqualTo(tcx);
        assertThat(Features.hasMapType(MapType.RINGBUF)).isEqualTo(ringbuf);
        assertThat(Features.hasMapType(MapType.ARRAY_OF_MAPS)).isEqualTo(mapInMap).isTrue();
        assertThat(Features.hasHelper(ProgramType.CGROUP_SKB, Features.HELPER_PERF_EVENT_OUTPUT)).isEqualTo(helper).isTrue();
    }

    /** Types whose probes need BTF: reported false by design (see Features' Javadoc). */
    private static final Set<ProgramType> PROGRAMS_NEEDING_BTF = EnumSet.of(ProgramType.STRUCT_OPS, ProgramType.TRACING,
            ProgramType.LSM, ProgramType.EXT);
    private static final Set<MapType> MAPS_NEEDING_BTF = EnumSet.of(MapType.SK_STORAGE, MapType.INODE_STORAGE,
            MapType.TASK_STORAGE, MapType.CGRP_STORAGE, MapType.STRUCT_OPS);

    @Test
    void programAndMapTypesAgreeWithBpftool() throws Exception {
        JsonNode probe = Bpftool.json("feature", "probe", "kernel");
        int compared = 0;
        for (ProgramType t : ProgramType.values()) {
            JsonNode b = probe.get("program_types").get("have_" + t.name().toLowerCase() + "_prog_type");
            if (b == null || PROGRAMS_NEEDING_BTF.contains(t)) continue; // bpftool 7.1 predates NETFILTER
            assertThat(Features.hasProgramType(t)).as("program type %s (bpftool: %s)", t, b).isEqualTo(b.asBoolean());
            compared++;
        }
        for (MapType t : MapType.values()) {
            JsonNode b = probe.get("map_types").get("have_" + t.name().toLowerCase() + "_map_type");
            if (b == null || MAPS_NEEDING_BTF.contains(t)) continue;
            assertThat(Features.hasMapType(t)).as("map type %s (bpftool: %s)", t, b).isEqualTo(b.asBoolean());
            compared++;
        }
        assertThat(compared).isGreaterThan(50);
    }

    /**
     * bpftool 7.1 (libbpf 1.1) counts a helper as available unless the verifier says "invalid func" or
     * "unknown func"; 6.18 says "program of this type cannot use helper" instead, so bpftool over-reports.
     * What bpftool lists is therefore a superset of the truth: every helper we find must be in its list.
     */
    @Test
    void helpersFoundAreAmongThoseBpftoolLists() throws Exception {
        JsonNode helpers = Bpftool.json("feature", "probe", "kernel").get("helpers");
        Map<Integer, String> names = Map.of(1, "bpf_map_lookup_elem", 5, "bpf_ktime_get_ns", 25, "bpf_perf_event_output",
                26, "bpf_skb_load_bytes", 44, "bpf_xdp_adjust_head", 125, "bpf_ktime_get_boot_ns",
                130, "bpf_ringbuf_output", 181, "bpf_loop", 189, "bpf_xdp_load_bytes");
        for (ProgramType t : new ProgramType[] {ProgramType.XDP, ProgramType.SCHED_CLS, ProgramType.SOCKET_FILTER}) {
            Set<String> listed = new HashSet<>();
            helpers.get(t.name().toLowerCase() + "_available_helpers").forEach(n -> listed.add(n.asText()));
            for (var e : names.entrySet()) {
                if (Features.hasHelper(t, e.getKey())) assertThat(listed).as("%s in %s", e.getValue(), t).contains(e.getValue());
            }
        }
    }
}
