package io.packetlens.ebpf.link;

import io.packetlens.ebpf.LoadOptions;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.Pinning;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;

/**
 * The other process of {@link XdpChainTest}, started in a lab namespace (nsenter, so it shares the test's mounts):
 * {@code ROOT IFNAME SLOT DROP_PORT PROCESS|PINNED PIN_DIR} joins the chain of IFNAME under ROOT with
 * {@code chain_drop_port} of chain_test.bpf.o in SLOT, its verdict counters pinned in PIN_DIR (so the test can read
 * them after this process is gone), and prints {@code joined <member program id> <dispatcher id>}. A pinned member
 * then exits without closing anything; a process-scoped one waits for a line on stdin ({@code close}: close the
 * member, print {@code closed}, exit) or for SIGKILL.
 */
public final class ChainChild {
    private ChainChild() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        String ifname = args[1];
        int slot = Integer.parseInt(args[2]);
        XdpChain.Lifetime lifetime = XdpChain.Lifetime.valueOf(args[4]);
        ObjectSpec spec = ObjectSpec.fromResource(ChainChild.class, "/bpf/chain_test.bpf.o");
        spec.variable("drop_port").set(Integer.parseInt(args[3]));
        spec.map("chain_verdicts").pinning(Pinning.BY_NAME);
        XdpChain.Member m = XdpChain.join(ifname, new XdpChainOptions(root, XdpMode.DRIVER), spec,
                LoadOptions.defaults().pinPath(Path.of(args[5])), "chain_drop_port", slot, lifetime);
        System.out.println("joined " + m.programId() + " " + m.chain().dispatcherId());
        System.out.flush();
        if (lifetime == XdpChain.Lifetime.PINNED) System.exit(0); // no close(): the pinned member stays in its slot
        String line = new BufferedReader(new InputStreamReader(System.in)).readLine();
        if ("close".equals(line)) {
            m.close();
            System.out.println("closed");
            System.out.flush();
        }
        System.exit(0);
    }
}
