package io.packetlens.cli;

import io.packetlens.agent.AgentConfig;
import io.packetlens.agent.AgentConfigReader;
import io.packetlens.agent.InterfaceSpec;
import io.packetlens.config.ConfigException;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.ExporterSpec;
import io.packetlens.export.json.StdoutExporterFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code packetlens agent --config FILE}: runs everything the configuration names (the flow monitor on its interfaces,
 * the exporters, /metrics, alerts) until SIGTERM or Ctrl-C, as a service does; logs instead of drawing a view.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run the agent: everything the YAML configuration names (interfaces, flows, exporters, metrics, alerts).")
final class AgentCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "YAML configuration file (see docs/packetlens.example.yaml)")
    Path config;

    @Option(names = "--pin", paramLabel = "DIR", description = "pin kernel objects under DIR (bpffs) to survive restarts; overrides 'pin:'")
    Path pin;

    @Option(names = "--unpin", description = "end a pinned agent for good: detach, export everything counted, remove the pins, exit")
    boolean unpin;

    @Option(names = "--json", description = "also print finished flows as JSON lines on standard output, and the summary as JSON")
    boolean json;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run after attaching; 0 = until SIGTERM or Ctrl-C")
    int duration;

    @Option(names = "--debug-kernel", description = "log the debug prints of packetlens's kernel programs (bpf_printk, tagged with the program's name); off, they are compiled away; or debug-kernel: true in the configuration")
    boolean debugKernel;

    @Override
    public Integer call() throws Exception {
        AgentConfig c;
        try {
            c = AgentConfigReader.read(config);
            if (pin != null) c = c.withPin(pin.toAbsolutePath());
            if (debugKernel) c = c.withDebugKernel(true);
            if (json) c = c.plusExporter(new ExporterSpec("stdout", "stdout", ExporterSettings.defaults(), ctx -> StdoutExporterFactory.stdout(false, ctx)));
        } catch (ConfigException e) {
            throw new UserException("configuration error in " + config + ": " + e.getMessage());
        }
        if (c.interfaces().isEmpty()) throw new UserException("configuration error in " + config + ": interfaces: none given");
        if (unpin && c.pin() == null) throw new UserException("--unpin needs a pin directory ('pin:' in the configuration, or --pin DIR)");
        if (duration < 0) throw new UserException("--duration must be >= 0");
        if (!c.flows().fallback() || c.guard() != null) Privileges.requireNetworkBpf("agent"); // the guard has no fallback
        c = c.withFlows(c.flows().resolvePollInterval(false));
        AgentConsole console = new AgentConsole(System.out, json, false, false, c.flows().view());
        String banner = "packetlens agent: " + c.flows().hook().name().toLowerCase() + " on "
                + String.join(", ", c.interfaces().stream().map(InterfaceSpec::toString).toList())
                + ", " + c.exporters().size() + " exporter(s)" + (c.pin() != null ? ", pinned in " + c.pin() : "")
                + (unpin ? ": unpinning" : "");
        AgentRun.run(c, console, System.out, json, duration, unpin, banner);
        return 0;
    }
}
