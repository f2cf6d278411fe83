package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.cgroup.Cgroup;
import io.packetlens.ebpf.features.Features;
import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.ebpf.tracing.KernelBtf;
import io.packetlens.ebpf.tracing.Tracefs;
import io.packetlens.ebpf.tracing.TracepointFormat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The process {@link LinkLifetimeTest} starts in a lab namespace (with nsenter, so it sees the machine's mounts):
 * {@code hold CGROUP_DIR} attaches a program to every kind of hook that detaches on exit, prints
 * {@code attached <program ids>} and waits to be killed; {@code pin BPFFS_DIR} attaches XDP and tcx links, pins them
 * there, prints {@code pinned <program ids>} and exits. Without tcx (before 6.6) {@code hold} uses clsact filters for
 * TC and {@code pin} attaches XDP only.
 */
public final class LinkChild {
    private LinkChild() {}

    public static void main(String[] args) throws Exception {
        List<Integer> ids = new ArrayList<>();
        List<AutoCloseable> keep = new ArrayList<>();
        BpfObject xdp = ObjectSpec.fromResource(LinkChild.class, "/bpf/xdp_test.bpf.o").load();
        BpfObject tc = ObjectSpec.fromResource(LinkChild.class, "/bpf/tc_test.bpf.o").load();
        keep.add(xdp);
        keep.add(tc);
        boolean pin = args[0].equals("pin"), tcx = Features.hasTcx();
        XdpLink x = XdpLink.attach(xdp.program("xdp_pass_all"), "veth0", XdpMode.DRIVER);
        ids.add(x.programId());
        // without tcx (before 6.6) TC programs go into clsact filters, which cannot be pinned
        TcLink in = null, out = null;
        if (tcx || !pin) {
            TcOptions via = TcOptions.defaults().via(tcx ? TcOptions.Via.TCX : TcOptions.Via.CLSACT);
            in = TcLink.attach(tc.program("tc_ingress_count"), "veth0", TcDirection.INGRESS, via);
            out = TcLink.attach(tc.program("tc_egress_count"), "veth0", TcDirection.EGRESS, via);
            ids.add(in.programId());
            ids.add(out.programId());
        }
        if (pin) {
            Path dir = Path.of(args[1]);
            x.pin(dir.resolve("xdp"));
            if (tcx) {
                in.pin(dir.resolve("tcx_ingress"));
                out.pin(dir.resolve("tcx_egress"));
            }
            System.out.println("pinned " + join(ids));
            System.out.flush();
            // exiting closes every fd: only the pins keep the links (and their programs) alive
            System.exit(0);
        }
        keep.add(x);
        keep.add(in);
        keep.add(out);

        BpfObject cg = ObjectSpec.fromResource(LinkChild.class, "/bpf/cgroup_test.bpf.o").load();
        keep.add(cg);
        keep.add(CgroupLink.attach(cg.program("cg_egress"), Cgroup.of(Path.of(args[1]))));
        ids.add(cg.program("cg_egress").id());

        TracepointFormat kfree = Tracefs.format("skb", "kfree_skb");
        ObjectSpec traceSpec = ObjectSpec.fromResource(LinkChild.class, "/bpf/trace_test.bpf.o");
        traceSpec.variable("kfree_skbaddr_off").set(kfree.field("skbaddr").offset());
        traceSpec.variable("kfree_reason_off").set(kfree.field("reason").offset());
        traceSpec.variable("skb_len_off").set(KernelBtf.offsetOf("sk_buff", "len"));
        BpfObject trace = traceSpec.load();
        keep.add(trace);
        keep.add(TracepointLink.attach(trace.program("on_kfree_skb"), "skb", "kfree_skb"));
        keep.add(RawTracepointLink.attach(trace.program("raw_kfree_skb"), "kfree_skb"));
        ids.add(trace.program("on_kfree_skb").id());
        ids.add(trace.program("raw_kfree_skb").id());

        BpfObject sock = ObjectSpec.fromResource(LinkChild.class, "/bpf/sockmap_test.bpf.o").load();
        keep.add(sock);
        keep.add(SockMapLink.attach(sock.program("msg_to_peer"), sock.map("local_socks")));
        ids.add(sock.program("msg_to_peer").id());

        BpfObject filter = ObjectSpec.fromResource(LinkChild.class, "/bpf/socket_test.bpf.o").load();
        keep.add(filter);
        NativeSocket capture = NativeSocket.packet();
        keep.add(capture);
        keep.add(SocketFilter.attach(filter.program("keep_udp_port"), capture));
        capture.bindToInterface(Interfaces.index("veth0"));
        ids.add(filter.program("keep_udp_port").id());

        System.out.println("attached " + join(ids));
        System.out.flush();
        // wait for SIGKILL; stdin is never written, so this blocks until then
        System.in.read();
        System.exit(3);
    }

    private static String join(List<Integer> ids) {
        return String.join(" ", ids.stream().map(String::valueOf).toList());
    }
}
