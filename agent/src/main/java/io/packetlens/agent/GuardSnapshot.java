package io.packetlens.agent;

import io.packetlens.conntrack.ConntrackCounter;
import io.packetlens.guard.Count;
import io.packetlens.guard.DropReason;
import io.packetlens.guard.GuardProgram;

import java.util.List;
import java.util.Map;

/**
 * The guard's part of the read model: the active ruleset's generation and rule counters, every reason counter,
 * table fills, bans, the sources dropped most, the state rules' connection tracking, and how reloads went.
 *
 * @param tracking       the connection tracker's counters of state rules (empty without a tracker)
 * @param reloads        rulesets installed since the agent started (the first one included)
 * @param reloadFailures rules files or rulesets refused (the rules in force stayed)
 * @param lastError      why the last refused reload was refused, or null
 */
public record GuardSnapshot(long generation, boolean dryRun, GuardProgram.RuleCounters rules, Map<DropReason, Count> reasons,
                            List<GuardProgram.TableFill> tables, List<GuardProgram.Ban> bans,
                            List<GuardProgram.DroppedSource> topDropped, Map<ConntrackCounter, Long> tracking, long reloads, long reloadFailures, String lastError) {
    public GuardSnapshot {
        reasons = Map.copyOf(reasons);
        tables = List.copyOf(tables);
        bans = List.copyOf(bans);
        topDropped = List.copyOf(topDropped);
        tracking = Map.copyOf(tracking);
    }

    /** Packets dropped for any reason (in a dry run: that would have been). */
    public long dropped() {
        return reasons.getOrDefault(DropReason.DROPPED, Count.ZERO).packets();
    }
}
