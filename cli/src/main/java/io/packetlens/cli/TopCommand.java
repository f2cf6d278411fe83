package io.packetlens.cli;

import io.packetlens.ebpf.info.BpfStats;
import io.packetlens.ops.top.TopSampler;
import io.packetlens.ops.top.TopView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code packetlens top}: every BPF program's runs per second, ns per run and CPU share, like bpftop. */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"A live view of every BPF program's runs per second, nanoseconds per run and CPU%% (of one CPU, as top",
                "shows it), from the kernel's run-time statistics, which are on while this runs (BPF_ENABLE_STATS)."})
final class TopCommand implements Callable<Integer> {
    @Option(names = "--interval", defaultValue = "1s", description = "time between samples, e.g. 1s, 500ms (default 1s)")
    String interval;

    @Option(names = "--count", defaultValue = "0", description = "samples to show, then exit; 0 = until Ctrl-C")
    int count;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run; 0 = until Ctrl-C or --count")
    int duration;

    @Option(names = "--json", description = "one JSON object per interval (JSON lines)")
    boolean json;

    @Option(names = "--limit", defaultValue = "25", description = "rows shown in the table (0 = all)")
    int limit;

    @Option(names = "--id", split = ",", description = "only these program ids")
    List<Integer> ids;

    @Option(names = "--name", description = "only programs whose name contains this")
    String name;

    @Override
    public Integer call() throws Exception {
        Privileges.requireSysAdmin("top", "turning on run-time statistics (BPF_ENABLE_STATS) and listing every program");
        long intervalMillis = parseMillis(interval);
        TopSampler sampler = new TopSampler(p -> (ids == null || ids.contains(p.id())) && (name == null || p.name().contains(name)));
        boolean tty = System.console() != null && !json;
        long end = duration > 0 ? System.nanoTime() + duration * 1_000_000_000L : Long.MAX_VALUE;
        try (Shutdown shutdown = Shutdown.install(); BpfStats stats = shutdown.register(BpfStats.enable())) {
            sampler.sample(); // the baseline
            int shown = 0;
            while (!shutdown.requested() && (count == 0 || shown < count) && System.nanoTime() < end) {
                shutdown.sleep(intervalMillis);
                if (shutdown.requested()) break;
                TopSampler.Sample s = sampler.sample();
                shown++;
                if (json) {
                    System.out.println(TopView.json(s, stats.isOpen()));
                } else {
                    String header = String.format("packetlens top: %d programs, statistics on while this runs, %s interval, %s",
                            s.rows().size(), Duration.ofNanos(s.intervalNs()).toMillis() + " ms", s.at());
                    if (tty) System.out.print("\033[H\033[2J");
                    System.out.print(TopView.table(s, limit, header));
                    if (!tty) System.out.println();
                }
                System.out.flush();
            }
        }
        return 0;
    }

    /** "1s", "500ms", "2m", or plain seconds. */
    static long parseMillis(String s) {
        String t = s.strip().toLowerCase();
        try {
            if (t.endsWith("ms")) return positive(Long.parseLong(t.substring(0, t.length() - 2)), s);
            if (t.endsWith("s")) return positive(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000), s);
            if (t.endsWith("m")) return positive(Long.parseLong(t.substring(0, t.length() - 1)) * 60_000, s);
            return positive(Math.round(Double.parseDouble(t) * 1000), s);
        } catch (NumberFormatException e) {
            throw new UserException("--interval: '" + s + "' is not a duration (e.g. 1s, 500ms)");
        }
    }

    private static long positive(long ms, String s) {
        if (ms < 10) throw new UserException("--interval: '" + s + "' is too short (at least 10ms)");
        return ms;
    }
}
