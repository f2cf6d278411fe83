package io.packetlens.ebpf.netlink;

import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.OpenFds;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The netlink socket against the kernel, inside a lab namespace: requests, acks, dumps, refusals with their text. */
@KernelTest
class NetlinkSocketTest {
    private static Lab lab;
    private static Host a;

    @BeforeAll
    static void setUp() {
        lab = Lab.create();
        a = lab.a();
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) lab.close();
    }

    private static MessageBuilder clsact(int type, int flags) {
        return new MessageBuilder(type, flags)
                .header(new TcMsg(0, a.ifindex(), Rtnetlink.tcHandle(Rtnetlink.TC_H_CLSACT, 0), Rtnetlink.TC_H_CLSACT, 0).bytes())
                .attrString(Rtnetlink.TCA_KIND, "clsact");
    }

    private static List<String> qdiscKinds(NetlinkSocket nl) {
        return nl.dump(new MessageBuilder(Rtnetlink.RTM_GETQDISC, 0).header(new TcMsg(0, 0, 0, 0, 0).bytes()), "list qdiscs")
                .stream().filter(m -> TcMsg.parse(m).ifindex() == a.ifindex())
                .map(m -> m.attributes(TcMsg.SIZE).get(Rtnetlink.TCA_KIND).orElseThrow().string()).toList();
    }

    @Test
    void getsALinkByIndexInTheSocketsNamespace() throws Exception {
        List<Message> replies = a.call(() -> {
            try (NetlinkSocket nl = NetlinkSocket.route()) {
                return nl.request(new MessageBuilder(Rtnetlink.RTM_GETLINK, 0).header(IfInfoMsg.of(a.ifindex()).bytes()), "get link");
            }
        });
        assertThat(replies).singleElement().satisfies(m -> {
            assertThat(IfInfoMsg.parse(m).index()).isEqualTo(a.ifindex());
            assertThat(m.attributes(IfInfoMsg.SIZE).get(Rtnetlink.IFLA_IFNAME).orElseThrow().string()).isEqualTo("veth0");
        });
    }

    @Test
    void createsListsAndDeletesAQdiscAndReportsTheKernelsReasonForARefusal() throws Exception {
        int fdsBefore = OpenFds.count();
        a.run(() -> {
            try (NetlinkSocket nl = NetlinkSocket.route()) {
                assertThat(nl.portId()).isNotZero();
                assertThat(qdiscKinds(nl)).doesNotContain("clsact");
                assertThatThrownBy(() -> nl.request(new MessageBuilder(Rtnetlink.RTM_NEWTFILTER, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL)
                        .header(new TcMsg(0, a.ifindex(), 1, Rtnetlink.tcHandle(Rtnetlink.TC_H_CLSACT, Rtnetlink.TC_H_MIN_INGRESS),
                                (1 << 16) | Rtnetlink.htons(Rtnetlink.ETH_P_ALL)).bytes())
                        .attrString(Rtnetlink.TCA_KIND, "bpf"), "add filter"))
                        .isInstanceOfSatisfying(NetlinkException.class, e -> {
                            assertThat(e.errno()).isEqualTo(22);
                            assertThat(e.kernelMessage()).contains("Parent Qdisc");
                        })
                        .hasMessageStartingWith("add filter: EINVAL");

                assertThat(nl.request(clsact(Rtnetlink.RTM_NEWQDISC, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL), "add clsact")).isEmpty();
                assertThat(qdiscKinds(nl)).contains("clsact");
                assertThatThrownBy(() -> nl.request(clsact(Rtnetlink.RTM_NEWQDISC, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL), "add clsact again"))
                        .isInstanceOfSatisfying(NetlinkException.class, e -> assertThat(e.errno()).isEqualTo(17));
                nl.request(clsact(Rtnetlink.RTM_DELQDISC, 0), "delete clsact");
                assertThat(qdiscKinds(nl)).doesNotContain("clsact");
            }
        });
        assertThat(a.exec("tc", "qdisc", "show", "dev", "veth0")).doesNotContain("clsact");
        assertThat(OpenFds.count()).isEqualTo(fdsBefore);
    }

    @Test
    void aDumpLargerThanOneDatagramArrivesWhole() throws Exception {
        // 20 veth pairs make the link dump span several datagrams (each message is ~1.5 KB)
        for (int i = 0; i < 20; i++) a.exec("ip", "link", "add", "vx" + i, "type", "veth", "peer", "name", "vy" + i);
        try {
            int links = a.call(() -> {
                try (NetlinkSocket nl = NetlinkSocket.route()) {
                    return nl.dump(new MessageBuilder(Rtnetlink.RTM_GETLINK, 0).header(IfInfoMsg.of(0).bytes()), "list links").size();
                }
            });
            assertThat(links).isEqualTo(42); // lo, veth0 and the 40 new ends
        } finally {
            for (int i = 0; i < 20; i++) a.exec("ip", "link", "del", "vx" + i);
        }
    }
}
