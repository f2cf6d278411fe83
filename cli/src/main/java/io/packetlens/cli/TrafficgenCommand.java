package io.packetlens.cli;

import io.packetlens.ebpf.xsk.BindMode;
import io.packetlens.packet.FlowFrames;
import io.packetlens.trafficgen.InterfaceMac;
import io.packetlens.trafficgen.TrafficGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.util.concurrent.Callable;

/** {@code packetlens trafficgen -i IFACE --count N}: crafted UDP/TCP frames over F flows through AF_XDP TX. */
@Command(name = "trafficgen", mixinStandardHelpOptions = true,
        description = {"Send crafted IPv4 UDP or TCP frames over F flows out of an interface through an AF_XDP TX ring, "
                + "as fast as the path takes them (or at --rate). Back-pressure (full rings, EAGAIN, ENOBUFS) is waited out, never fatal.",
                "Flow i uses source port 1024 + i mod 64512 and destination port --dst-port + i / 64512."})
final class TrafficgenCommand implements Callable<Integer> {
    @Option(names = {"-i", "--interface"}, required = true, description = "interface to send on")
    String iface;

    @Option(names = "--count", required = true, description = "frames to send")
    long count;

    @Option(names = "--flows", defaultValue = "1", description = "distinct flows (default ${DEFAULT-VALUE})")
    int flows;

    @Option(names = "--size", defaultValue = "60", description = "frame size in bytes without the FCS (default ${DEFAULT-VALUE}: a minimal 64-byte frame on the wire)")
    int size;

    @Option(names = "--rate", defaultValue = "0", description = "frames per second; 0 = as fast as possible")
    long rate;

    @Option(names = "--proto", defaultValue = "udp", description = "udp or tcp")
    String proto;

    @Option(names = "--src-ip", defaultValue = "10.0.0.1", description = "source IPv4 address")
    String srcIp;

    @Option(names = "--dst-ip", defaultValue = "10.0.0.2", description = "destination IPv4 address")
    String dstIp;

    @Option(names = "--src-mac", description = "source MAC (default: the interface's)")
    String srcMac;

    @Option(names = "--dst-mac", defaultValue = "ff:ff:ff:ff:ff:ff", description = "destination MAC (default broadcast)")
    String dstMac;

    @Option(names = "--dst-port", defaultValue = "9", description = "first destination port (default ${DEFAULT-VALUE}, discard)")
    int dstPort;

    @Option(names = "--queue", defaultValue = "0", description = "TX queue to bind to")
    int queue;

    @Option(names = "--bind", defaultValue = "auto", description = "AF_XDP binding: auto, copy, zerocopy")
    String bind;

    @Override
    public Integer call() throws Exception {
        if (count <= 0) throw new UserException("--count must be > 0");
        if (rate < 0) throw new UserException("--rate must be >= 0");
        FlowFrames.Protocol p = switch (proto.toLowerCase()) {
            case "udp" -> FlowFrames.Protocol.UDP;
            case "tcp" -> FlowFrames.Protocol.TCP;
            default -> throw new UserException("--proto must be udp or tcp, not '" + proto + "'");
        };
        BindMode b = switch (bind.toLowerCase()) {
            case "auto" -> BindMode.AUTO;
            case "copy" -> BindMode.COPY;
            case "zerocopy", "zero-copy" -> BindMode.ZEROCOPY;
            default -> throw new UserException("--bind must be auto, copy or zerocopy, not '" + bind + "'");
        };
        FlowFrames frames;
        try {
            frames = new FlowFrames(p, size, flows,
                    srcMac != null ? InterfaceMac.parse(srcMac) : InterfaceMac.of(iface), InterfaceMac.parse(dstMac),
                    InetAddress.ofLiteral(srcIp), InetAddress.ofLiteral(dstIp), dstPort);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        } catch (io.packetlens.ebpf.BpfException e) {
            throw new UserException("no network interface named '" + iface + "' here (" + e.getMessage() + ")");
        }
        Privileges.requireNetworkBpf("trafficgen");
        try (Shutdown shutdown = Shutdown.install(); TrafficGenerator gen = shutdown.register(TrafficGenerator.open(iface, queue, frames, b))) {
            System.err.printf("packetlens trafficgen: %d %s frames of %d bytes over %d flow(s) out of %s queue %d (%s), %s%n",
                    count, p, size, flows, iface, queue, gen.socket().zeroCopy() ? "zero-copy" : "copy mode",
                    rate == 0 ? "as fast as possible" : rate + " frames/s");
            TrafficGenerator.Result r = gen.run(count, rate, shutdown::requested);
            System.out.printf("sent %d frames in %.3f s: %.0f frames/s, %d back-pressure waits, %d invalid descriptors%n",
                    r.sent(), r.elapsedNanos() / 1e9, r.packetsPerSecond(), r.backPressure(), r.kernel().txInvalidDescs());
        }
        return 0;
    }
}
