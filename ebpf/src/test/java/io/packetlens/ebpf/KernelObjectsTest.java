package io.packetlens.ebpf;

import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.cgroup.Cgroup;
import io.packetlens.ebpf.info.BtfInfo;
import io.packetlens.ebpf.info.FdInfo;
import io.packetlens.ebpf.info.KernelObjects;
import io.packetlens.ebpf.info.LinkInfo;
import io.packetlens.ebpf.info.MapInfo;
import io.packetlens.ebpf.info.ObjectKind;
import io.packetlens.ebpf.info.Owners;
import io.packetlens.ebpf.info.ProgramInfo;
import io.packetlens.ebpf.link.CgroupLink;
import io.packetlens.ebpf.link.Link;
import io.packetlens.ebpf.link.RawTracepointLink;
import io.packetlens.ebpf.link.TcDirection;
import io.packetlens.ebpf.link.TcLink;
import io.packetlens.ebpf.link.TcOptions;
import io.packetlens.ebpf.link.TracepointLink;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The info structures and the system-wide iteration against bpftool, on objects this test made: programs and maps
 * of one object, and one link of each kind the kernel describes differently (XDP, tcx, raw tracepoint, perf-event
 * tracepoint, cgroup).
 */
@KernelTest
class KernelObjectsTest {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static Lab lab;
    private static BpfObject obj;
    private static Cgroup group;
    private static Path ownCgroupMount;
    private static final List<Link> links = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        lab = Lab.create();
        obj = ObjectSpec.fromResource(KernelObjectsTest.class, "/bpf/info_test.bpf.o").load();
        Host b = lab.b();
        links.add(b.call(() -> XdpLink.attach(obj.program("info_xdp"), b.ifname(), XdpMode.DRIVER)));
        links.add(b.call(() -> TcLink.attach(obj.program("info_tc"), b.ifname(), TcDirection.INGRESS,
                TcOptions.defaults().via(TcOptions.Via.TCX))));
        links.add(RawTracepointLink.attach(obj.program("info_raw_tp"), "kfree_skb"));
        links.add(TracepointLink.attach(obj.program("info_tp"), "skb", "kfree_skb"));
        Cgroup root = Cgroup.findRoot().orElse(null);
        if (root == null) {
            ownCgroupMount = Files.createTempDirectory("pl-ops-cgroup2");
            root = Cgroup.root(ownCgroupMount);
        }
        group = root.child("pl-ops-" + ProcessHandle.current().pid());
        links.add(CgroupLink.attach(obj.program("info_cgroup"), group));
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (Link l : links) l.close();
        if (obj != null) obj.close();
        if (group != null) group.delete();
        if (ownCgroupMount != null) {
            new ProcessBuilder("umount", ownCgroupMount.toString()).inheritIO().start().waitFor();
            Files.delete(ownCgroupMount);
        }
        if (lab != null) lab.close();
    }

    private static Set<Integer> ourProgramIds() {
        return obj.programs().values().stream().map(BpfProgram::id).collect(Collectors.toSet());
    }

    private static Set<Integer> ourMapIds() {
        return obj.maps().values().stream().map(BpfMap::id).collect(Collectors.toSet());
    }

    @Test
    void everyProgramOfTheObjectIsListedAsBpftoolSeesIt() throws Exception {
        Map<Integer, ProgramInfo> listed = new HashMap<>();
        for (ProgramInfo p : KernelObjects.programs()) listed.put(p.id(), p);
        assertThat(listed.keySet()).containsAll(ourProgramIds());
        for (BpfProgram prog : obj.programs().values()) {
            ProgramInfo p = listed.get(prog.id());
            JsonNode j = Bpftool.json("prog", "show", "id", String.valueOf(p.id()));
            assertThat(p.name()).isEqualTo(j.get("name").asText()).isEqualTo(prog.name());
            assertThat(p.typeName()).isEqualTo(j.get("type").asText());
            assertThat(p.tag()).isEqualTo(j.get("tag").asText()).isEqualTo(prog.tag());
            assertThat(p.createdByUid()).isEqualTo(j.get("uid").asInt());
            assertThat(p.xlatedLength()).isEqualTo(j.get("bytes_xlated").asInt());
            assertThat(p.jited()).isEqualTo(j.get("jited").asBoolean());
            assertThat(p.jitedLength()).isEqualTo(j.get("bytes_jited").asInt());
            assertThat(p.gplCompatible()).isEqualTo(j.get("gpl_compatible").asBoolean()).isTrue();
            assertThat(p.btfId()).isEqualTo(j.get("btf_id").asInt());
            List<Integer> maps = new ArrayList<>();
            j.get("map_ids").forEach(n -> maps.add(n.asInt()));
            assertThat(p.mapIds()).containsExactlyInAnyOrderElementsOf(maps);
            // bpftool prints the wall-clock load time in whole seconds
            assertThat(Math.abs(p.loadedAt().getEpochSecond() - j.get("loaded_at").asLong())).isLessThanOrEqualTo(1);
            assertThat(p.loadedAt()).isBefore(Instant.now());
            assertThat(FdInfo.self(prog.fd()).orElseThrow().memlock()).hasValue(j.get("bytes_memlock").asLong());
        }
    }

    @Test
    void everyMapOfTheObjectIsListedAsBpftoolSeesIt() throws Exception {
        Map<Integer, MapInfo> listed = new HashMap<>();
        for (MapInfo m : KernelObjects.maps()) listed.put(m.id(), m);
        assertThat(listed.keySet()).containsAll(ourMapIds());
        for (BpfMap map : obj.maps().values()) {
            MapInfo m = listed.get(map.id());
            JsonNode j = Bpftool.json("map", "show", "id", String.valueOf(m.id()));
            assertThat(m.name()).isEqualTo(j.get("name").asText());
            assertThat(m.typeName()).isEqualTo(j.get("type").asText());
            assertThat(m.flags()).isEqualTo(j.get("flags").asInt());
            assertThat(m.keySize()).isEqualTo(j.get("bytes_key").asInt());
            assertThat(m.valueSize()).isEqualTo(j.get("bytes_value").asInt());
            assertThat(m.maxEntries()).isEqualTo(j.get("max_entries").asInt());
            assertThat(m.btfId()).isEqualTo(j.has("btf_id") ? j.get("btf_id").asInt() : 0);
            assertThat(FdInfo.self(map.fd()).orElseThrow().memlock()).hasValue(j.get("bytes_memlock").asLong());
        }
        MapInfo runs = listed.get(obj.map("info_runs").id());
        assertThat(runs.btfKeyTypeId()).isPositive();
        assertThat(runs.btfValueTypeId()).isPositive();
    }

    @Test
    void everyLinkIsListedWithItsTargetAsBpftoolSeesIt() throws Exception {
        Map<Integer, LinkInfo> listed = new HashMap<>();
        for (LinkInfo l : KernelObjects.links()) listed.put(l.id(), l);
        Map<String, LinkInfo> byProgram = new HashMap<>();
        for (Link link : links) {
            LinkInfo l = listed.get(link.id());
            assertThat(l).as("link " + link).isNotNull();
            assertThat(l).isEqualTo(link.info());
            JsonNode j = Bpftool.json("link", "show", "id", String.valueOf(l.id()));
            assertThat(l.programId()).isEqualTo(j.get("prog_id").asInt());
            String bpftoolType = j.get("type").asText();
            // bpftool 7.1 predates tcx and prints unknown link types as numbers
            assertThat(bpftoolType).isIn(l.typeName(), String.valueOf(l.type()));
            byProgram.put(KernelObjects.program(l.programId()).orElseThrow().name(), l);
            switch (l.target()) {
                case LinkInfo.Xdp x -> {
                    // bpftool 7.1 prints no ifindex for XDP links; its netlink view of the interface names the program
                    assertThat(x.ifindex()).isEqualTo(lab.b().ifindex());
                    JsonNode net = JSON.readTree(lab.b().exec(Bpftool.path(), "-j", "net", "show"));
                    JsonNode xdp = net.get(0).get("xdp").get(0);
                    assertThat(xdp.get("ifindex").asInt()).isEqualTo(x.ifindex());
                    assertThat(xdp.get("id").asInt()).isEqualTo(l.programId());
                    assertThat(xdp.get("mode").asText()).isEqualTo("driver");
                }
                case LinkInfo.Cgroup c -> {
                    assertThat(c.cgroupId()).isEqualTo(j.get("cgroup_id").asLong())
                            .isEqualTo((long) Files.getAttribute(group.path(), "unix:ino"));
                    assertThat(c.attachTypeName()).isEqualTo("cgroup_inet_ingress");
                }
                case LinkInfo.RawTracepoint r -> assertThat(r.name()).isEqualTo(j.get("tp_name").asText()).isEqualTo("kfree_skb");
                case LinkInfo.Tcx t -> {
                    assertThat(t.ifindex()).isEqualTo(lab.b().ifindex());
                    assertThat(t.attachTypeName()).isEqualTo("tcx_ingress");
                }
                case LinkInfo.PerfEvent p -> {
                    assertThat(p.eventType()).isEqualTo(LinkInfo.PerfEventType.TRACEPOINT);
                    assertThat(p.name()).isEqualTo("kfree_skb");
                }
                default -> throw new AssertionError("unexpected link " + l);
            }
        }
        assertThat(byProgram).containsOnlyKeys("info_xdp", "info_tc", "info_raw_tp", "info_tp", "info_cgroup");
    }

    @Test
    void openByIdGivesTheSameObjectsAndTheirOwnersAreThisProcess() {
        BpfProgram xdp = obj.program("info_xdp");
        try (BpfProgram again = BpfProgram.openById(xdp.id()); BpfMap map = BpfMap.openById(obj.map("info_runs").id());
             Link link = Link.openById(links.getFirst().id())) {
            assertThat(again.id()).isEqualTo(xdp.id());
            assertThat(again.tag()).isEqualTo(xdp.tag());
            assertThat(again.name()).isEqualTo("info_xdp");
            assertThat(again.type()).isEqualTo(ProgramType.XDP);
            assertThat(map.name()).isEqualTo("info_runs");
            assertThat(map.maxEntries()).isEqualTo(4);
            assertThat(link.info().programId()).isEqualTo(xdp.id());
            long self = ProcessHandle.current().pid();
            Owners.Scan scan = Owners.scan();
            assertThat(scan.of(ObjectKind.PROGRAM, xdp.id())).extracting(Owners.Owner::pid).contains(self);
            assertThat(scan.of(ObjectKind.PROGRAM, xdp.id())).filteredOn(o -> o.pid() == self).hasSize(2); // the object's fd and ours
            assertThat(scan.of(ObjectKind.MAP, map.id())).extracting(Owners.Owner::pid).contains(self);
            assertThat(scan.of(ObjectKind.LINK, link.info().id())).extracting(Owners.Owner::pid).contains(self);
            assertThat(scan.of(ObjectKind.PROGRAM, xdp.id()).getFirst().command()).isNotBlank();
        }
        assertThat(KernelObjects.program(Integer.MAX_VALUE)).isEmpty();
    }

    @Test
    void objectsFreedDuringTheWalkAreSkipped() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Set<Integer> churned = new HashSet<>();
        Thread churn = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                try (BpfMap m = BpfMap.create(MapSpec.of("pl_ops_churn", MapType.ARRAY, 4, 4, 1))) {
                    synchronized (churned) {
                        churned.add(m.id());
                    }
                }
            }
        });
        try {
            int stable = obj.map("info_runs").id();
            // Walk until the churn has made and freed enough maps to race with: 200 walks can end before the
            // churn thread has created 100 maps on a loaded machine, so the count, not the walks, sets the end.
            long deadline = System.nanoTime() + 20_000_000_000L;
            for (int walks = 0; walks < 200 || churnedCount(churned) <= 100; walks++) {
                assertThat(KernelObjects.maps()).extracting(MapInfo::id).contains(stable);
                if (System.nanoTime() > deadline) break;
            }
        } finally {
            stop.set(true);
            churn.join();
        }
        synchronized (churned) {
            assertThat(churned).hasSizeGreaterThan(100);
            for (int id : churned) assertThat(KernelObjects.map(id)).as("freed map " + id).isEmpty();
        }
    }

    private static int churnedCount(Set<Integer> churned) {
        synchronized (churned) {
            return churned.size();
        }
    }

    @Test
    void btfOfAMapIsReadableAndDescribesItsValue() {
        MapInfo m = obj.map("info_runs").info();
        BtfInfo info = KernelObjects.btf(m.btfId()).orElseThrow();
        assertThat(info.kernelBtf()).isFalse();
        Btf btf = Btf.parse(KernelObjects.btfData(m.btfId()).orElseThrow());
        assertThat(btf.bytes()).hasSize(info.size());
        assertThat(btf.sizeOf(m.btfValueTypeId())).isEqualTo(8);
        assertThat(btf.resolve(m.btfKeyTypeId()).kind()).isEqualTo(BtfKind.INT);
        BtfInfo vmlinux = KernelObjects.btfs().stream().filter(b -> b.name().equals("vmlinux")).findFirst().orElseThrow();
        assertThat(vmlinux.kernelBtf()).isTrue();
    }
}
