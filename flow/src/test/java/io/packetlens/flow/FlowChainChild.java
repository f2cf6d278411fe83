package io.packetlens.flow;

import io.packetlens.ebpf.link.Link;
import io.packetlens.ebpf.link.XdpChain;
import io.packetlens.ebpf.link.XdpMode;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.EnumSet;

/**
 * The flow monitor's process in {@link FlowChainLabTest}, started in a lab namespace (nsenter: same mounts as the
 * test): {@code ROOT IFNAME} loads the flow program with {@link XdpSharing#CHAIN} (chains under ROOT), puts it into
 * IFNAME's XDP chain, prints {@code joined <member program id> <dispatcher id>}, then answers lines on stdin:
 * {@code report PORT} prints {@code count <packets of IPv4 UDP flows to PORT> <packets of all IPv4 UDP flows>};
 * {@code close} closes the program, prints {@code closed} and exits. SIGKILL ends it any time.
 */
public final class FlowChainChild {
    private FlowChainChild() {}

    public static void main(String[] args) throws Exception {
        FlowConfig config = FlowConfig.defaults().hooks(EnumSet.of(FlowProgram.Hook.XDP)).xdpSharing(XdpSharing.CHAIN.root(Path.of(args[0])));
        FlowProgram flows = FlowProgram.load(config);
        Link link = flows.attachXdpShared(null, args[1], XdpMode.DRIVER);
        XdpChain.Member m = (XdpChain.Member) link;
        System.out.println("joined " + m.programId() + " " + m.chain().dispatcherId());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("report ")) {
                int port = Integer.parseInt(line.substring(7).strip());
                long toPort = 0, udp = 0;
                for (var e : flows.flows().entrySet()) {
                    if (e.getKey().protocol() != 17 || !e.getKey().isIpv4()) continue;
                    udp += e.getValue().packets();
                    if (e.getKey().destinationPort() == port) toPort += e.getValue().packets();
                }
                System.out.println("count " + toPort + " " + udp);
                System.out.flush();
            } else if (line.equals("close")) {
                flows.close();
                System.out.println("closed");
                System.out.flush();
                break;
            }
        }
        System.exit(0);
    }
}
