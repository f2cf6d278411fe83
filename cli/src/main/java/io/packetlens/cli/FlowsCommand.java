package io.packetlens.cli;

import io.packetlens.agent.AgentConfig;
import io.packetlens.agent.AgentConfigReader;
import io.packetlens.agent.InterfaceSpec;
import io.packetlens.config.ConfigException;
import io.packetlens.config.ConfigNode;
import io.packetlens.config.ConfigValues;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.ExporterSpec;
import io.packetlens.export.json.FileExporter;
import io.packetlens.export.json.StdoutExporterFactory;
import io.packetlens.flow.EventKind;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.packet.Decapsulation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code packetlens flows}: the flow monitor on real interfaces, a thin command over the agent. */
@Command(name = "flows", mixinStandardHelpOptions = true,
        description = "Watch flows on interfaces: live top view (or JSON lines), /metrics, exporters, alerts.")
final class FlowsCommand implements Callable<Integer> {
    @Option(names = {"-i", "--interface"}, description = "interface to watch (repeatable; NAME or NETNS/NAME)")
    List<String> interfaces = List.of();

    @Option(names = "--hook", description = "xdp (ingress) or tc (ingress and egress)")
    String hook;

    @Option(names = "--json", description = "print finished flows as JSON lines instead of the live view")
    boolean json;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run after attaching; 0 = until Ctrl-C or SIGTERM")
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

    @Option(names = "--pin", paramLabel = "DIR",
            description = "pin the flow table, counters and links under DIR (bpffs): a restarted agent carries on counting")
    Path pin;

    @Option(names = "--events", arity = "0..1", fallbackValue = "", paramLabel = "KINDS",
            description = "print kernel events: comma-separated new-flow, tcp, sample, overflow "
                    + "(without a value: those of the configuration, else new-flow,tcp); JSON lines {\"event\": ...} with --json")
    String events;

    @Option(names = "--sample-every", paramLabel = "N", description = "with --events: sample one packet in N with its first 128 bytes")
    Integer sampleEvery;

    @Option(names = "--debug-kernel", description = "log the debug prints of packetlens's kernel programs (bpf_printk, tagged with the program's name); off, they are compiled away")
    boolean debugKernel;

    @Option(names = "--no-fallback", description = "fail when the flow program cannot be loaded or attached, instead of warning "
            + "and counting from AF_PACKET in user space (docs/FALLBACK.md)")
    boolean noFallback;

    @Option(names = "--outer-only", description = "account tunnelled packets (VXLAN, GRE, IP in IP) by their outer header, "
            + "not as the flows inside them")
    boolean outerOnly;

    @Option(names = "--vxlan-port", paramLabel = "PORT",
            description = "a UDP port that carries VXLAN (repeatable, at most 4); replaces the default 4789")
    List<Integer> vxlanPorts = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        AgentConfig c = configure();
        if (c.interfaces().isEmpty()) throw new UserException("no interface: give -i IFACE or 'interfaces:' in the configuration");
        if (duration < 0) throw new UserException("--duration must be >= 0");
        // with the fallback, missing BPF privileges are one of the failures it stands in for (the warning names them)
        if (!c.flows().fallback()) Privileges.requireNetworkBpf("flows");
        AgentConsole console = new AgentConsole(System.out, json, true, events != null, c.flows().view());
        String banner = "packetlens flows: " + c.flows().hook().name().toLowerCase(Locale.ROOT) + " on "
                + String.join(", ", c.interfaces().stream().map(InterfaceSpec::toString).toList());
        AgentRun.run(c, console, System.out, json, duration, false, banner);
        return 0;
    }

    /** The configuration file (if any) with the flags on top; errors name the key or flag. */
    AgentConfig configure() {
        try {
            AgentConfig c = config != null ? AgentConfigReader.read(config) : AgentConfig.defaults();
            if (!interfaces.isEmpty()) c = c.withInterfaces(interfaces.stream().map(FlowsCommand::interfaceSpec).toList());
            MonitorConfig f = c.flows();
            if (hook != null) {
                f = f.withHook(switch (hook.toLowerCase(Locale.ROOT)) {
                    case "xdp" -> MonitorConfig.Hook.XDP;
                    case "tc" -> MonitorConfig.Hook.TC;
                    default -> throw new ConfigException("--hook", "expected xdp or tc, got '" + hook + "'");
                });
            }
            if (pollInterval != null) {
                f = f.withPollInterval(pollInterval.equals("auto") ? null : ConfigValues.duration("--poll-interval", pollInterval));
            }
            if (activeTimeout != null || idleTimeout != null) {
                f = f.withTimeouts(activeTimeout != null ? ConfigValues.duration("--active-timeout", activeTimeout) : f.activeTimeout(),
                        idleTimeout != null ? ConfigValues.duration("--idle-timeout", idleTimeout) : f.idleTimeout());
            }
            if (events != null || sampleEvery != null) f = withEvents(f);
            if (noFallback) f = f.withFallback(false);
            if (outerOnly || !vxlanPorts.isEmpty()) f = f.withDecapsulation(decapsulation(f.decapsulation()));
            c = c.withFlows(f.resolvePollInterval(!json));
            if (noMetrics) c = c.withMetrics(null);
            else if (metrics != null) c = c.withMetrics(ConfigValues.resolvedAddress("--metrics", metrics, true));
            if (pin != null) c = c.withPin(pin.toAbsolutePath());
            if (debugKernel) c = c.withDebugKernel(true);
            if (flowLog != null) {
                Path log = flowLog;
                c = c.plusExporter(new ExporterSpec("flow-log", "file", ExporterSettings.defaults(),
                        ctx -> new FileExporter(log, FileExporter.DEFAULT_MAX_BYTES, FileExporter.DEFAULT_KEEP, false, ctx)));
            }
            if (json) {
                boolean ev = events != null;
                c = c.plusExporter(new ExporterSpec("stdout", "stdout", ExporterSettings.defaults(), ctx -> StdoutExporterFactory.stdout(ev, ctx)));
            }
            return c;
        } catch (ConfigException e) {
            throw new UserException("configuration error: " + e.getMessage());
        }
    }

    /** Applies --outer-only and --vxlan-port on top of the configuration's {@code flows.tunnels}. */
    private Decapsulation decapsulation(Decapsulation base) {
        List<Integer> ports = vxlanPorts.isEmpty() ? base.vxlanPorts() : List.copyOf(new java.util.LinkedHashSet<>(vxlanPorts));
        try {
            return new Decapsulation(base.enabled() && !outerOnly, ports);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--vxlan-port", e.getMessage());
        }
    }

    /** {@code NAME}, or {@code NETNS/NAME} for an interface in a named network namespace. */
    static InterfaceSpec interfaceSpec(String text) {
        int slash = text.lastIndexOf('/');
        if (slash < 0) return InterfaceSpec.of(text);
        if (slash == 0 || slash == text.length() - 1) throw new ConfigException("--interface", "expected NAME or NETNS/NAME, got '" + text + "'");
        return new InterfaceSpec(text.substring(slash + 1), text.substring(0, slash));
    }

    /** Applies --events and --sample-every on top of the configuration's events. */
    private MonitorConfig withEvents(MonitorConfig c) {
        Set<EventKind> kinds = EnumSet.noneOf(EventKind.class);
        if (events != null && !events.isBlank()) {
            for (String name : events.split(",")) {
                String n = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
                try {
                    kinds.add(EventKind.valueOf(n));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("--events", "expected " + String.join(", ", ConfigNode.names(EventKind.class)) + ", got '" + name.trim() + "'");
                }
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
