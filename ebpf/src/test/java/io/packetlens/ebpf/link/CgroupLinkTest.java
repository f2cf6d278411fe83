package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.cgroup.Cgroup;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** cgroup_skb ingress and egress on a child cgroup v2 directory, counting the traffic of one process moved into it. */
@KernelTest
class CgroupLinkTest {
    private static Lab lab;
    private static Host a, b;
    private static BpfObject obj;
    private static Cgroup group;
    private static TestCgroup2 cgroup2;

    @BeforeAll
    static void setUp() throws Exception {
        lab = Lab.create();
        a = lab.a();
        b = lab.b();
        obj = ObjectSpec.fromResource(CgroupLinkTest.class, "/bpf/cgroup_test.bpf.o").load();
        cgroup2 = TestCgroup2.open();
        Cgroup root = cgroup2.root();
        group = root.child("pl-" + ProcessHandle.current().pid() + "-cgskb");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (group != null) group.delete();
        if (cgroup2 != null) cgroup2.close();
        if (obj != null) obj.close();
        if (lab != null) lab.close();
    }

    private static long[] counts(int slot) {
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
        ByteBuffer v = ByteBuffer.wrap(obj.map("cgroup_counts").lookup(key).orElseThrow()).order(ByteOrder.nativeOrder());
        return new long[] {v.getLong(0), v.getLong(8)};
    }

    /**
     * Runs ping in {@code host}'s network namespace from a shell that first moves itself into the group. nsenter, not
     * {@code ip netns exec}: the latter remounts /sys, which hides the cgroup2 mount under /sys/fs/cgroup.
     */
    private static String pingFromGroup(Host host, String target, int count) throws Exception {
        return run("sh", "-c", "echo $$ > " + group.path().resolve("cgroup.procs")
                + " && exec nsenter --net=/run/netns/" + host.namespace() + " ping -4 -c " + count + " -i 0.01 -W 1 " + target);
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        if (p.exitValue() != 0) throw new AssertionError(String.join(" ", command) + " failed: " + out);
        return out;
    }

    @Test
    void countsTheTrafficOfAProcessInTheGroupAndNoOtherProcess() throws Exception {
        try (CgroupLink in = CgroupLink.attach(obj.program("cg_ingress"), group);
             CgroupLink out = CgroupLink.attach(obj.program("cg_egress"), group)) {
            assertThat(in.attachType()).isEqualTo(AttachType.CGROUP_INET_INGRESS);
            assertThat(out.attachType()).isEqualTo(AttachType.CGROUP_INET_EGRESS);
            String shown = run("bpftool", "-j", "cgroup", "show", group.path().toString());
            assertThat(shown).contains("\"name\":\"cg_ingress\"").contains("\"name\":\"cg_egress\"");

            long[] in0 = counts(0), out0 = counts(1);
            // a process outside the group: not counted
            Traffic.ping(a, b, false, 3);
            assertThat(counts(0)).isEqualTo(in0);
            assertThat(counts(1)).isEqualTo(out0);

            String output = pingFromGroup(a, b.ipv4(), 5);
            assertThat(output).contains("5 packets transmitted, 5 received");
            long[] in1 = counts(0), out1 = counts(1);
            assertThat(out1[0] - out0[0]).as("echo requests leaving the group's process").isEqualTo(5);
            assertThat(in1[0] - in0[0]).as("echo replies reaching the group's process").isEqualTo(5);
            // IPv4 header + ICMP header + 56 bytes of data, as cgroup_skb sees them (from the network header)
            assertThat(out1[1] - out0[1]).isEqualTo(5 * (20 + 8 + 56));
            assertThat(in1[1] - in0[1]).isEqualTo(5 * (20 + 8 + 56));
        }
        assertThat(run("bpftool", "-j", "cgroup", "show", group.path().toString()).strip()).isIn("[]", "");
        long[] after = counts(1);
        pingFromGroup(a, b.ipv4(), 2);
        assertThat(counts(1)).as("nothing counted after close").isEqualTo(after);
        assertThat(group.processes()).isEmpty();
    }

    @Test
    void badInputGetsAClearError() throws Exception {
        assertThatThrownBy(() -> Cgroup.of(Path.of("/proc")))
                .isInstanceOf(BpfException.class).hasMessageContaining("is not a cgroup v2 directory");
        assertThatThrownBy(() -> Cgroup.of(Path.of("/nonexistent/cg")))
                .isInstanceOf(BpfException.NotFoundException.class);
        assertThatThrownBy(() -> CgroupLink.attach(obj.program("cg_ingress"), group, AttachType.XDP))
                .isInstanceOf(BpfException.class).hasMessageContaining("XDP is not a cgroup hook");
        try (BpfObject xdp = ObjectSpec.fromResource(CgroupLinkTest.class, "/bpf/xdp_test.bpf.o").load()) {
            assertThatThrownBy(() -> CgroupLink.attach(xdp.program("xdp_pass_all"), group, AttachType.CGROUP_INET_EGRESS))
                    .isInstanceOf(BpfException.class).hasMessageContaining("is XDP, cgroup hook CGROUP_INET_EGRESS needs a CGROUP_SKB program");
        }
    }
}
