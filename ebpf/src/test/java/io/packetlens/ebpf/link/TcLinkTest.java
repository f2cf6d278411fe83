package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.features.Features;
import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.lab.Host;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TC ingress and egress through tcx links and through clsact + cls_bpf over netlink, with real traffic. On kernels
 * without tcx (before 6.6; run under 6.1 by scripts/test-kernel61.sh) the tcx cases check the documented fallback
 * instead: AUTO uses clsact and says why, a forced tcx attach fails with a clear error and leaves nothing behind.
 */
@KernelTest
class TcLinkTest {
    static final int PORT = 9500;

    private static LinkLab fixture;
    private static Host a, b;
    private static BpfObject obj;

    @BeforeAll
    static void setUp() {
        fixture = LinkLab.open("/bpf/tc_test.bpf.o", "tc_port", PORT);
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
        assertThat(a.exec("tc", "qdisc", "show", "dev", "veth0")).doesNotContain("clsact");
    }

    /** Whether this kernel has tcx; the probe must agree with the version that introduced it, so 6.18 runs every tcx case. */
    private static boolean tcx() {
        boolean has = Features.hasTcx();
        assertThat(has).as("tcx probe on %s", KernelVersion.current()).isEqualTo(KernelVersion.current().atLeast(6, 6));
        return has;
    }

    /** A forced tcx attach on a kernel without tcx: a clear error naming the version, and nothing attached. */
    private static void assertTcxRefused(Host h, BpfProgram p, TcDirection dir, TcOptions options) throws Exception {
        assertThatThrownBy(() -> h.call(() -> TcLink.attach(p, "veth0", dir, options)))
                .isInstanceOf(BpfException.class)
                .satisfies(e -> assertThat(((BpfException) e).errno()).isEqualTo(Errno.EINVAL))
                .hasMessageContaining("tcx links need kernel 6.6+ (this kernel: " + KernelVersion.current() + ")");
        assertThat(h.call(() -> TcLink.query("veth0", dir)).isEmpty()).isTrue();
    }

    private static long count(int slot) {
        BpfMap m = obj.map("tc_counts");
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
        return ByteBuffer.wrap(m.lookup(key).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    @ParameterizedTest
    @EnumSource(value = TcOptions.Via.class, names = {"TCX", "CLSACT"})
    void ingressAndEgressEachSeeTheirDirection(TcOptions.Via via) throws Exception {
        BpfProgram in = obj.program("tc_ingress_count");
        BpfProgram out = obj.program("tc_egress_count");
        TcOptions options = TcOptions.defaults().via(via);
        if (via == TcOptions.Via.TCX && !tcx()) {
            assertTcxRefused(a, in, TcDirection.INGRESS, options);
            assertTcxRefused(a, out, TcDirection.EGRESS, options);
            return;
        }
        long in0 = count(0), out0 = count(1);
        try (TcLink ingress = a.call(() -> TcLink.attach(in, "veth0", TcDirection.INGRESS, options));
             TcLink egress = a.call(() -> TcLink.attach(out, "veth0", TcDirection.EGRESS, options))) {
            assertThat(ingress.via()).isEqualTo(via);
            assertThat(egress.via()).isEqualTo(via);
            assertThat(ingress.detachesOnExit()).isEqualTo(via == TcOptions.Via.TCX);

            assertThat(Datagrams.exchange(a, b, PORT, 4)).isEqualTo(4);   // leaves a: egress
            assertThat(Datagrams.exchange(b, a, PORT, 6)).isEqualTo(6);   // enters a: ingress
            assertThat(count(1) - out0).as("egress count").isEqualTo(4);
            assertThat(count(0) - in0).as("ingress count").isEqualTo(6);

            TcInfo info = a.call(() -> TcLink.query("veth0", TcDirection.INGRESS));
            assertThat(info.programIds()).containsExactly(in.id());
            assertThat(a.call(() -> TcLink.query("veth0", TcDirection.EGRESS)).programIds()).containsExactly(out.id());
            if (via == TcOptions.Via.CLSACT) {
                assertThat(info.filters()).singleElement().satisfies(f -> {
                    assertThat(f.directAction()).isTrue();
                    assertThat(f.name()).isEqualTo("tc_ingress_count");
                    assertThat(f.priority()).isEqualTo(ingress.priority());
                    assertThat(f.handle()).isEqualTo(ingress.handle());
                });
                // the same filters as tc and bpftool see them
                assertThat(a.exec("tc", "filter", "show", "dev", "veth0", "ingress")).contains("tc_ingress_count").contains("direct-action");
                assertThat(a.exec("tc", "filter", "show", "dev", "veth0", "egress")).contains("tc_egress_count");
                assertThat(a.exec("bpftool", "-j", "net", "show")).contains("\"kind\":\"clsact/ingress\"").contains("\"id\":" + in.id());
            } else {
                assertThat(info.tcxLinkIds()).containsExactly(ingress.id());
                assertThat(info.filters()).isEmpty();
                assertThat(a.exec("tc", "qdisc", "show", "dev", "veth0")).doesNotContain("clsact");
                // bpftool 7.1 lists links (not yet tcx hooks): the tcx links are there with our programs
                assertThat(Leftovers.linkedPrograms(a)).contains(in.id(), out.id());
            }
        }
        assertThat(Leftovers.linkedPrograms(a)).doesNotContain(in.id(), out.id());
    }

    @ParameterizedTest
    @EnumSource(value = TcOptions.Via.class, names = {"TCX", "CLSACT"})
    void theProgramsVerdictTakesEffect(TcOptions.Via via) throws Exception {
        if (via == TcOptions.Via.TCX && !tcx()) {
            assertTcxRefused(b, obj.program("tc_drop_port"), TcDirection.INGRESS, TcOptions.defaults().via(via));
            assertThat(Datagrams.exchange(a, b, PORT, 3)).isEqualTo(3);
            return;
        }
        try (TcLink drop = b.call(() -> TcLink.attach(obj.program("tc_drop_port"), "veth0", TcDirection.INGRESS, TcOptions.defaults().via(via)))) {
            assertThat(Datagrams.exchange(a, b, PORT, 3)).isZero();
            assertThat(Datagrams.exchange(a, b, PORT + 1, 3)).isEqualTo(3);
        }
        assertThat(Datagrams.exchange(a, b, PORT, 3)).isEqualTo(3);
    }

    @Test
    void autoUsesTcxWhereTheKernelHasItAndClsactBefore6_6() throws Exception {
        try (TcLink link = a.call(() -> TcLink.attach(obj.program("tc_next_a"), "veth0", TcDirection.INGRESS))) {
            if (tcx()) {
                assertThat(link.via()).isEqualTo(TcOptions.Via.TCX);
                assertThat(link.fallback()).isEmpty();
                assertThat(link.isBpfLink()).isTrue();
            } else {
                assertThat(link.via()).isEqualTo(TcOptions.Via.CLSACT);
                assertThat(link.fallback()).hasValueSatisfying(f -> assertThat(f)
                        .contains("tcx links need kernel 6.6+").contains(KernelVersion.current().toString()).contains("used clsact"));
                assertThat(link.isBpfLink()).isFalse();
                assertThat(link.detachesOnExit()).isFalse();
                assertThat(a.exec("tc", "filter", "show", "dev", "veth0", "ingress")).contains("tc_next_a").contains("direct-action");
            }
        }
    }

    @Test
    void tcxPlacesProgramsBeforeAndAfterOthers() throws Exception {
        BpfProgram pa = obj.program("tc_next_a"), pb = obj.program("tc_next_b"), pc = obj.program("tc_next_c");
        BpfProgram pd = obj.program("tc_ingress_count");
        TcOptions tcx = TcOptions.defaults().via(TcOptions.Via.TCX);
        if (!tcx()) {
            // ordering is a tcx feature: AUTO cannot honour it with clsact, so it refuses rather than ignoring it
            assertTcxRefused(a, pa, TcDirection.INGRESS, tcx.first());
            assertThatThrownBy(() -> a.call(() -> TcLink.attach(pa, "veth0", TcDirection.INGRESS, TcOptions.defaults().first())))
                    .isInstanceOf(BpfException.class).hasMessageContaining("tcx links need kernel 6.6+")
                    .hasMessageContaining("position FIRST is a tcx feature");
            return;
        }
        try (TcLink la = a.call(() -> TcLink.attach(pa, "veth0", TcDirection.INGRESS, tcx));
             TcLink lc = a.call(() -> TcLink.attach(pc, "veth0", TcDirection.INGRESS, tcx))) {
            long rev0 = a.call(() -> TcLink.query("veth0", TcDirection.INGRESS)).revision();
            try (TcLink lb = a.call(() -> TcLink.attach(pb, "veth0", TcDirection.INGRESS, tcx.before(lc)));
                 TcLink ld = a.call(() -> TcLink.attach(pd, "veth0", TcDirection.INGRESS, tcx.first()))) {
                TcInfo info = a.call(() -> TcLink.query("veth0", TcDirection.INGRESS));
                assertThat(info.tcxProgramIds()).containsExactly(pd.id(), pa.id(), pb.id(), pc.id());
                assertThat(info.tcxLinkIds()).containsExactly(ld.id(), la.id(), lb.id(), lc.id());
                assertThat(info.revision()).isEqualTo(rev0 + 2);
                lb.close();
                // after a program given by id
                try (TcLink lb2 = a.call(() -> TcLink.attach(pb, "veth0", TcDirection.INGRESS, tcx.afterId(pc.id())))) {
                    assertThat(a.call(() -> TcLink.query("veth0", TcDirection.INGRESS)).tcxProgramIds())
                            .containsExactly(pd.id(), pa.id(), pc.id(), pb.id());
                }
                // the egress hook is a separate list
                assertThat(a.call(() -> TcLink.query("veth0", TcDirection.EGRESS)).isEmpty()).isTrue();
            }
        }
    }

    @Test
    void clsactQdiscIsSharedAndRemovedOnlyByItsCreatorAfterItsLastFilter() throws Exception {
        TcOptions clsact = TcOptions.defaults().via(TcOptions.Via.CLSACT);
        TcLink in = a.call(() -> TcLink.attach(obj.program("tc_next_a"), "veth0", TcDirection.INGRESS, clsact));
        try (TcLink out = a.call(() -> TcLink.attach(obj.program("tc_next_b"), "veth0", TcDirection.EGRESS, clsact))) {
            in.close();
            assertThat(a.exec("tc", "qdisc", "show", "dev", "veth0")).contains("clsact");
            assertThat(a.exec("tc", "filter", "show", "dev", "veth0", "ingress")).isBlank();
        }
        assertThat(a.exec("tc", "qdisc", "show", "dev", "veth0")).doesNotContain("clsact");

        // a clsact qdisc someone else made stays, and so do their filters
        a.exec("tc", "qdisc", "add", "dev", "veth0", "clsact");
        try {
            try (TcLink l = a.call(() -> TcLink.attach(obj.program("tc_next_c"), "veth0", TcDirection.INGRESS, clsact.priority(7)))) {
                assertThat(l.priority()).isEqualTo(7);
                assertThat(l.handle()).isNotZero();
            }
            assertThat(a.exec("tc", "qdisc", "show", "dev", "veth0")).contains("clsact");
        } finally {
            a.exec("tc", "qdisc", "del", "dev", "veth0", "clsact");
        }
    }

    @Test
    void attachAndCloseLeaveNoFileDescriptorBehind() throws Exception {
        TcOptions clsact = TcOptions.defaults().via(TcOptions.Via.CLSACT);
        TcOptions tcx = TcOptions.defaults().via(TcOptions.Via.TCX);
        boolean hasTcx = tcx();
        a.call(() -> TcLink.attach(obj.program("tc_next_a"), "veth0", TcDirection.INGRESS, clsact)).close(); // warm up
        int before = io.packetlens.lab.OpenFds.count();
        for (int i = 0; i < 20; i++) {
            a.call(() -> TcLink.attach(obj.program("tc_next_a"), "veth0", TcDirection.INGRESS, clsact)).close();
            if (hasTcx) {
                a.call(() -> TcLink.attach(obj.program("tc_next_b"), "veth0", TcDirection.EGRESS, tcx)).close();
            } else { // the refused tcx attach leaves nothing open either
                assertThatThrownBy(() -> a.call(() -> TcLink.attach(obj.program("tc_next_b"), "veth0", TcDirection.EGRESS, tcx)))
                        .isInstanceOf(BpfException.class);
            }
        }
        assertThat(io.packetlens.lab.OpenFds.count()).isEqualTo(before);
    }

    @Test
    void badInputGetsAClearError() throws Exception {
        assertThatThrownBy(() -> a.call(() -> TcLink.attach(obj.program("tc_next_a"), "nosuch0", TcDirection.INGRESS)))
                .isInstanceOf(BpfException.NotFoundException.class).hasMessageContaining("no network interface named 'nosuch0'");
        ObjectSpec xdpSpec = ObjectSpec.fromResource(TcLinkTest.class, "/bpf/xdp_test.bpf.o");
        try (BpfObject xdp = xdpSpec.load()) {
            assertThatThrownBy(() -> a.call(() -> TcLink.attach(xdp.program("xdp_pass_all"), "veth0", TcDirection.INGRESS)))
                    .isInstanceOf(BpfException.class).hasMessageContaining("is XDP, TC hooks need a SCHED_CLS program");
        }
        // the same program twice on one tcx hook
        if (tcx()) {
            try (TcLink first = a.call(() -> TcLink.attach(obj.program("tc_next_a"), "veth0", TcDirection.INGRESS))) {
                assertThatThrownBy(() -> a.call(() -> TcLink.attach(obj.program("tc_next_a"), "veth0", TcDirection.INGRESS)))
                        .isInstanceOf(BpfException.class)
                        .satisfies(e -> assertThat(((BpfException) e).errno()).isEqualTo(Errno.EEXIST))
                        .hasMessageContaining("already on this hook");
                // placed relative to a program that is not on the hook
                assertThatThrownBy(() -> a.call(() -> TcLink.attach(obj.program("tc_next_b"), "veth0", TcDirection.INGRESS,
                        TcOptions.defaults().via(TcOptions.Via.TCX).before(obj.program("tc_next_c")))))
                        .isInstanceOf(BpfException.class).hasMessageContaining("not on this hook");
            }
        } else {
            assertTcxRefused(a, obj.program("tc_next_a"), TcDirection.INGRESS, TcOptions.defaults().via(TcOptions.Via.TCX));
        }
        // a clsact priority and handle that are taken
        TcOptions fixed = TcOptions.defaults().via(TcOptions.Via.CLSACT).priority(3).handle(1);
        try (TcLink first = a.call(() -> TcLink.attach(obj.program("tc_next_a"), "veth0", TcDirection.INGRESS, fixed))) {
            assertThatThrownBy(() -> a.call(() -> TcLink.attach(obj.program("tc_next_b"), "veth0", TcDirection.INGRESS, fixed)))
                    .isInstanceOf(BpfException.class)
                    .satisfies(e -> assertThat(((BpfException) e).errno()).isEqualTo(Errno.EEXIST))
                    .hasMessageContaining("priority 3 and handle 1 is already on this hook");
            assertThatThrownBy(() -> first.pin(java.nio.file.Path.of("/sys/fs/bpf/never")))
                    .isInstanceOf(BpfException.class).hasMessageContaining("is not a BPF link");
        }
        assertThatThrownBy(() -> TcOptions.defaults().via(TcOptions.Via.CLSACT).first())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ordered by priority");
    }
}
