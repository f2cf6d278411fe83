package io.packetlens.cli;

import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.programs.PacketCounter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code packetlens count -i IFACE}: the XDP packet counter on a real interface. */
@Command(name = "count", mixinStandardHelpOptions = true,
        description = "Count packets and bytes per protocol at XDP on an interface, printing totals every second.")
final class CountCommand implements Callable<Integer> {
    @Option(names = {"-i", "--interface"}, required = true, description = "interface to attach to")
    String iface;

    @Option(names = "--mode", defaultValue = "auto", description = "XDP mode: auto (driver, else generic), driver, generic")
    XdpMode mode;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run; 0 = until Ctrl-C")
    int duration;

    @Override
    public Integer call() throws Exception {
        XdpMode m = mode;
        Privileges.requireNetworkBpf("count");
        try (Shutdown shutdown = Shutdown.install();
             PacketCounter counter = shutdown.register(PacketCounter.load())) {
            XdpLink link = counter.attach(iface, m);
            System.out.printf("packetlens count: XDP counter attached to %s (ifindex %d, %s mode); Ctrl-C to stop%n",
                    iface, link.ifindex(), link.mode().name().toLowerCase());
            Map<PacketCounter.Protocol, PacketCounter.Count> prev = counter.read();
            long start = System.nanoTime();
            long last = start;
            while (!shutdown.requested() && (duration == 0 || System.nanoTime() - start < duration * 1_000_000_000L)) {
                shutdown.sleep(1000);
                if (shutdown.requested()) break;
                long now = System.nanoTime();
                Map<PacketCounter.Protocol, PacketCounter.Count> cur = counter.read();
                System.out.printf("%n[%s, %ds]%n", iface, (now - start) / 1_000_000_000L);
                System.out.print(CountTable.render(cur, prev, (now - last) / 1e9));
                System.out.flush();
                prev = cur;
                last = now;
            }
            Map<PacketCounter.Protocol, PacketCounter.Count> last2 = counter.read();
            System.out.printf("%nfinal totals on %s:%n%s", iface, CountTable.render(last2, null, 0));
            System.out.println("detached from " + iface);
        }
        return 0;
    }
}
