package io.packetlens.monitor;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowClock;
import io.packetlens.flow.LossCounters;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.programs.PacketCounter;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The monitor's fallback when its XDP hook is taken: another program (the packet counter, attached alone, not in an
 * XDP chain) holds the interface's XDP hook, so the flow program's attach fails. With fallback (the default) the
 * monitor says why, counts from AF_PACKET, and reports the lab's datagrams exactly, marked fallback, leaving the other
 * program in place; with fallback off the original error comes out and nothing of the monitor stays attached.
 */
@KernelTest
class MonitorFallbackTest {
    private static MonitorConfig config(String ifname) {
        return MonitorConfig.defaults().withInterfaces(List.of(ifname)).withXdpMode(XdpMode.DRIVER);
    }

    @Test
    void anXdpHookTakenByAnotherProgramFallsBackAndCountsEveryDatagram() throws Exception {
        List<FinishedFlow> finished = new CopyOnWriteArrayList<>();
        try (Lab lab = Lab.create(); PacketCounter other = PacketCounter.load()) {
            Host a = lab.a(), b = lab.b();
            try (XdpLink taken = b.call(() -> XdpLink.attach(other.program(), b.ifname(), XdpMode.DRIVER));
                 FlowMonitor monitor = new FlowMonitor(config(b.ifname()), FlowClock.system())) {
                assertThat(monitor.fallback()).as("loading works here; the attach is what fails").isFalse();
                monitor.onFinishedFlow(finished::add);
                b.run(monitor::attachConfigured);
                assertThat(monitor.fallback()).isTrue();
                assertThat(monitor.program()).isNull();
                assertThat(monitor.fallbackReason()).contains("could not be attached to " + b.ifname());
                Traffic.udp(a, b, false, 400, 100);
                Traffic.udp(a, b, true, 100, 500);
                MonitorSnapshot polled = monitor.poll();
                assertThat(polled.inFallback()).isTrue();
                MonitorSnapshot last = monitor.stop();
                List<FinishedFlow> udp = finished.stream().filter(f -> f.key().protocol() == 17 && f.key().destinationPort() == Traffic.UDP_PORT).toList();
                assertThat(udp).allMatch(FinishedFlow::fallback);
                assertThat(udp.stream().filter(f -> f.key().isIpv4()).mapToLong(FinishedFlow::packets).sum()).isEqualTo(400);
                assertThat(udp.stream().filter(f -> f.key().isIpv4()).mapToLong(FinishedFlow::bytes).sum()).isEqualTo(400L * (14 + 20 + 8 + 100));
                assertThat(udp.stream().filter(f -> !f.key().isIpv4()).mapToLong(FinishedFlow::packets).sum()).isEqualTo(100);
                assertThat(udp.stream().filter(f -> !f.key().isIpv4()).mapToLong(FinishedFlow::bytes).sum()).isEqualTo(100L * (14 + 40 + 8 + 500));
                assertThat(last.totals().losses()).isEqualTo(LossCounters.ZERO);
                assertThat(last.fallback()).isEqualTo(monitor.fallbackReason());
                assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).as("the other program keeps its hook")
                        .contains("prog/xdp id " + other.program().id() + " ");
            }
        }
    }

    @Test
    void withoutFallbackTheAttachErrorComesOutAndNothingStaysAttached() throws Exception {
        try (Lab lab = Lab.create(); PacketCounter other = PacketCounter.load()) {
            Host b = lab.b();
            try (XdpLink taken = b.call(() -> XdpLink.attach(other.program(), b.ifname(), XdpMode.DRIVER));
                 FlowMonitor monitor = new FlowMonitor(config(b.ifname()).withFallback(false), FlowClock.system())) {
                Throwable t = catchThrowable(() -> b.run(monitor::attachConfigured));
                assertThat(t).isInstanceOf(BpfException.class);
                assertThat(monitor.fallback()).isFalse();
                assertThat(monitor.program().links()).isEmpty();
                assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).as("the other program keeps its hook")
                        .contains("prog/xdp id " + other.program().id() + " ");
            }
        }
    }
}
