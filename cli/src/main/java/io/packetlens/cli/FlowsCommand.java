package io.packetlens.cli;

import io.packetlens.flow.FlowClock;
import io.packetlens.monitor.FlowMonitor;
import io.packetlens.monitor.config.ConfigException;
import io.packetlens.monitor.config.ConfigReader;
import io.packetlens.monitor.config.MonitorConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.packetlens.flow.EventKind;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code packetlens flows}: the flow monitor on real interfaces. */
@Command(name = "flows", mixinStandardHelpOptions = true,
        description = "Watch flows on interfaces: live top view (or JSON lines), /metrics, flow log, alerts.")
final class FlowsCommand implements Callable<Integer> {
    @Option(names = {"-i", "--interface"}, description = "interface to watch (repeatable)")
    List<String> interfaces = List.of();

    @Option(names = "--hook", description = "xdp (ingress) or tc (ingress and egress)")
    String hook;

    @Option(names = "--json", description = "print finished flows as JSON lines instead of the live view")
    boolean json;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run; 0 = until Ctrl-C or SIGTERM")
    int duration;

    @Option(names = {"-c", "--config"}, description = "YAML configuration file (see docs/packetlens.example.yaml)")
    Path config;

    @Option(names = "--metrics", description = "serve /metrics on HOST:PORT (default 127.0.0.1:9464)")
    String metrics;

    @Option(names = "--no-metrics", description = "do not serve /metrics")
    boolean noMetrics;

    @Option(names = "--flow-log", description = "write finished flows as JSON lines to this file (rotated by size)")
    Path flowLog;

    @Option(names = "--active-timeout", description = "e.g. 60s")
    String activeTimeout;

    @Option(names = "--idle-timeout", description = "e.g. 15s")
    String idleTimeout;

    @Option(names = "--poll-interval", paramLabel = "DURATION",
            description = "how often the kernel flow table is read, e.g. 1s; default auto: 1s with the live view or alert rules, else 5s")
    String pollInterval;

    @Option(names = "--events", arity = "0..1", fallbackValue = "", paramLabel = "KINDS",
            description = "print kernel events: comma-separated new-flow, tcp, sample, overflow "
                    + "(without a value: those of the configuration, else new-flow,tcp); JSON lines {\"event\": ...} with --json")
    String events;

    @Option(names = "--sample-every", paramLabel = "N", description = "with --events: sample one packet in N with its first 128 bytes")
    Integer sampleEvery;

    @Override
    public Integer call() throws Exception {
        MonitorConfig c = configure().resolvePollInterval(!json);
        if (c.interfaces().isEmpty()) throw new UserException("no interface: give -i IFACE or 'interfaces:' in the configuration");
        if (duration < 0) throw new UserException("--duration must be >= 0");
        Privileges.requireNetworkBpf("flows");
        try (Shutdown shutdown = Shutdown.install();
             FlowMonitor monitor = shutdown.register(new FlowMonitor(c, FlowClock.system()))) {
            monitor.attachConfigured();
            if (!json) {
                System.out.printf("packetlens flows: %s on %s%n", c.hook().name().toLowerCase(Locale.ROOT), String.join(", ", c.interfaces()));
            }
            long end = duration == 0 ? Long.MAX_VALUE : System.nanoTime() + Duration.ofSeconds(duration).toNanos();
            // System.out flushes on every line: with one JSON line per flow, that is a write(2) per flow
            PrintStream out = json ? new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8) : System.out;
            new MonitorRunner(monitor, json, out, events != null).run(shutdown, () -> System.nanoTime() >= end);
            out.flush();
        }
        return 0;
    }

    /** The configuration file (if any) with the flags on top; errors name the key. */
    MonitorConfig configure() {
        try {
            MonitorConfig c = config != null ? ConfigReader.read(config) : MonitorConfig.defaults();
            if (!interfaces.isEmpty()) c = c.withInterfaces(interfaces);
            if (hook != null) {
                c = c.withHook(switch (hook.toLowerCase(Locale.ROOT)) {
                    case "xdp" -> MonitorConfig.Hook.XDP;
                    case "tc" -> MonitorConfig.Hook.TC;
                    default -> throw new ConfigException("--hook", "expected xdp or tc, got '" + hook + "'");
                });
            }
            if (noMetrics) c = c.withMetrics(null);
            else if (metrics != null) c = c.withMetrics(new MonitorConfig.Metrics(ConfigReader.parseAddress("--metrics", metrics)));
            if (flowLog != null) c = c.withFlowLog(new MonitorConfig.FlowLog(flowLog, MonitorConfig.FlowLog.DEFAULT_MAX_BYTES, MonitorConfig.FlowLog.DEFAULT_KEEP));
            if (pollInterval != null) {
                c = c.withPollInterval(pollInterval.equals("auto") ? null : ConfigReader.parseDuration("--poll-interval", pollInterval));
            }
            if (activeTimeout != null || idleTimeout != null) {
                c = c.withTimeouts(activeTimeout != null ? ConfigReader.parseDuration("--active-timeout", activeTimeout) : c.activeTimeout(),
                        idleTimeout != null ? ConfigReader.parseDuration("--idle-timeout", idleTimeout) : c.idleTimeout());
            }
            if (events != null || sampleEvery != null) c = withEvents(c);
            return c;
        } catch (ConfigException e) {
            throw new UserException("configuration error: " + e.getMessage());
        }
    }

    /** Applies --events and --sample-every on top of the configuration's events. */
    private MonitorConfig withEvents(MonitorConfig c) {
        Set<EventKind> kinds = EnumSet.noneOf(EventKind.class);
        if (events != null && !events.isBlank()) {
            for (String name : events.split(",")) {
                String n = name.trim().toLowerCase(Locale.ROOT);
                EventKind k = Arrays.stream(EventKind.values()).filter(e -> ConfigReader.eventName(e).equals(n)).findFirst()
                        .orElseThrow(() -> new ConfigException("--events", "expected new-flow, tcp, sample or overflow, got '" + name.trim() + "'"));
                kinds.add(k);
            }
        } else {
            kinds.addAll(c.events().isEmpty() ? EnumSet.of(EventKind.NEW_FLOW, EventKind.TCP) : c.events());
        }
        int every = c.sampleEvery();
        if (sampleEvery != null) {
            if (sampleEvery < 1) throw new ConfigException("--sample-every", "must be at least 1, got " + sampleEvery);
            every = sampleEvery;
            kinds.add(EventKind.SAMPLE);
        }
        if (kinds.contains(EventKind.SAMPLE) && every < 1) {
            throw new ConfigException("--sample-every", "required with the sample event: sample one packet in N");
        }
        return c.withEvents(kinds, kinds.contains(EventKind.SAMPLE) ? every : 0);
    }
}
