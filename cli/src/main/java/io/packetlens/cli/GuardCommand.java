package io.packetlens.cli;

import io.packetlens.agent.AgentConfig;
import io.packetlens.agent.GuardConfig;
import io.packetlens.agent.GuardSnapshot;
import io.packetlens.config.ConfigException;
import io.packetlens.config.ConfigValues;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.guard.GuardProgram;
import io.packetlens.guard.GuardView;
import io.packetlens.guard.rules.RuleSet;
import io.packetlens.guard.rules.RulesReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code packetlens guard}: the XDP firewall on interfaces, as an agent that runs nothing else. It keeps running to
 * reload the rules file on change and on SIGHUP; when it ends, the (pinned) rules stay in force until
 * {@code packetlens guard stop}. {@code guard status} reads a pinned guard's counters from any process.
 */
@Command(name = "guard", mixinStandardHelpOptions = true,
        description = "Run the XDP firewall and DDoS shield on interfaces with a rules file (docs/guard.example.yaml).",
        subcommands = {GuardCommand.Status.class, GuardCommand.Stop.class})
final class GuardCommand implements Callable<Integer> {
    @Option(names = {"-i", "--interface"}, description = "interface to guard (repeatable; NAME or NETNS/NAME)")
    List<String> interfaces = List.of();

    @Option(names = {"-r", "--rules"}, description = "the rules file (YAML); reloaded when it changes and on SIGHUP")
    Path rules;

    @Option(names = "--dry-run", description = "evaluate and count everything, drop nothing")
    boolean dryRun;

    @Option(names = "--hook", defaultValue = "xdp", description = "xdp (default) or tc (ingress)")
    String hook;

    @Option(names = "--mode", defaultValue = "auto", description = "XDP mode: auto, driver or generic")
    XdpMode mode;

    @Option(names = "--process-scoped", description = "detach when this process ends (by default the rules stay in force, pinned)")
    boolean processScoped;

    @Option(names = "--pin", paramLabel = "DIR", description = "the agent's pin directory (bpffs); the guard pins under DIR/guard "
            + "(default " + "/sys/fs/bpf/packetlens/guard)")
    Path pin;

    @Option(names = "--sample-every", paramLabel = "N", defaultValue = "0", description = "sample one drop in N as an event")
    int sampleEvery;

    @Option(names = "--metrics", description = "serve /metrics on HOST:PORT (default 127.0.0.1:9464)")
    String metrics;

    @Option(names = "--no-metrics", description = "do not serve /metrics")
    boolean noMetrics;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run after attaching; 0 = until Ctrl-C or SIGTERM")
    int duration;

    @Option(names = "--json", description = "print the final state as JSON")
    boolean json;

    @Option(names = "--debug-kernel", description = "log the debug prints of packetlens's kernel programs (bpf_printk, tagged with the program's name); off, they are compiled away")
    boolean debugKernel;

    @Override
    public Integer call() throws Exception {
        if (interfaces.isEmpty()) throw new UserException("no interface: give -i IFACE");
        if (rules == null) throw new UserException("no rules: give --rules FILE (see docs/guard.example.yaml)");
        if (duration < 0) throw new UserException("--duration must be >= 0");
        AgentConfig c;
        try {
            RuleSet rs = RulesReader.read(rules);
            GuardProgram.Hook h = switch (hook) {
                case "xdp" -> GuardProgram.Hook.XDP;
                case "tc" -> GuardProgram.Hook.TC_INGRESS;
                default -> throw new ConfigException("--hook", "expected xdp or tc, got '" + hook + "'");
            };
            if (sampleEvery < 0) throw new ConfigException("--sample-every", "must be >= 0");
            GuardConfig g = new GuardConfig(interfaces.stream().map(FlowsCommand::interfaceSpec).toList(), h, mode,
                    rules.toAbsolutePath(), rs, dryRun, processScoped, sampleEvery);
            c = AgentConfig.defaults().withFlowsEnabled(false).withGuard(g).withPin(pin == null ? null : pin.toAbsolutePath())
                    .withDebugKernel(debugKernel);
            if (noMetrics) c = c.withMetrics(null);
            else if (metrics != null) c = c.withMetrics(ConfigValues.resolvedAddress("--metrics", metrics, true));
        } catch (ConfigException e) {
            throw new UserException("rules error in " + rules + ": " + e.getMessage());
        }
        Privileges.requireNetworkBpf("guard");
        AgentConsole console = new AgentConsole(System.out, json, false, false, c.flows().view());
        String banner = "packetlens guard: " + hook + " on " + String.join(", ", interfaces) + ", " + c.guard().rules().rules().size()
                + " rule(s) from " + rules + (dryRun ? " (dry run)" : "") + (processScoped ? "" : "; pinned in " + c.guardPin());
        AgentRun.run(c, console, System.out, json, duration, false, banner);
        if (!processScoped && !json) {
            System.out.println("the guard stays in force (pinned in " + c.guardPin() + "); `packetlens guard stop` removes it");
        }
        return 0;
    }

    static Path guardPin(Path pin) {
        return pin == null ? GuardConfig.DEFAULT_PIN : pin.toAbsolutePath().resolve(AgentConfig.GUARD_PIN);
    }

    /** {@code packetlens guard status}: a pinned guard's rule counters, drops by reason, tables, bans and top dropped sources. */
    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show a pinned guard's counters, bans and top dropped sources.")
    static final class Status implements Callable<Integer> {
        @Option(names = "--pin", paramLabel = "DIR", description = "the agent's pin directory (default: the guard's own, /sys/fs/bpf/packetlens/guard)")
        Path pin;

        @Option(names = "--json", description = "one JSON object")
        boolean json;

        @Override
        public Integer call() {
            Privileges.requireNetworkBpf("guard status");
            try (GuardView v = GuardView.openPinned(guardPin(pin))) {
                long[] a = v.active();
                GuardSnapshot s = new GuardSnapshot(a[1], v.dryRun(), v.ruleCounters(), v.reasons(), v.tables(), v.bans(),
                        v.topDroppedSources(10), v.connectionCounters(), 0, 0, null);
                GuardReport.print(System.out, s, json, true);
            }
            return 0;
        }
    }

    /** {@code packetlens guard stop}: removes a pinned guard (detaches it, removes its pins). */
    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Remove a pinned guard: detach it and remove its pins.")
    static final class Stop implements Callable<Integer> {
        @Option(names = "--pin", paramLabel = "DIR", description = "the agent's pin directory (default: the guard's own)")
        Path pin;

        @Override
        public Integer call() {
            Privileges.requireNetworkBpf("guard stop");
            Path dir = guardPin(pin);
            int n = GuardProgram.removePinned(dir, pin == null ? io.packetlens.ebpf.link.XdpChain.DEFAULT_ROOT : pin.toAbsolutePath().resolve("xdp"));
            if (n == 0) throw new UserException("no guard is pinned in " + dir);
            System.out.println("guard removed: " + n + " pins in " + dir + " (links detached)");
            return 0;
        }
    }
}
