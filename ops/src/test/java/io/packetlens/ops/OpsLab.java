package io.packetlens.ops;

import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.cgroup.Cgroup;
import io.packetlens.ebpf.link.CgroupLink;
import io.packetlens.ebpf.link.Link;
import io.packetlens.ebpf.link.TcDirection;
import io.packetlens.ebpf.link.TcLink;
import io.packetlens.ebpf.link.TcOptions;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fixture of the ops tests: a lab, the test object loaded, and its programs attached in namespace b: XDP in
 * driver mode, a tcx program on ingress, a cls_bpf filter on egress (clsact), and the cgroup program on a cgroup of
 * its own. Everything is undone by {@link #close()}.
 */
public final class OpsLab implements AutoCloseable {
    public final Lab lab;
    public final BpfObject obj;
    public final XdpLink xdp;
    public final TcLink tcx;
    public final TcLink clsact;
    public final CgroupLink cgroup;
    public final Cgroup group;
    private final Path ownCgroupMount;
    private final List<AutoCloseable> opened = new ArrayList<>();

    private OpsLab(Lab lab, BpfObject obj, XdpLink xdp, TcLink tcx, TcLink clsact, CgroupLink cgroup, Cgroup group, Path ownCgroupMount) {
        this.lab = lab;
        this.obj = obj;
        this.xdp = xdp;
        this.tcx = tcx;
        this.clsact = clsact;
        this.cgroup = cgroup;
        this.group = group;
        this.ownCgroupMount = ownCgroupMount;
    }

    public static ObjectSpec spec() {
        return ObjectSpec.fromResource(OpsLab.class, "/bpf/ops_test.bpf.o");
    }

    public static OpsLab open() throws Exception {
        Lab lab = Lab.create();
        List<AutoCloseable> undo = new ArrayList<>();
        undo.add(lab);
        Path ownMount = null;
        try {
            BpfObject obj = spec().load();
            undo.add(obj);
            Host b = lab.b();
            XdpLink xdp = b.call(() -> XdpLink.attach(obj.program("ops_xdp"), b.ifname(), XdpMode.DRIVER));
            undo.add(xdp);
            TcLink tcx = b.call(() -> TcLink.attach(obj.program("ops_tc_in"), b.ifname(), TcDirection.INGRESS,
                    TcOptions.defaults().via(TcOptions.Via.TCX)));
            undo.add(tcx);
            TcLink clsact = b.call(() -> TcLink.attach(obj.program("ops_tc_out"), b.ifname(), TcDirection.EGRESS,
                    TcOptions.defaults().via(TcOptions.Via.CLSACT)));
            undo.add(clsact);
            Cgroup root = Cgroup.findRoot().orElse(null);
            if (root == null) {
                ownMount = Files.createTempDirectory("pl-ops-cgroup2");
                root = Cgroup.root(ownMount);
            }
            Cgroup group = root.child("pl-ops-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000);
            undo.add(group::delete);
            CgroupLink cg = CgroupLink.attach(obj.program("ops_cgroup"), group);
            undo.add(cg);
            OpsLab l = new OpsLab(lab, obj, xdp, tcx, clsact, cg, group, ownMount);
            l.opened.addAll(undo);
            return l;
        } catch (Exception | Error e) {
            for (int i = undo.size() - 1; i >= 0; i--) {
                try {
                    undo.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            unmount(ownMount);
            throw e;
        }
    }

    public Host b() {
        return lab.b();
    }

    public List<Link> links() {
        return List.of(xdp, tcx, clsact, cgroup);
    }

    private static void unmount(Path mount) throws Exception {
        if (mount == null) return;
        new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor();
        Files.deleteIfExists(mount);
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                if (first == null) first = e;
            }
        }
        unmount(ownCgroupMount);
        if (first != null) throw first;
    }
}
