package io.packetlens.ops.inspect;

import io.packetlens.ebpf.info.LinkInfo;
import io.packetlens.ebpf.info.MapInfo;
import io.packetlens.ebpf.info.Owners;
import io.packetlens.ebpf.info.ProgramInfo;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.stream.Collectors;

/** {@code inspect} for people: one block per program, map and link, bpftool-like. */
public final class InventoryText {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    private InventoryText() {}

    public static String render(Inventory inv, boolean programs, boolean maps, boolean links) {
        StringBuilder b = new StringBuilder();
        if (programs) {
            b.append("programs (").append(inv.programs().size()).append(")\n");
            for (Inventory.Program p : inv.programs()) program(b, p);
        }
        if (maps) {
            b.append(programs ? "\n" : "").append("maps (").append(inv.maps().size()).append(")\n");
            for (Inventory.Map m : inv.maps()) map(b, m);
        }
        if (links) {
            b.append(programs || maps ? "\n" : "").append("links (").append(inv.links().size()).append(")\n");
            for (Inventory.Link l : inv.links()) link(b, l);
        }
        b.append(String.format("%nkernel memory: %s in %d programs and %d maps%n", bytes(inv.totalMemlock()), inv.programs().size(), inv.maps().size()));
        for (String n : inv.notes()) b.append("note: ").append(n).append('\n');
        return b.toString();
    }

    private static void program(StringBuilder b, Inventory.Program p) {
        ProgramInfo i = p.info();
        b.append(String.format("%7d  %-15s %-16s tag %s  loaded %s  uid %d%n", i.id(), i.typeName(), i.name().isEmpty() ? "-" : i.name(),
                i.tag(), TIME.format(i.loadedAt()), i.createdByUid()));
        b.append(String.format("         xlated %s  %s  memlock %s", bytes(i.xlatedLength()), i.jited() ? "jited " + bytes(i.jitedLength()) : "not jited",
                bytes(p.memlock())));
        if (!i.mapIds().isEmpty()) b.append("  maps ").append(i.mapIds().stream().map(String::valueOf).collect(Collectors.joining(",")));
        if (i.btfId() != 0) b.append("  btf ").append(i.btfId());
        b.append('\n');
        if (i.runCount() > 0) {
            b.append(String.format("         runs %d  run time %d ns  (%.0f ns per run)%n", i.runCount(), i.runTimeNs(), i.averageRunNs()));
        }
        owners(b, p.owners());
        for (Attachment a : p.attachments()) b.append("         attached: ").append(a.describe()).append('\n');
    }

    private static void map(StringBuilder b, Inventory.Map m) {
        MapInfo i = m.info();
        b.append(String.format("%7d  %-15s %-16s key %s  value %s  max %d  flags 0x%x%n", i.id(), i.typeName(), i.name().isEmpty() ? "-" : i.name(),
                bytes(i.keySize()), bytes(i.valueSize()), i.maxEntries(), i.flags()));
        b.append("         memlock ").append(bytes(m.memlock()));
        if (m.frozen()) b.append("  frozen");
        if (i.btfId() != 0) b.append("  btf ").append(i.btfId());
        if (!m.programIds().isEmpty()) b.append("  programs ").append(m.programIds().stream().map(String::valueOf).collect(Collectors.joining(",")));
        b.append('\n');
        owners(b, m.owners());
    }

    private static void link(StringBuilder b, Inventory.Link l) {
        LinkInfo i = l.info();
        b.append(String.format("%7d  %-15s prog %d", i.id(), i.typeName(), i.programId()));
        if (l.attachment() != null) b.append("  ").append(l.attachment().describe());
        b.append('\n');
        owners(b, l.owners());
    }

    private static void owners(StringBuilder b, List<Owners.Owner> owners) {
        if (owners.isEmpty()) return;
        b.append("         pids ").append(owners.stream().map(o -> o.command() + "(" + o.pid() + ")").collect(Collectors.joining(", "))).append('\n');
    }

    static String bytes(long n) {
        if (n < 1024) return n + "B";
        if (n < 1024 * 1024) return String.format("%.1fKiB", n / 1024.0);
        return String.format("%.1fMiB", n / (1024.0 * 1024));
    }
}
