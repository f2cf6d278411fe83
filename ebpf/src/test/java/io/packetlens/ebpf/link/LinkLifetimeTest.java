package io.packetlens.ebpf.link;

import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.cgroup.Cgroup;
import io.packetlens.ebpf.features.Features;
import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Syscalls;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
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
 * Kernels without tcx (before 6.6) put TC programs in clsact filters instead, which by design outlive their process
 * until someone deletes them: checked as such there.
 */
@KernelTest
class LinkLifetimeTest {
    private static Lab lab;
    private static Host b;
    private static Cgroup group;
    private static TestCgroup2 cgroup2;

    @BeforeAll
    static void setUp() {
        lab = Lab.create();
        b = lab.b();
        cgroup2 = TestCgroup2.open();
        group = cgroup2.root().child("pl-" + ProcessHandle.current().pid() + "-lifetime");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (group != null) group.delete();
        if (cgroup2 != null) cgroup2.close();
        if (lab != null) lab.close();
    }

    /** Whether the child uses tcx links (else clsact filters, or no TC hook when pinning); the probe must match the version. */
    private static boolean tcx() {
        assertThat(Features.hasTcx()).as("tcx probe on %s", KernelVersion.current()).isEqualTo(KernelVersion.current().atLeast(6, 6));
        return Features.hasTcx();
    }

    /**
     * A JVM running {@link LinkChild} in {@code host}'s network namespace, with this JVM's class path plus the library
     * and its tests (which surefire puts on the module path, patched into io.packetlens.ebpf; the child takes them as
     * plain class path).
     */
    private static Process child(Host host, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        String classPath = String.join(File.pathSeparator, System.getProperty("java.class.path"), location(ObjectSpec.class),
                location(LinkChild.class));
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + host.namespace(), java,
                "--enable-native-access=ALL-UNNAMED", "-cp", classPath, LinkChild.class.getName()));
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
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
            boolean tcx = tcx();
            // while it lives, everything is in place
            assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.DRIVER)).contains(ids.get(0));
            TcInfo in = b.call(() -> TcLink.query("veth0", TcDirection.INGRESS)), out = b.call(() -> TcLink.query("veth0", TcDirection.EGRESS));
            assertThat(tcx ? in.tcxProgramIds() : in.filters().stream().map(TcInfo.Filter::programId).toList()).containsExactly(ids.get(1));
            assertThat(tcx ? out.tcxProgramIds() : out.filters().stream().map(TcInfo.Filter::programId).toList()).containsExactly(ids.get(2));
            assertThat(cgroupPrograms()).contains("\"id\":" + ids.get(3));
            assertThat(Leftovers.linkedPrograms(b)).contains(ids.get(0), ids.get(3), ids.get(4), ids.get(5));
            if (tcx) assertThat(Leftovers.linkedPrograms(b)).contains(ids.get(1), ids.get(2));
            assertThat(ids).allSatisfy(id -> assertThat(programExists(id)).isTrue());

            p.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(128 + 9);

            if (!tcx) {
                // clsact filters are not links: they stay (as TcLink.detachesOnExit() says) until deleted
                assertThat(b.call(() -> TcLink.query("veth0", TcDirection.INGRESS)).programIds()).containsExactly(ids.get(1));
                assertThat(b.call(() -> TcLink.query("veth0", TcDirection.EGRESS)).programIds()).containsExactly(ids.get(2));
                b.exec("tc", "qdisc", "del", "dev", "veth0", "clsact");
            }
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
            boolean tcx = tcx();
            assertThat(ids).hasSize(tcx ? 3 : 1); // without tcx there is no TC link to pin

            // the process is gone, the pinned links are not
            assertThat(b.call(() -> XdpLink.query("veth0")).programId(XdpMode.DRIVER)).contains(ids.get(0));
            if (tcx) {
                assertThat(b.call(() -> TcLink.query("veth0", TcDirection.INGRESS)).tcxProgramIds()).containsExactly(ids.get(1));
                assertThat(b.call(() -> TcLink.query("veth0", TcDirection.EGRESS)).tcxProgramIds()).containsExactly(ids.get(2));
            }

            for (String pin : tcx ? List.of("xdp", "tcx_ingress", "tcx_egress") : List.of("xdp")) {
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
