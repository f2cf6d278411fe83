package io.packetlens.ops.inspect;

import io.packetlens.ebpf.link.TcDirection;
import io.packetlens.ebpf.link.TcInfo;
import io.packetlens.ebpf.link.TcLink;
import io.packetlens.ebpf.link.XdpInfo;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.netns.NetworkNamespace;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The packet hooks of every interface in every network namespace: what XDP programs each has (by mode, however
 * attached) and the programs on its TC hooks (tcx list in run order, then cls_bpf filters of clsact). XDP and tcx
 * link info name an ifindex but not its namespace, and netlink-attached XDP programs and cls_bpf filters have no
 * link at all, so this per-interface view is what places a program on an interface. Namespaces: the caller's, every
 * {@code ip netns} one (/run/netns) and every other one some process is in (/proc/PID/ns/net).
 */
public final class Hooks {
    /** One interface's hooks. */
    public record Interface(String netns, long netnsInode, String name, int ifindex, XdpInfo xdp, TcInfo ingress, TcInfo egress) {}

    /** A namespace: its display name (null for the caller's) and where to enter it (null: already in it). */
    record Namespace(String name, long inode, Path path) {}

    private Hooks() {}

    /** Every interface's hooks, in every namespace; {@code notes} receives what could not be read. */
    public static List<Interface> scan(List<String> notes) {
        List<Interface> out = new ArrayList<>();
        for (Namespace ns : namespaces()) {
            try {
                out.addAll(ns.path() == null ? scanHere(ns, notes) : NetworkNamespace.of(ns.path().toString()).call(() -> scanHere(ns, notes)));
            } catch (Exception e) {
                notes.add("network namespace " + ns.name() + " not scanned: " + e.getMessage());
            }
        }
        return out;
    }

    private static List<Interface> scanHere(Namespace ns, List<String> notes) {
        List<Interface> out = new ArrayList<>();
        for (XdpInfo x : XdpLink.queryAllInterfaces()) {
            TcInfo in = null, eg = null;
            try {
                in = TcLink.query(x.ifindex(), TcDirection.INGRESS);
                eg = TcLink.query(x.ifindex(), TcDirection.EGRESS);
            } catch (RuntimeException e) {
                synchronized (notes) {
                    notes.add("TC hooks of " + x.ifname() + (ns.name() == null ? "" : " (netns " + ns.name() + ")") + " not read: " + e.getMessage());
                }
            }
            out.add(new Interface(ns.name(), ns.inode(), x.ifname(), x.ifindex(), x, in, eg));
        }
        return out;
    }

    /** The caller's namespace first, then named ones, then those only processes are in; each once (by inode). */
    static List<Namespace> namespaces() {
        List<Namespace> out = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        long self = inode(Path.of("/proc/thread-self/ns/net"));
        out.add(new Namespace(null, self, null));
        seen.add(self);
        Path named = Path.of("/run/netns");
        if (Files.isDirectory(named)) {
            try (DirectoryStream<Path> d = Files.newDirectoryStream(named)) {
                for (Path p : d) {
                    long ino = inode(p);
                    if (ino > 0 && seen.add(ino)) out.add(new Namespace(p.getFileName().toString(), ino, p));
                }
            } catch (IOException ignored) {
                // no named namespaces readable
            }
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                Path ns = proc.resolve("ns/net");
                long ino = inode(ns);
                if (ino > 0 && seen.add(ino)) out.add(new Namespace("pid " + proc.getFileName(), ino, ns));
            }
        } catch (IOException ignored) {
            // /proc unreadable: the named ones are all we know
        }
        return out;
    }

    private static long inode(Path p) {
        try {
            return ((Number) Files.getAttribute(p, "unix:ino")).longValue();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The XDP mode name used in output. */
    static String modeName(XdpMode m) {
        return switch (m) {
            case DRIVER -> "driver";
            case GENERIC -> "generic";
            case OFFLOAD -> "offload";
            default -> m.name().toLowerCase();
        };
    }

    static Map<XdpMode, Integer> xdpPrograms(Interface i) {
        return i.xdp().programs();
    }
}
