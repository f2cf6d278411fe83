package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.ebpf.netns.NetworkNamespace;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Programs attached to a network namespace or inside one: sk_lookup and the flow dissector on a namespace (NetnsLink),
 * and a netfilter program on the input hook of a namespace (NetfilterLink), each seen by bpftool and fired by lab
 * traffic into that namespace.
 */
@KernelTest
class NamespaceLinksTest {
    private static Lab lab;
    private static Host a, b;

    @BeforeAll
    static void setUp() throws Exception {
        lab = Lab.create();
        a = lab.a();
        b = lab.b();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (lab != null) lab.close();
    }

    private static long counter(ObjectSpec spec, BpfObject obj, String variable) {
        return obj.readLong(spec.variable(variable));
    }

    private static Path netns(Host h) {
        return Path.of("/run/netns", h.namespace());
    }

    @Test
    void skLookupRunsForEveryDatagramIntoTheNamespaceWhileAttached() throws Exception {
        ObjectSpec spec = ObjectSpec.fromResource(NamespaceLinksTest.class, "/bpf/sections_hooks.bpf.o").retainPrograms(java.util.List.of("on_lookup"));
        try (BpfObject obj = spec.load()) {
            try (NetnsLink link = NetnsLink.attach(obj.program("on_lookup"), netns(b))) {
                assertThat(link.info().id()).isPositive();
                Traffic.udp(a, b, false, 5, 32);
                assertThat(counter(spec, obj, "lookup_hits")).isGreaterThanOrEqualTo(5);
            }
            long after = counter(spec, obj, "lookup_hits");
            Traffic.udp(a, b, false, 3, 32);
            assertThat(counter(spec, obj, "lookup_hits")).as("nothing after close").isEqualTo(after);
        }
    }

    @Test
    void theFlowDissectorAttachesToTheNamespace() throws Exception {
        ObjectSpec spec = ObjectSpec.fromResource(NamespaceLinksTest.class, "/bpf/sections_hooks.bpf.o").retainPrograms(java.util.List.of("on_dissect"));
        try (BpfObject obj = spec.load()) {
            int id = obj.program("on_dissect").id();
            try (NetnsLink link = NetnsLink.attach(obj.program("on_dissect"), netns(b))) {
                String shown = CgroupLinkTest.run("ip", "netns", "exec", b.namespace(), "bpftool", "-j", "net", "show");
                assertThat(shown).contains("\"flow_dissector\"").contains("\"id\":" + id);
            }
            assertThat(CgroupLinkTest.run("ip", "netns", "exec", b.namespace(), "bpftool", "-j", "net", "show")).doesNotContain("\"id\":" + id);
        }
    }

    @Test
    void aNetfilterProgramSeesWhatReachesTheNamespacesInputHook() throws Exception {
        assumeTrue(KernelVersion.current().atLeast(6, 4), "netfilter BPF links came with Linux 6.4");
        ObjectSpec spec = ObjectSpec.fromResource(NamespaceLinksTest.class, "/bpf/sections_newer.bpf.o").retainPrograms(java.util.List.of("on_netfilter"));
        try (BpfObject obj = spec.load()) {
            NetfilterLink link = NetworkNamespace.of(b.namespace()).call(
                    () -> NetfilterLink.attach(obj.program("on_netfilter"), NetfilterLink.IPV4, NetfilterLink.LOCAL_IN, -128, 0));
            try (link) {
                // BPF_LINK_TYPE_NETFILTER (10), of this program: bpftool 7.1 prints the number, it predates the type
                assertThat(CgroupLinkTest.run("bpftool", "link", "show", "id", Integer.toString(link.id())))
                        .contains("type 10").contains("prog " + obj.program("on_netfilter").id());
                assertThat(link.info().type()).isEqualTo(10);
                Traffic.ping(a, b, false, 4);
                assertThat(counter(spec, obj, "netfilter_hits")).isGreaterThanOrEqualTo(4);
            }
            long after = counter(spec, obj, "netfilter_hits");
            Traffic.ping(a, b, false, 2);
            assertThat(counter(spec, obj, "netfilter_hits")).isEqualTo(after);
        }
    }
}
