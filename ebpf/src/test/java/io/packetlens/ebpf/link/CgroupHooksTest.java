package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.cgroup.Cgroup;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cgroup socket and sysctl hooks of libbpf's table (cgroup/sock_create, connect4, sendmsg4, recvmsg4, getsockopt,
 * setsockopt, sysctl, post_bind4, dev, sockops), attached by their section's attach type to a child cgroup and fired
 * by a shell moved into it.
 */
@KernelTest
class CgroupHooksTest {
    private static ObjectSpec spec;
    private static BpfObject obj;
    private static Cgroup group;
    private static TestCgroup2 cgroup2;

    @BeforeAll
    static void setUp() {
        spec = ObjectSpec.fromResource(CgroupHooksTest.class, "/bpf/sections_hooks.bpf.o");
        obj = spec.load();
        cgroup2 = TestCgroup2.open();
        group = cgroup2.root().child("pl-" + ProcessHandle.current().pid() + "-hooks");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (group != null) group.delete();
        if (cgroup2 != null) cgroup2.close();
        if (obj != null) obj.close();
    }

    private static long bss(String variable) {
        return obj.readLong(spec.variable(variable));
    }

    @Test
    void eachHookFiresForAProcessInTheGroup() throws Exception {
        List<CgroupLink> links = new ArrayList<>();
        try {
            for (String p : List.of("on_sock_create", "on_connect4", "on_sendmsg4", "on_recvmsg4", "on_getsockopt",
                    "on_setsockopt", "on_sysctl", "on_post_bind4", "on_dev", "on_sockops")) {
                CgroupLink l = CgroupLink.attach(obj.program(p), group);
                assertThat(l.attachType()).isEqualTo(obj.program(p).attachType());
                links.add(l);
            }
            String shown = CgroupLinkTest.run("bpftool", "-j", "cgroup", "show", group.path().toString());
            for (CgroupLink l : links) {
                assertThat(shown).as("bpftool cgroup show").contains("\"attach_type\":\"" + AttachType.nameOf(l.attachType().value()) + "\"");
            }
            // only processes in the group run the hooks: this shell, which moves itself in first
            long sock0 = bss("sock_create_hits"), conn0 = bss("connect4_hits"), sys0 = bss("sysctl_hits");
            CgroupLinkTest.run("bash", "-c", "echo $$ > " + group.path().resolve("cgroup.procs")
                    + " && exec 3<>/dev/udp/127.0.0.1/9 && cat /proc/sys/net/ipv4/ip_forward >/dev/null");
            assertThat(bss("sock_create_hits") - sock0).as("socket()").isEqualTo(1);
            assertThat(bss("connect4_hits") - conn0).as("connect()").isEqualTo(1);
            assertThat(bss("sysctl_hits") - sys0).as("a /proc/sys read").isGreaterThanOrEqualTo(1);
        } finally {
            for (CgroupLink l : links) l.close();
        }
        assertThat(CgroupLinkTest.run("bpftool", "-j", "cgroup", "show", group.path().toString()).strip()).isIn("[]", "");
    }
}
