package io.packetlens.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Map;
import java.util.function.Supplier;

/** The {@code packetlens} command line: dispatches to one subcommand per job. */
@Command(name = "packetlens", mixinStandardHelpOptions = true, version = "packetlens 0.1.0",
        description = "eBPF packet inspection for Linux, in pure Java.",
        subcommands = {DemoCommand.class, AgentCommand.class, FlowsCommand.class, GuardCommand.class, ConntrackCommand.class, CountCommand.class, CaptureCommand.class,
                TrafficgenCommand.class, InspectCommand.class, TopCommand.class, DoctorCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Commands that start without the model of every other command: picocli reflects over all subcommands when it
     * builds the full command line (a few hundred classes, about 0.2 s), which would dominate a short command such as
     * `inspect map` or `doctor`. Their usage and errors are the same either way.
     */
    private static final Map<String, Supplier<Object>> QUICK = Map.of(
            "inspect", InspectCommand::new, "top", TopCommand::new, "doctor", DoctorCommand::new);

    /** The top level when only one quick command is built. */
    @Command(name = "packetlens", mixinStandardHelpOptions = true, version = "packetlens 0.1.0")
    static final class Quick implements Runnable {
        @Override
        public void run() {
        }
    }

    /** Runs the CLI and returns the exit code (tests call this). */
    public static int run(String... args) {
        java.util.OptionalInt dumped = InspectMapCommand.quick(args);
        if (dumped.isPresent()) return dumped.getAsInt();
        Supplier<Object> quick = args.length > 0 ? QUICK.get(args[0]) : null;
        CommandLine cl = quick != null ? new CommandLine(new Quick()).addSubcommand(quick.get()) : new CommandLine(new Main());
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
