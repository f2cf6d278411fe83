package io.packetlens.cli;

import io.packetlens.ebpf.link.Interfaces;
import io.packetlens.ebpf.xsk.BindMode;
import io.packetlens.packet.FlowFrames;
import io.packetlens.packet.FrameSource;
import io.packetlens.packet.SourceFrames;
import io.packetlens.trafficgen.InterfaceMac;
import io.packetlens.trafficgen.LiveFrameGenerator;
import io.packetlens.trafficgen.TrafficGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.Callable;




/**
 * {@code packetlens trafficgen -i IFACE --count N}: crafted UDP/TCP frames over F flows, or UDP/SYN floods from many
 * source addresses ({@code --sources CIDR}), through AF_XDP TX.
 */
@Command(name = "trafficgen", mixinStandardHelpOptions = true,
        description = {"Send crafted IPv4 UDP or TCP frames over F flows out of an interface through an AF_XDP TX ring, "
                + "as fast as the path takes them (or at --rate). Back-pressure (full rings, EAGAIN, ENOBUFS) is waited out, never fatal.",
                "Flow i uses source port 1024 + i mod 64512 and destination port --dst-port + i / 64512.",
                "With --sources CIDR (a flood from many addresses; udp or syn), frame i comes from address i mod N of the prefix "
                        + "and source port 1024 + i / N, to --dst-port; --flows frames in all (at least one per address)."})
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

    @Option(names = "--proto", defaultValue = "udp", description = "udp, tcp (ACK segments of established-looking flows) or syn (SYN only, no data)")
    String proto;

    @Option(names = "--sources", description = "source addresses: every address of this IPv4 prefix in turn, e.g. 10.77.0.0/16 (instead of --src-ip)")
    String sources;

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

    @Option(names = "--engine", defaultValue = "af-xdp", description = "af-xdp (an AF_XDP TX ring, default) or live: an XDP program run by "
            + "BPF_PROG_TEST_RUN in live-frame mode writes each frame in the kernel and redirects it out of the interface (xdp_frames, "
            + "as a NIC delivers them; on veth the peer needs NAPI: GRO on or an XDP program). live sends --sources or syn frames, "
            + "at full speed, on this CPU.")
    String engine;

    @Override
    public Integer call() throws Exception {
        if (count <= 0) throw new UserException("--count must be > 0");
        if (rate < 0) throw new UserException("--rate must be >= 0");
        String p = proto.toLowerCase();
        if (!p.equals("udp") && !p.equals("tcp") && !p.equals("syn")) throw new UserException("--proto must be udp, tcp or syn, not '" + proto + "'");
        if (sources != null && p.equals("tcp")) throw new UserException("--sources sends udp or syn frames: --proto tcp makes ACK segments of one address pair");
        BindMode b = switch (bind.toLowerCase()) {
            case "auto" -> BindMode.AUTO;
            case "copy" -> BindMode.COPY;
            case "zerocopy", "zero-copy" -> BindMode.ZEROCOPY;
            default -> throw new UserException("--bind must be auto, copy or zerocopy, not '" + bind + "'");
        };
        FrameSource frames;
        try {
            byte[] src = srcMac != null ? InterfaceMac.parse(srcMac) : InterfaceMac.of(iface);
            byte[] dst = InterfaceMac.parse(dstMac);
            if (sources == null && !p.equals("syn")) {
                frames = new FlowFrames(p.equals("udp") ? FlowFrames.Protocol.UDP : FlowFrames.Protocol.TCP, size, flows, src, dst,
                        InetAddress.ofLiteral(srcIp), InetAddress.ofLiteral(dstIp), dstPort);
            } else {
                long[] prefix = sources == null ? new long[] {v4(srcIp, "--src-ip"), 1} : prefix(sources);
                int n = (int) prefix[1];
                int ports = (int) Math.max(1, (flows + (long) n - 1) / n);
                if (ports > 64512) throw new UserException("--flows " + flows + " over " + n + " source(s) needs more than 64512 ports per address");
                frames = new SourceFrames(p.equals("udp") ? SourceFrames.Kind.UDP : SourceFrames.Kind.SYN, size, src, dst,
                        address((int) prefix[0]), n, ports, address((int) v4(dstIp, "--dst-ip")), dstPort);
            }
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        } catch (io.packetlens.ebpf.BpfException e) {
            throw new UserException("no network interface named '" + iface + "' here (" + e.getMessage() + ")");
        }
        Privileges.requireNetworkBpf("trafficgen");
        if (engine.equalsIgnoreCase("live")) return live(frames, p);
        if (!engine.equalsIgnoreCase("af-xdp")) throw new UserException("--engine must be af-xdp or live, not '" + engine + "'");
        try (Shutdown shutdown = Shutdown.install(); TrafficGenerator gen = shutdown.register(TrafficGenerator.open(iface, queue, frames, b))) {
            System.err.printf("packetlens trafficgen: %d %s frames of %d bytes over %d %s out of %s queue %d (%s), %s%n",
                    count, p.toUpperCase(), size, frames.frames(), sources != null ? "frame(s) from " + sources : "flow(s)", iface, queue, gen.socket().zeroCopy() ? "zero-copy" : "copy mode",
                    rate == 0 ? "as fast as possible" : rate + " frames/s");
            TrafficGenerator.Result r = gen.run(count, rate, shutdown::requested);
            System.out.printf("sent %d frames in %.3f s: %.0f frames/s, %d back-pressure waits, %d invalid descriptors%n",
                    r.sent(), r.elapsedNanos() / 1e9, r.packetsPerSecond(), r.backPressure(), r.kernel().txInvalidDescs());
        }
        return 0;
    }

    private int live(FrameSource frames, String p) throws Exception {
        if (!(frames instanceof SourceFrames sf)) throw new UserException("--engine live sends --sources or --proto syn frames (IPv4 from many sources)");
        if (rate != 0) throw new UserException("--engine live sends as fast as the path takes frames: --rate is for af-xdp");
        if (sf.size() > 128) throw new UserException("--engine live sends frames of at most 128 bytes, not " + sf.size());
        int ifindex = Interfaces.index(iface);
        try (Shutdown shutdown = Shutdown.install();
             LiveFrameGenerator gen = shutdown.register(LiveFrameGenerator.open(ifindex,
                     List.of(sf), List.of(1)))) {
            System.err.printf("packetlens trafficgen: %d %s frames of %d bytes (%d distinct) out of %s, in the kernel (live frames), as fast as possible%n",
                    count, p.toUpperCase(), size, frames.frames(), iface);
            long t0 = System.nanoTime();
            long sent = gen.run(count, shutdown::requested);
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("wrote %d frames in %.3f s: %.0f frames/s (frames a full peer ring refused are counted by the device: ethtool -S %s)%n",
                    sent, secs, sent / Math.max(secs, 1e-9), iface);
        }
        return 0;
    }

    /** An IPv4 address as a big-endian int; a clear error naming the option otherwise. */
    private static long v4(String text, String option) {
        InetAddress a;
        try {
            a = InetAddress.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            throw new UserException(option + ": '" + text + "' is not an IP address");
        }
        if (!(a instanceof Inet4Address)) throw new UserException(option + ": '" + text + "' is not an IPv4 address");
        byte[] b = a.getAddress();
        return (b[0] & 0xffL) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** {first address, number of addresses} of an IPv4 prefix A.B.C.D/N (host bits must be zero). */
    private static long[] prefix(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) throw new UserException("--sources: '" + cidr + "' is not a prefix (A.B.C.D/N)");
        long addr = v4(cidr.substring(0, slash), "--sources");
        int len;
        try {
            len = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new UserException("--sources: '" + cidr + "' has no prefix length");
        }
        if (len < 1 || len > 32) throw new UserException("--sources: prefix length must be 1..32, not " + len);
        long n = 1L << (32 - len);
        if ((addr & (n - 1)) != 0) throw new UserException("--sources: '" + cidr + "' has host bits set");
        if (n > Integer.MAX_VALUE) throw new UserException("--sources: /" + len + " is too many addresses");
        return new long[] {addr, n};
    }

    private static Inet4Address address(int v) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always an address
        }
    }
}
