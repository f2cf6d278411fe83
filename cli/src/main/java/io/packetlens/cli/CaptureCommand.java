package io.packetlens.cli;

import io.packetlens.capture.Capture;
import io.packetlens.capture.CaptureOptions;
import io.packetlens.capture.CaptureStats;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.xsk.BindMode;
import io.packetlens.programs.capture.CaptureMode;
import io.packetlens.programs.filter.CaptureFilter;
import io.packetlens.programs.filter.FilterSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code packetlens capture -i IFACE -w FILE.pcapng [FILTER...]}: capture at XDP into pcapng. */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = {"Capture packets at XDP into a pcapng file (nanosecond timestamps, drop counts).",
                "Modes: mirror (default) copies each matching frame through a BPF ring buffer and passes it on, so the host's "
                        + "traffic keeps working; steal redirects matching frames into AF_XDP sockets (one per RX queue) and the "
                        + "host never sees them: for dedicated capture interfaces.",
                "FILTER: ip, ip6, tcp, udp, icmp, icmp6, sctp, gre, proto N, [src|dst] host ADDR, [src|dst] net ADDR/LEN, "
                        + "[src|dst] port N; or between terms of one kind, and between kinds (e.g. 'udp port 53 or port 5353')."})
final class CaptureCommand implements Callable<Integer> {
    @Option(names = {"-i", "--interface"}, required = true, description = "interface to capture on")
    String iface;

    @Option(names = {"-w", "--write"}, required = true, description = "pcapng file to write")
    Path file;

    @Option(names = {"-c", "--count"}, defaultValue = "0", description = "stop after this many packets (0 = no limit)")
    long count;

    @Option(names = "--duration", defaultValue = "0", description = "stop after this many seconds (0 = until Ctrl-C)")
    long duration;

    @Option(names = "--mode", defaultValue = "mirror", description = "mirror (default, safe) or steal")
    CaptureMode mode;

    @Option(names = {"-s", "--snaplen"}, defaultValue = "65535", description = "bytes kept per packet (mirror mode copies at most 4096)")
    int snaplen;

    @Option(names = "--xdp-mode", defaultValue = "auto", description = "XDP attach mode: auto (driver, else generic), driver, generic")
    XdpMode xdpMode;

    @Option(names = "--bind", defaultValue = "auto", description = "steal mode AF_XDP binding: auto, copy, zerocopy")
    String bind;

    @Option(names = "--no-fallback", description = "fail when the capture program cannot be loaded or attached, instead of "
            + "warning and capturing from an AF_PACKET ring (docs/FALLBACK.md)")
    boolean noFallback;

    @Parameters(arity = "0..*", paramLabel = "FILTER", description = "capture filter words")
    List<String> filterWords = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        CaptureMode m = mode;
        XdpMode x = xdpMode;
        BindMode b = switch (bind.toLowerCase()) {
            case "auto" -> BindMode.AUTO;
            case "copy" -> BindMode.COPY;
            case "zerocopy", "zero-copy" -> BindMode.ZEROCOPY;
            default -> throw new UserException("--bind must be auto, copy or zerocopy, not '" + bind + "'");
        };
        if (count < 0 || duration < 0 || snaplen < 1) throw new UserException("--count and --duration must be >= 0, --snaplen >= 1");
        CaptureFilter filter;
        try {
            filter = CaptureFilter.parse(filterWords);
        } catch (FilterSyntaxException e) {
            throw new UserException("filter: " + e.getMessage());
        }
        if (noFallback) Privileges.requireNetworkBpf("capture"); // with the fallback, missing BPF privileges are what it stands in for
        CaptureOptions opts = CaptureOptions.of(iface).mode(m).filter(filter).snaplen(snaplen).xdpMode(x).bindMode(b).fallback(!noFallback);
        try (Shutdown shutdown = Shutdown.install(); Capture cap = shutdown.register(Capture.open(opts, file))) {
            if (cap.fallback()) {
                System.err.printf("packetlens capture: FALLBACK from an AF_PACKET ring on %s (see the warning), filter: %s; writing %s%s%n",
                        iface, filter, file, count == 0 && duration == 0 ? "; Ctrl-C to stop" : "");
            } else {
                System.err.printf("packetlens capture: %s mode on %s (XDP %s%s), filter: %s; writing %s%s%n", m.name().toLowerCase(), iface,
                        cap.xdpMode().name().toLowerCase(), m == CaptureMode.STEAL ? ", " + cap.queues() + " queue(s), "
                                + (cap.zeroCopy() ? "zero-copy" : "copy mode") : "",
                        filter, file, count == 0 && duration == 0 ? "; Ctrl-C to stop" : "");
            }
            long start = System.nanoTime();
            cap.run(count, duration == 0 ? null : Duration.ofSeconds(duration), shutdown::requested);
            double secs = (System.nanoTime() - start) / 1e9;
            CaptureStats s = cap.stats();
            System.err.printf("%d packets captured in %.1f s (%.0f/s), %d seen by the %s, %d matched the filter, %d dropped%s%n",
                    s.written(), secs, s.written() / Math.max(secs, 1e-9), s.seen(), cap.fallback() ? "AF_PACKET ring" : "program",
                    s.matched(), s.dropped(),
                    s.missed() > 0 ? ", " + s.missed() + " on queues without a socket" : "");
        }
        return 0;
    }
}
