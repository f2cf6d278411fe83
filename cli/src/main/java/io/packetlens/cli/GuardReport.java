package io.packetlens.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.packetlens.agent.GuardSnapshot;
import io.packetlens.guard.Count;
import io.packetlens.guard.DropReason;
import io.packetlens.guard.GuardProgram;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * The guard's state for people and for programs: rule counters, passes and drops by reason, table fills, bans and the
 * sources dropped most; as text, or as one JSON object ({@code {"guard": ...}}).
 */
final class GuardReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GuardReport() {}

    static void print(PrintStream out, GuardSnapshot g, boolean json, boolean alone) {
        if (json) {
            out.println(JSON.createObjectNode().set("guard", toJson(g)));
            return;
        }
        out.printf("%sguard: ruleset generation %d%s; %d packets passed, %d dropped%s%n", alone ? "" : "\n", g.generation(),
                g.dryRun() ? " (dry run: nothing dropped)" : "", count(g, DropReason.PASSED).packets(), g.dropped(),
                g.reloadFailures() > 0 ? "; " + g.reloadFailures() + " reload(s) refused, last: " + g.lastError() : "");
        out.printf("  %-28s %14s %16s%n", "rule", "packets", "bytes");
        for (GuardProgram.RuleCount r : g.rules().rules()) {
            out.printf("  %-28s %14d %16d%n", r.name(), r.count().packets(), r.count().bytes());
        }
        out.println("  drops by reason:");
        for (Map.Entry<DropReason, Count> e : g.reasons().entrySet()) {
            if (e.getKey().isDrop() && e.getValue().packets() > 0) {
                out.printf("    %-28s %14d  %s%n", label(e.getKey()), e.getValue().packets(), e.getKey().description());
            }
        }
        out.print("  tables:");
        for (GuardProgram.TableFill t : g.tables()) out.printf(" %s %d/%d", t.table().replace("guard_", ""), t.entries(), t.capacity());
        out.println();
        long tracked = g.tracking().getOrDefault(io.packetlens.conntrack.ConntrackCounter.TRACKED, 0L);
        if (tracked > 0) {
            out.print("  state rules' tracker:");
            g.tracking().forEach((c, n) -> { if (n > 0) out.printf(" %s %d", c.name().toLowerCase(Locale.ROOT).replace('_', '-'), n); });
            out.println();
        }
        if (!g.bans().isEmpty()) {
            out.println("  bans:");
            for (GuardProgram.Ban b : g.bans()) out.printf("    %s/%d for %d s more%n", b.address().getHostAddress(), b.prefix(), b.remaining().toSeconds());
        }
        if (!g.topDropped().isEmpty()) {
            out.println("  sources dropped most:");
            for (GuardProgram.DroppedSource d : g.topDropped()) out.printf("    %-40s %12d packets%n", d.address().getHostAddress(), d.count().packets());
        }
        out.flush();
    }

    static ObjectNode toJson(GuardSnapshot g) {
        ObjectNode o = JSON.createObjectNode();
        o.put("generation", g.generation()).put("dryRun", g.dryRun()).put("passedPackets", count(g, DropReason.PASSED).packets())
                .put("droppedPackets", g.dropped()).put("reloads", g.reloads()).put("reloadFailures", g.reloadFailures());
        if (g.lastError() != null) o.put("lastError", g.lastError());
        ArrayNode rules = o.putArray("rules");
        for (GuardProgram.RuleCount r : g.rules().rules()) {
            rules.addObject().put("name", r.name()).put("priority", r.priority()).put("packets", r.count().packets()).put("bytes", r.count().bytes());
        }
        ObjectNode reasons = o.putObject("reasons");
        for (Map.Entry<DropReason, Count> e : g.reasons().entrySet()) reasons.put(label(e.getKey()), e.getValue().packets());
        ObjectNode tables = o.putObject("tables");
        for (GuardProgram.TableFill t : g.tables()) {
            tables.putObject(t.table().replace("guard_", "")).put("entries", t.entries()).put("capacity", t.capacity());
        }
        ObjectNode tracker = o.putObject("conntrack");
        g.tracking().forEach((c, n) -> tracker.put(c.name().toLowerCase(Locale.ROOT).replace('_', '-'), n));
        ArrayNode bans = o.putArray("bans");
        for (GuardProgram.Ban b : g.bans()) {
            bans.addObject().put("source", b.address().getHostAddress()).put("prefix", b.prefix()).put("remainingSeconds", b.remaining().toSeconds());
        }
        ArrayNode top = o.putArray("topDroppedSources");
        for (GuardProgram.DroppedSource d : g.topDropped()) {
            top.addObject().put("source", d.address().getHostAddress()).put("packets", d.count().packets()).put("bytes", d.count().bytes());
        }
        return o;
    }

    private static Count count(GuardSnapshot g, DropReason r) {
        return g.reasons().getOrDefault(r, Count.ZERO);
    }

    static String label(DropReason r) {
        return r.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
