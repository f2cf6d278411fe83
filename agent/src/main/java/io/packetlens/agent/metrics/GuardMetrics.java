package io.packetlens.agent.metrics;

import io.packetlens.agent.AgentSnapshot;
import io.packetlens.agent.GuardSnapshot;
import io.packetlens.guard.Count;
import io.packetlens.guard.DropReason;
import io.packetlens.guard.GuardProgram;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The guard's metrics: packets and bytes per rule of the active ruleset, every reason counter (passes, drops by
 * reason, fragments, buckets, bans, samples), bans and rate-limited sources now, table fills, the tracker's counters, the ruleset generation
 * and reloads. Registered only when the agent runs a guard.
 */
final class GuardMetrics {
    private GuardMetrics() {}

    static void register(PrometheusRegistry registry, Supplier<AgentSnapshot> snapshots) {
        Supplier<GuardSnapshot> g = () -> snapshots.get().guard();
        CounterWithCallback.builder().name("packetlens_guard_rule_packets").help("Packets that matched a rule of the active ruleset")
                .labelNames("rule").callback(cb -> each(g, s -> s.rules().rules().forEach(r -> cb.call(r.count().packets(), r.name())))).register(registry);
        CounterWithCallback.builder().name("packetlens_guard_rule_bytes").help("Bytes (whole frames) that matched a rule of the active ruleset")
                .labelNames("rule").callback(cb -> each(g, s -> s.rules().rules().forEach(r -> cb.call(r.count().bytes(), r.name())))).register(registry);
        CounterWithCallback.builder().name("packetlens_guard_packets")
                .help("The guard's counters by reason: passed, dropped, and each drop reason, fragment, bucket, ban and sample count")
                .labelNames("reason", "drop").callback(cb -> each(g, s -> {
                    for (Map.Entry<DropReason, Count> e : s.reasons().entrySet()) {
                        cb.call(e.getValue().packets(), e.getKey().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                                Boolean.toString(e.getKey().isDrop()));
                    }
                })).register(registry);
        GaugeWithCallback.builder().name("packetlens_guard_bans").help("Sources banned now")
                .callback(cb -> each(g, s -> cb.call(s.bans().size()))).register(registry);
        GaugeWithCallback.builder().name("packetlens_guard_rate_limited_sources").help("Sources (or source prefixes) with a rate-limit bucket now")
                .callback(cb -> each(g, s -> s.tables().stream().filter(t -> t.table().equals("guard_buckets"))
                        .forEach(t -> cb.call(t.entries())))).register(registry);
        GaugeWithCallback.builder().name("packetlens_guard_table_entries").help("Entries in a guard table now")
                .labelNames("table").callback(cb -> each(g, s -> s.tables().forEach(t -> cb.call(t.entries(), label(t))))).register(registry);
        GaugeWithCallback.builder().name("packetlens_guard_table_capacity").help("Entries a guard table holds")
                .labelNames("table").callback(cb -> each(g, s -> s.tables().forEach(t -> cb.call(t.capacity(), label(t))))).register(registry);
        CounterWithCallback.builder().name("packetlens_guard_conntrack")
                .help("The connection tracker of state rules: packets tracked, connections created, table full (a connection not tracked), invalid, ...")
                .labelNames("counter").callback(cb -> each(g, s -> s.tracking().forEach((c, n) ->
                        cb.call(n, c.name().toLowerCase(Locale.ROOT).replace('_', '-'))))).register(registry);
        GaugeWithCallback.builder().name("packetlens_guard_generation").help("Generation of the ruleset in force")
                .callback(cb -> each(g, s -> cb.call(s.generation()))).register(registry);
        CounterWithCallback.builder().name("packetlens_guard_reload_failures").help("Rules files or rulesets refused (the rules in force stayed)")
                .callback(cb -> each(g, s -> cb.call(s.reloadFailures()))).register(registry);
    }

    private static String label(GuardProgram.TableFill t) {
        return t.table().replace("guard_", "");
    }

    private static void each(Supplier<GuardSnapshot> g, Consumer<GuardSnapshot> c) {
        GuardSnapshot s = g.get();
        if (s != null) c.accept(s);
    }
}
