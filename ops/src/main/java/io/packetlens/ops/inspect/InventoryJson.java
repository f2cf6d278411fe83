package io.packetlens.ops.inspect;

import com.fasterxml.jackson.core.JsonGenerator;
import io.packetlens.ebpf.info.LinkInfo;
import io.packetlens.ebpf.info.MapInfo;
import io.packetlens.ebpf.info.Owners;
import io.packetlens.ebpf.info.ProgramInfo;

import java.io.IOException;
import java.util.List;

/**
 * {@code inspect --json}: one object with {@code programs}, {@code maps} and {@code links} arrays whose fields carry
 * bpftool's names where bpftool has the field ({@code id}, {@code type}, {@code name}, {@code tag}, {@code loaded_at},
 * {@code bytes_memlock}, {@code map_ids}, {@code pids} ...), plus {@code attached} (where each program runs), and
 * {@code owners_complete} / {@code notes}.
 */
public final class InventoryJson {
    private InventoryJson() {}

    public static void write(JsonGenerator g, Inventory inv) throws IOException {
        g.writeStartObject();
        g.writeArrayFieldStart("programs");
        for (Inventory.Program p : inv.programs()) program(g, p);
        g.writeEndArray();
        g.writeArrayFieldStart("maps");
        for (Inventory.Map m : inv.maps()) map(g, m);
        g.writeEndArray();
        g.writeArrayFieldStart("links");
        for (Inventory.Link l : inv.links()) link(g, l);
        g.writeEndArray();
        g.writeBooleanField("owners_complete", inv.ownersComplete());
        g.writeArrayFieldStart("notes");
        for (String n : inv.notes()) g.writeString(n);
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void program(JsonGenerator g, Inventory.Program p) throws IOException {
        ProgramInfo i = p.info();
        g.writeStartObject();
        g.writeNumberField("id", i.id());
        g.writeStringField("type", i.typeName());
        g.writeStringField("name", i.name());
        g.writeStringField("tag", i.tag());
        g.writeBooleanField("gpl_compatible", i.gplCompatible());
        if (i.runCount() > 0 || i.runTimeNs() > 0) {
            g.writeNumberField("run_time_ns", i.runTimeNs());
            g.writeNumberField("run_cnt", i.runCount());
        }
        if (i.recursionMisses() > 0) g.writeNumberField("recursion_misses", i.recursionMisses());
        var at = i.loadedAt();
        g.writeNumberField("loaded_at", at.getEpochSecond());
        g.writeStringField("loaded_at_iso", at.toString());
        g.writeNumberField("uid", i.createdByUid());
        g.writeNumberField("bytes_xlated", i.xlatedLength());
        g.writeBooleanField("jited", i.jited());
        g.writeNumberField("bytes_jited", i.jitedLength());
        g.writeNumberField("bytes_memlock", p.memlock());
        g.writeArrayFieldStart("map_ids");
        for (int m : i.mapIds()) g.writeNumber(m);
        g.writeEndArray();
        if (i.btfId() != 0) g.writeNumberField("btf_id", i.btfId());
        if (i.verifiedInsns() != 0) g.writeNumberField("verified_insns", i.verifiedInsns());
        pids(g, p.owners());
        g.writeArrayFieldStart("attached");
        for (Attachment a : p.attachments()) attachment(g, a);
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void map(JsonGenerator g, Inventory.Map m) throws IOException {
        MapInfo i = m.info();
        g.writeStartObject();
        g.writeNumberField("id", i.id());
        g.writeStringField("type", i.typeName());
        g.writeStringField("name", i.name());
        g.writeNumberField("flags", i.flags());
        g.writeNumberField("bytes_key", i.keySize());
        g.writeNumberField("bytes_value", i.valueSize());
        g.writeNumberField("max_entries", i.maxEntries());
        g.writeNumberField("bytes_memlock", m.memlock());
        g.writeBooleanField("frozen", m.frozen());
        if (i.btfId() != 0) g.writeNumberField("btf_id", i.btfId());
        g.writeArrayFieldStart("prog_ids");
        for (int p : m.programIds()) g.writeNumber(p);
        g.writeEndArray();
        pids(g, m.owners());
        g.writeEndObject();
    }

    private static void link(JsonGenerator g, Inventory.Link l) throws IOException {
        LinkInfo i = l.info();
        g.writeStartObject();
        g.writeNumberField("id", i.id());
        g.writeStringField("type", i.typeName());
        g.writeNumberField("prog_id", i.programId());
        switch (i.target()) {
            case LinkInfo.Xdp x -> g.writeNumberField("ifindex", x.ifindex());
            case LinkInfo.Tcx t -> {
                g.writeNumberField("ifindex", t.ifindex());
                g.writeStringField("attach_type", t.attachTypeName());
            }
            case LinkInfo.Netkit n -> {
                g.writeNumberField("ifindex", n.ifindex());
                g.writeStringField("attach_type", n.attachTypeName());
            }
            case LinkInfo.Cgroup c -> {
                g.writeNumberField("cgroup_id", c.cgroupId());
                g.writeStringField("attach_type", c.attachTypeName());
            }
            case LinkInfo.RawTracepoint r -> g.writeStringField("tp_name", r.name());
            case LinkInfo.PerfEvent p -> {
                g.writeStringField("event_type", p.eventType().name().toLowerCase());
                if (p.name() != null) g.writeStringField(p.eventType() == LinkInfo.PerfEventType.TRACEPOINT ? "tp_name" : "func_name", p.name());
            }
            case LinkInfo.Tracing t -> {
                g.writeStringField("attach_type", t.attachTypeName());
                g.writeNumberField("target_obj_id", t.targetObjectId());
                g.writeNumberField("target_btf_id", t.targetBtfId());
            }
            case LinkInfo.Netns n -> {
                g.writeNumberField("netns_ino", n.netnsInode());
                g.writeStringField("attach_type", n.attachTypeName());
            }
            case LinkInfo.Netfilter n -> {
                g.writeNumberField("pf", n.protocolFamily());
                g.writeNumberField("hooknum", n.hook());
                g.writeNumberField("prio", n.priority());
            }
            case LinkInfo.Iter it -> g.writeStringField("target_name", it.targetName());
            case LinkInfo.StructOps s -> g.writeNumberField("map_id", s.mapId());
            case LinkInfo.Sockmap s -> g.writeNumberField("map_id", s.mapId());
            case LinkInfo.KprobeMulti k -> g.writeNumberField("func_cnt", k.count());
            case LinkInfo.UprobeMulti u -> g.writeStringField("path", u.path());
            case LinkInfo.Unknown u -> { }
        }
        if (l.attachment() != null) {
            g.writeFieldName("attached");
            attachment(g, l.attachment());
        }
        pids(g, l.owners());
        g.writeEndObject();
    }

    static void attachment(JsonGenerator g, Attachment a) throws IOException {
        g.writeStartObject();
        g.writeStringField("hook", a.hook());
        if (a.target() != null) g.writeStringField("target", a.target());
        if (a.ifindex() != null) g.writeNumberField("ifindex", a.ifindex());
        if (a.netns() != null) g.writeStringField("netns", a.netns());
        if (a.mode() != null) g.writeStringField("mode", a.mode());
        if (a.position() != null) g.writeNumberField("position", a.position());
        if (a.of() != null) g.writeNumberField("of", a.of());
        if (a.linkId() != null) g.writeNumberField("link_id", a.linkId());
        if (a.detail() != null) g.writeStringField("detail", a.detail());
        g.writeStringField("text", a.describe());
        g.writeEndObject();
    }

    private static void pids(JsonGenerator g, List<Owners.Owner> owners) throws IOException {
        g.writeArrayFieldStart("pids");
        for (Owners.Owner o : owners) {
            g.writeStartObject();
            g.writeNumberField("pid", o.pid());
            g.writeStringField("comm", o.command());
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
