package io.packetlens.ebpf.link;

import io.packetlens.ebpf.cgroup.Cgroup;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Syscalls;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.KernelTest;
import io.packetlens.lab.Lab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attachments outlive their process only when pinned: a child JVM that attached to every hook and is killed with
 * SIGKILL leaves nothing attached, and one that pinned its links leaves them for a later process to reopen and detach.
 */
@KernelTest
class LinkLifetimeTest {
    private static Lab lab;
    private static Host b;
    private static Cgroup group;

    @BeforeAll
    static void setUp() {
        lab = Lab.create();
        b = lab.b();
        group = Cgroup.findRoot().orElseThrow(() -> new AssertionError("no cgroup2 mounted"))
                .child("pl-" + ProcessHandle.current().pid() + "-lifetime");
    }

    @AfterAll
    static void tearDown() {
        if (group != null) group.delete();
        if (lab != null) lab.close();
    }

    /** A JVM running {@link LinkChild} in {@code host}'s network namespace, with this JVM's class path. */
    private static Process child(Host host, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + host.namespace(), java,
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), LinkChild.class.getName()));
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** The child's line starting with {@code prefix}, as program ids; fails with the child's output if it never comes. */
    private static List<Integer> await(Process p, String prefix) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
        StringBuilder seen = new StringBuilder();
        CompletableFuture<List<Integer>> line = CompletableFuture.supplyAsync(() -> {
            try {
                for (String l; (l = r.readLine()) != null; ) {
                    seen.append(l).append('\n');
                    if (l.startsWith(prefix + " ")) {
                        return Arrays.stream(l.substring(prefix.length() + 1).split(" ")).map(Integer::valueOf).toList();
                    }
                }
                return null;
            } catch (Exception e) {
                return null;
            }
        });
        List<Integer> ids = line.get(60, TimeUnit.SECONDS);
        if (ids == null) throw new AssertionError("child never printed '" + prefix + "':\n" + seen);
        return ids;
    }

    private static boolean programExists(int id) {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.GetId.ID, id);
        int fd = Syscalls.bpf(BpfCmd.PROG_GET_FD_BY_ID, a, BpfAttr.GetId.SIZE);
        if (fd >= 0) Syscalls.close(fd);
        return fd >= 0;
    }

    /** Programs are freed asynchronously (RCU, work queues) after their last reference goes. */
    private static void awaitGone(List<Integer> ids) throws InterruptedException {
        for (int i = 0; i < 250 && ids.stream().anyMatch(LinkLifetimeTest::programExists); i++) Thread.sleep(20);
        assertThat(ids.stream().filter(LinkLifetimeTest::programExists).toList()).as("programs still referenced by an attachment").isEmpty();
    }

    private static String cgroupPrograms() throws Exception {
        return CgroupLinkTest.run("bpftool", "-j", "cgroup", "show", group.path().toString()).strip();
    }

    @Test
    void sigkillOfAProcessThatAttachedWithoutPinningLeavesNothingAttached() throws Exception {
        Process p = child(b, "hold", group.path().toString());
        try {
            List<Integer> ids = await(p, "attached");
            assertThat(ids).hasSize(8);
            // while it lives, everything is in place
            assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.DRIVER)).contains(ids.get(0));
            assertThat(b.call(() -> TcLink.query("veth0", TcDirection.INGRESS)).tcxProgramIds()).containsExactly(ids.get(1));
            assertThat(b.call(() -> TcLink.query("veth0", TcDirection.EGRESS)).tcxProgramIds()).containsExactly(ids.get(2));
            assertThat(cgroupPrograms()).contains("\"id\":" + ids.get(3));
            assertThat(Leftovers.linkedPrograms(b)).contains(ids.get(0), ids.get(1), ids.get(2), ids.get(3), ids.get(4), ids.get(5));
            assertThat(ids).allSatisfy(id -> assertThat(programExists(id)).isTrue());

            p.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(128 + 9);

            Leftovers.assertNothingAttached(b);
            assertThat(cgroupPrograms()).isIn("[]", "");
            assertThat(Leftovers.linkedPrograms(b)).doesNotContainAnyElementsOf(ids);
            // the strongest check: no attachment anywhere still holds any of the child's programs
            awaitGone(ids);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aPinnedLinkOutlivesItsProcessAndALaterProcessDetachesIt() throws Exception {
        Path dir = Bpffs.mountPrivate(Files.createTempDirectory("pl-pins"));
        try {
            Process p = child(b, "pin", dir.toString());
            List<Integer> ids = await(p, "pinned");
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();

            // the process is gone, the pinned links are not
            assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.DRIVER)).contains(ids.get(0));
            assertThat(b.call(() -> TcLink.query("veth0", TcDirection.INGRESS)).tcxProgramIds()).containsExactly(ids.get(1));
            assertThat(b.call(() -> TcLink.query("veth0", TcDirection.EGRESS)).tcxProgramIds()).containsExactly(ids.get(2));

            for (String pin : List.of("xdp", "tcx_ingress", "tcx_egress")) {
                try (Link link = Link.openPinned(dir.resolve(pin))) {
                    assertThat(link.isBpfLink()).isTrue();
                    link.detach();
                }
                Files.delete(dir.resolve(pin));
            }
            Leftovers.assertNothingAttached(b);
            awaitGone(ids);
        } finally {
            Bpffs.unmount(dir);
            Files.deleteIfExists(dir);
        }
    }
}
