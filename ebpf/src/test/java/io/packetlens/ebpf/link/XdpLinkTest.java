package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.lab.Host;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** XDP attach by BPF link and by netlink, in each mode, with real traffic through the lab's veth pair. */
@KernelTest
class XdpLinkTest {
    static final int DROP_PORT = 9400, PASS_PORT = 9401;

    private static LinkLab fixture;
    private static Host a, b;
    private static BpfObject obj;

    @BeforeAll
    static void setUp() {
        fixture = LinkLab.open("/bpf/xdp_test.bpf.o", "drop_port", DROP_PORT);
        a = fixture.a();
        b = fixture.b();
        obj = fixture.obj();
    }

    @AfterAll
    static void tearDown() {
        if (fixture != null) fixture.close();
    }

    @AfterEach
    void nothingLeft() throws Exception {
        Leftovers.assertNothingAttached(a);
        Leftovers.assertNothingAttached(b);
    }

    private static long verdict(int slot) {
        BpfMap m = obj.map("xdp_verdicts");
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
        return ByteBuffer.wrap(m.lookup(key).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    @ParameterizedTest(name = "{0} via {1}")
    @CsvSource({"DRIVER, LINK", "GENERIC, LINK", "DRIVER, NETLINK", "GENERIC, NETLINK"})
    void dropAndPassAreVisibleToTheTraffic(XdpMode mode, XdpOptions.Via via) throws Exception {
        BpfProgram p = obj.program("xdp_drop_port");
        long passed0 = verdict(0), dropped0 = verdict(1);
        try (XdpLink link = b.call(() -> XdpLink.attach(p, "veth0", XdpOptions.defaults().mode(mode).via(via)))) {
            assertThat(link.mode()).isEqualTo(mode);
            assertThat(link.via()).isEqualTo(via);
            assertThat(link.fallback()).isEmpty();
            assertThat(link.detachesOnExit()).isEqualTo(via == XdpOptions.Via.LINK);
            assertThat(link.programId()).isEqualTo(p.id());

            assertThat(Datagrams.exchange(a, b, DROP_PORT, 5)).as("datagrams to the dropped port").isZero();
            assertThat(Datagrams.exchange(a, b, PASS_PORT, 7)).as("datagrams to another port").isEqualTo(7);
            assertThat(verdict(1) - dropped0).isEqualTo(5);
            assertThat(verdict(0) - passed0).isEqualTo(7);

            // what the kernel reports, through our netlink query and through bpftool and ip
            XdpInfo info = b.call(() -> XdpLink.query("veth0"));
            assertThat(info.programs()).containsExactly(java.util.Map.entry(mode, p.id()));
            assertThat(b.call(XdpLink::queryAll)).extracting(XdpInfo::ifname).containsExactly("veth0");
            String key = mode == XdpMode.DRIVER ? "\"driver\"" : "\"generic\"";
            assertThat(b.exec("bpftool", "-j", "net", "show")).contains(key).contains("\"id\":" + p.id());
            assertThat(b.exec("ip", "link", "show", "dev", "veth0")).contains("prog/xdp id " + p.id());
        }
        assertThat(Datagrams.exchange(a, b, DROP_PORT, 3)).as("after close").isEqualTo(3);
        assertThat(b.call(() -> XdpLink.query("veth0")).isEmpty()).isTrue();
    }

    @Test
    void autoModeUsesDriverModeOnVethAndFallsBackToGenericWhenTheDriverRefuses() throws Exception {
        BpfProgram p = obj.program("xdp_pass_all");
        try (XdpLink link = b.call(() -> XdpLink.attach(p, "veth0", XdpMode.AUTO))) {
            assertThat(link.mode()).isEqualTo(XdpMode.DRIVER);
            assertThat(link.via()).isEqualTo(XdpOptions.Via.LINK);
            assertThat(link.fallback()).isEmpty();
        }
        // veth refuses native XDP while its peer's MTU is larger than a page can hold
        a.exec("ip", "link", "set", "dev", "veth0", "mtu", "9000");
        try (XdpLink link = b.call(() -> XdpLink.attach(p, "veth0", XdpMode.AUTO))) {
            assertThat(link.mode()).isEqualTo(XdpMode.GENERIC);
            assertThat(link.via()).isEqualTo(XdpOptions.Via.LINK);
            assertThat(link.fallback()).hasValueSatisfying(f -> assertThat(f).contains("DRIVER mode refused").contains("MTU"));
            assertThat(b.call(() -> XdpLink.query("veth0")).programs()).containsOnlyKeys(XdpMode.GENERIC);
        } finally {
            a.exec("ip", "link", "set", "dev", "veth0", "mtu", "1500");
        }
    }

    @Test
    void neverReplacesAnotherProgramUnlessAskedTo() throws Exception {
        BpfProgram first = obj.program("xdp_pass_all");
        BpfProgram second = obj.program("xdp_drop_port");
        try (XdpLink link = b.call(() -> XdpLink.attach(first, "veth0", XdpMode.DRIVER))) {
            for (XdpOptions.Via via : List.of(XdpOptions.Via.LINK, XdpOptions.Via.NETLINK)) {
                assertThatThrownBy(() -> b.call(() -> XdpLink.attach(second, "veth0", XdpOptions.defaults().mode(XdpMode.DRIVER).via(via))))
                        .isInstanceOf(BpfException.class)
                        .satisfies(e -> assertThat(((BpfException) e).errno()).isEqualTo(Errno.EBUSY))
                        .hasMessageContaining("is taken by program 'xdp_pass_all' (id " + first.id() + ") in DRIVER mode");
            }
            // generic mode while a driver-mode program runs: the kernel refuses both at once
            assertThatThrownBy(() -> b.call(() -> XdpLink.attach(second, "veth0", XdpMode.GENERIC)))
                    .isInstanceOf(BpfException.class).hasMessageContaining("is taken by program 'xdp_pass_all'");
            assertThat(link.programId()).isEqualTo(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.DRIVER).orElseThrow());
        }
    }

    @Test
    void replacesAProgramAttachedThroughNetlinkOnlyWhenItIsTheExpectedOne() throws Exception {
        BpfProgram first = obj.program("xdp_pass_all");
        BpfProgram second = obj.program("xdp_drop_port");
        BpfProgram third = obj.program("xdp_abort_port");
        XdpOptions netlink = XdpOptions.defaults().mode(XdpMode.GENERIC).via(XdpOptions.Via.NETLINK);
        try (XdpLink one = b.call(() -> XdpLink.attach(first, "veth0", netlink))) {
            assertThatThrownBy(() -> b.call(() -> XdpLink.attach(third, "veth0", netlink.replacing(second))))
                    .isInstanceOf(BpfException.class)
                    .satisfies(e -> assertThat(((BpfException) e).errno()).isEqualTo(Errno.EEXIST));
            try (XdpLink two = b.call(() -> XdpLink.attach(second, "veth0", netlink.replacing(first)))) {
                assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.GENERIC)).contains(second.id());
                // closing the replaced attachment must not remove its successor
                one.close();
                assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.GENERIC)).contains(second.id());
                assertThat(Datagrams.exchange(a, b, DROP_PORT, 2)).isZero();
            }
            assertThat(b.call(() -> XdpLink.query("veth0")).isEmpty()).isTrue();
        }
    }

    @Test
    void attachAndCloseLeaveNoFileDescriptorBehind() throws Exception {
        XdpOptions netlink = XdpOptions.defaults().mode(XdpMode.GENERIC).via(XdpOptions.Via.NETLINK);
        b.call(() -> XdpLink.attach(obj.program("xdp_pass_all"), "veth0", netlink)).close(); // warm up
        int before = io.packetlens.lab.OpenFds.count();
        for (int i = 0; i < 20; i++) {
            b.call(() -> XdpLink.attach(obj.program("xdp_pass_all"), "veth0", netlink)).close();
            b.call(() -> XdpLink.attach(obj.program("xdp_pass_all"), "veth0", XdpMode.DRIVER)).close();
        }
        assertThat(io.packetlens.lab.OpenFds.count()).isEqualTo(before);
    }

    @Test
    void badInputGetsAClearError() throws Exception {
        assertThatThrownBy(() -> b.call(() -> XdpLink.attach(obj.program("xdp_pass_all"), "nosuch0", XdpMode.AUTO)))
                .isInstanceOf(BpfException.NotFoundException.class)
                .hasMessageContaining("no network interface named 'nosuch0'");
        ObjectSpec tc = ObjectSpec.fromResource(XdpLinkTest.class, "/bpf/loader_test.bpf.o");
        tc.map("pinned_cfg").pinning(io.packetlens.ebpf.Pinning.NONE); // not into /sys/fs/bpf: nothing left behind
        try (BpfObject other = tc.load()) {
            assertThatThrownBy(() -> b.call(() -> XdpLink.attach(other.program("tc_pass"), "veth0", XdpMode.AUTO)))
                    .isInstanceOf(BpfException.class).hasMessageContaining("is SCHED_CLS, XDP hooks need an XDP program");
        }
        // veth cannot run offloaded programs; the kernel's own explanation comes through
        assertThatThrownBy(() -> b.call(() -> XdpLink.attach(obj.program("xdp_pass_all"), "veth0", XdpMode.OFFLOAD)))
                .isInstanceOf(BpfException.class)
                .hasMessageContaining("OFFLOAD")
                .satisfies(e -> System.out.println("offload on veth: " + e.getMessage()));
    }
}
