package io.packetlens.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code packetlens} command line: dispatches to one subcommand per job. */
@Command(name = "packetlens", mixinStandardHelpOptions = true, version = "packetlens 0.1.0",
        description = "eBPF packet inspection for Linux, in pure Java.",
        subcommands = {DemoCommand.class, AgentCommand.class, FlowsCommand.class, GuardCommand.class, CountCommand.class, CaptureCommand.class,
                TrafficgenCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (tests call this). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        // one parser for XDP modes everywhere, with the aliases people use (native, skb ...)
        cl.registerConverter(io.packetlens.ebpf.link.XdpMode.class, s -> {
            try {
                return io.packetlens.ebpf.link.XdpMode.parse(s);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        });
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
