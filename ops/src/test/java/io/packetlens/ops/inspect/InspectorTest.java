package io.packetlens.ops.inspect;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.info.KernelObjects;
import io.packetlens.ops.Bpftool;
import io.packetlens.ops.OpsLab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code inspect --json} (Inspector + InventoryJson, what the command prints) against {@code bpftool -j prog/map/link
 * show}: the objects this test made field by field, and the whole system's listing against two bpftool listings
 * taken around it (other processes create and free objects meanwhile, so exactness is stated over what lived
 * through both).
 */
@KernelTest
class InspectorTest {
    private static OpsLab ops;
    private static Map<String, Map<Integer, JsonNode>> before = new HashMap<>(), after = new HashMap<>();
    private static JsonNode inventory;
    private static String text;

    @BeforeAll
    static void collect() throws Exception {
        ops = OpsLab.open();
        for (String kind : List.of("prog", "map", "link")) before.put(kind, Bpftool.show(kind));
        Inventory inv = Inspector.collect();
        for (String kind : List.of("prog", "map", "link")) after.put(kind, Bpftool.show(kind));
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            InventoryJson.write(g, inv);
        }
        inventory = Bpftool.JSON.readTree(w.toString());
        text = InventoryText.render(inv, true, true, true);
    }

    @AfterAll
    static void close() throws Exception {
        if (ops != null) ops.close();
    }

    private static Map<Integer, JsonNode> ours(String field) {
        Map<Integer, JsonNode> m = new HashMap<>();
        for (JsonNode n : inventory.get(field)) m.put(n.get("id").asInt(), n);
        return m;
    }

    /**
     * Exactness over a moving system: every id bpftool saw before and after is listed; every listed id that neither
     * bpftool listing has was made after the first listing and is gone now (ids are allocated increasing).
     */
    private static void sameSetAsBpftool(String kind, String field, java.util.function.IntPredicate stillExists) {
        Set<Integer> ours = ours(field).keySet();
        Set<Integer> stable = new HashSet<>(before.get(kind).keySet());
        stable.retainAll(after.get(kind).keySet());
        assertThat(ours).as(kind + ": everything bpftool listed before and after").containsAll(stable);
        int maxBefore = before.get(kind).keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        for (int id : ours) {
            if (before.get(kind).containsKey(id) || after.get(kind).containsKey(id)) continue;
            assertThat(id).as(kind + " " + id + " listed by us only: made after bpftool's first listing").isGreaterThan(maxBefore);
            assertThat(stillExists.test(id)).as(kind + " " + id + " listed by us only: gone by bpftool's second listing").isFalse();
        }
    }

    @Test
    void listsTheSameProgramsMapsAndLinksAsBpftool() {
        sameSetAsBpftool("prog", "programs", id -> KernelObjects.program(id).isPresent());
        sameSetAsBpftool("map", "maps", id -> KernelObjects.map(id).isPresent());
        sameSetAsBpftool("link", "links", id -> KernelObjects.link(id).isPresent());
    }

    @Test
    void ourProgramsCarryBpftoolsFieldsTheirOwnerAndAttachPoint() {
        Map<Integer, JsonNode> progs = ours("programs");
        long self = ProcessHandle.current().pid();
        for (BpfProgram p : ops.obj.programs().values()) {
            JsonNode o = progs.get(p.id()), b = after.get("prog").get(p.id());
            assertThat(o).as(p.name()).isNotNull();
            for (String f : List.of("type", "name", "tag", "gpl_compatible", "uid", "bytes_xlated", "jited", "bytes_jited", "bytes_memlock", "btf_id")) {
                assertThat(o.get(f)).as(p.name() + " " + f).isEqualTo(b.get(f));
            }
            // bpftool leaves map_ids out when there are none
            assertThat(o.get("map_ids")).as(p.name() + " map_ids").isEqualTo(b.has("map_ids") ? b.get("map_ids") : Bpftool.JSON.createArrayNode());
            assertThat(Math.abs(o.get("loaded_at").asLong() - b.get("loaded_at").asLong())).isLessThanOrEqualTo(1);
            List<Long> pids = new ArrayList<>();
            o.get("pids").forEach(x -> pids.add(x.get("pid").asLong()));
            assertThat(pids).as(p.name() + " owners").contains(self);
        }
        String ns = ops.b().namespace();
        JsonNode xdp = progs.get(ops.obj.program("ops_xdp").id()).get("attached");
        assertThat(xdp).hasSize(1);
        assertThat(xdp.get(0).get("hook").asText()).isEqualTo("xdp");
        assertThat(xdp.get(0).get("target").asText()).isEqualTo(ops.b().ifname());
        assertThat(xdp.get(0).get("netns").asText()).isEqualTo(ns);
        assertThat(xdp.get(0).get("mode").asText()).isEqualTo("driver");
        assertThat(xdp.get(0).get("link_id").asInt()).isEqualTo(ops.xdp.id());

        JsonNode tcx = progs.get(ops.obj.program("ops_tc_in").id()).get("attached").get(0);
        assertThat(tcx.get("hook").asText()).isEqualTo("tcx");
        assertThat(tcx.get("mode").asText()).isEqualTo("ingress");
        assertThat(tcx.get("position").asInt()).isEqualTo(1);
        assertThat(tcx.get("of").asInt()).isEqualTo(1);
        assertThat(tcx.get("link_id").asInt()).isEqualTo(ops.tcx.id());
        assertThat(tcx.get("netns").asText()).isEqualTo(ns);

        JsonNode cls = progs.get(ops.obj.program("ops_tc_out").id()).get("attached").get(0);
        assertThat(cls.get("hook").asText()).isEqualTo("clsact");
        assertThat(cls.get("mode").asText()).isEqualTo("egress");
        assertThat(cls.get("detail").asText()).contains("pref " + ops.clsact.priority()).contains("direct-action");
        assertThat(cls.has("link_id")).isFalse();

        JsonNode cg = progs.get(ops.obj.program("ops_cgroup").id()).get("attached").get(0);
        assertThat(cg.get("hook").asText()).isEqualTo("cgroup");
        assertThat(cg.get("target").asText()).isEqualTo(ops.group.path().toString());
        assertThat(cg.get("mode").asText()).isEqualTo("cgroup_inet_ingress");
        assertThat(text).contains("attached: xdp " + ops.b().ifname() + " (netns " + ns + ") driver mode, link " + ops.xdp.id());
    }

    @Test
    void attachPointsAgreeWithBpftoolsNetlinkViewOfTheInterface() throws Exception {
        JsonNode net = Bpftool.JSON.readTree(ops.b().exec(Bpftool.path(), "-j", "net", "show")).get(0);
        JsonNode xdp = net.get("xdp").get(0);
        assertThat(xdp.get("id").asInt()).isEqualTo(ops.obj.program("ops_xdp").id());
        assertThat(xdp.get("mode").asText()).isEqualTo("driver");
        JsonNode ours = ours("programs").get(xdp.get("id").asInt()).get("attached").get(0);
        assertThat(ours.get("ifindex").asInt()).isEqualTo(xdp.get("ifindex").asInt());
        // bpftool 7.1 lists clsact filters (not tcx links) under "tc"
        JsonNode tc = net.get("tc");
        boolean found = false;
        for (JsonNode f : tc) {
            if (f.get("id").asInt() == ops.obj.program("ops_tc_out").id()) {
                found = true;
                assertThat(f.get("kind").asText()).isEqualTo("clsact/egress");
            }
        }
        assertThat(found).as("bpftool net show lists the clsact filter: " + tc).isTrue();
    }

    @Test
    void ourMapsCarryBpftoolsFieldsAndTheProgramsUsingThem() {
        Map<Integer, JsonNode> maps = ours("maps");
        int xdpId = ops.obj.program("ops_xdp").id();
        for (BpfMap m : ops.obj.maps().values()) {
            JsonNode o = maps.get(m.id()), b = after.get("map").get(m.id());
            assertThat(o).as(m.name()).isNotNull();
            for (String f : List.of("type", "name", "flags", "bytes_key", "bytes_value", "max_entries", "bytes_memlock", "btf_id")) {
                assertThat(o.get(f)).as(m.name() + " " + f).isEqualTo(b.get(f));
            }
            assertThat(o.get("frozen").asBoolean()).isEqualTo(b.get("frozen").asInt() == 1);
        }
        List<Integer> users = new ArrayList<>();
        maps.get(ops.obj.map("ops_hash").id()).get("prog_ids").forEach(n -> users.add(n.asInt()));
        assertThat(users).containsExactly(xdpId);
        assertThat(maps.get(ops.obj.map(".rodata").id()).get("frozen").asBoolean()).isTrue();
    }

    @Test
    void ourLinksCarryBpftoolsFieldsAndWhereTheyAttach() throws Exception {
        Map<Integer, JsonNode> links = ours("links");
        for (var l : List.of(ops.xdp, ops.tcx, ops.cgroup)) {
            JsonNode o = links.get(l.id()), b = after.get("link").get(l.id());
            assertThat(o.get("prog_id")).isEqualTo(b.get("prog_id"));
            assertThat(b.get("type").asText()).isIn(o.get("type").asText(), "11"); // bpftool 7.1 prints tcx as its number
        }
        JsonNode cg = links.get(ops.cgroup.id());
        assertThat(cg.get("cgroup_id").asLong()).isEqualTo(after.get("link").get(ops.cgroup.id()).get("cgroup_id").asLong())
                .isEqualTo(((Number) Files.getAttribute(ops.group.path(), "unix:ino")).longValue());
        assertThat(links.get(ops.tcx.id()).get("attached").get("text").asText())
                .isEqualTo("tcx ingress " + ops.b().ifname() + " (netns " + ops.b().namespace() + "), 1st of 1, link " + ops.tcx.id());
    }
}
