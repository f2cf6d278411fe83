package io.packetlens.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.packetlens.testkit.KernelTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@KernelTest
class LabLifecycleTest {

    private static final String PREFIX = "plt-" + ProcessHandle.current().pid();

    @Test
    void createsTwoConfiguredNamespacesAndCloseRemovesThem() throws Exception {
        Lab lab = Lab.create(PREFIX);
        try {
            assertThat(lab.prefix()).isEqualTo(PREFIX);
            assertThat(namespaces()).contains(PREFIX + "-a", PREFIX + "-b");

            Host a = lab.a();
            Host b = lab.b();
            assertThat(a.namespace()).isEqualTo(PREFIX + "-a");
            assertThat(b.namespace()).isEqualTo(PREFIX + "-b");
            assertThat(List.of(a.ifname(), b.ifname())).containsOnly("veth0");
            assertThat(a.ifindex()).isPositive();
            assertThat(a.mac()).isEqualTo(Lab.MAC_A);
            assertThat(b.mac()).isEqualTo(Lab.MAC_B);
            assertThat(List.of(a.ipv4(), a.ipv6(), b.ipv4(), b.ipv6()))
                    .containsExactly("10.199.0.1", "fd00:199::1", "10.199.0.2", "fd00:199::2");

            assertThat(a.exec("ip", "-o", "address", "show", "dev", "veth0"))
                    .contains("10.199.0.1/24", "fd00:199::1/64");
            assertThat(a.exec("ip", "neighbour", "show", "dev", "veth0"))
                    .contains("10.199.0.2 lladdr " + Lab.MAC_B + " PERMANENT")
                    .contains("fd00:199::2 lladdr " + Lab.MAC_B + " PERMANENT");
            assertThat(b.exec("ip", "-o", "link", "show", "dev", "veth0")).contains("state UP").contains("NOARP");
            assertThat(b.exec("cat", "/proc/sys/net/ipv6/conf/veth0/router_solicitations",
                    "/proc/sys/net/ipv6/conf/veth0/accept_ra", "/proc/sys/net/ipv6/conf/veth0/accept_dad",
                    "/proc/sys/net/ipv6/conf/all/accept_ra").split("\\s+")).containsOnly("0");
        } finally {
            lab.close();
        }
        assertThat(namespaces()).doesNotContain(PREFIX + "-a", PREFIX + "-b");
        assertThat(Netns.path(PREFIX + "-a")).doesNotExist();
        assertThat(Netns.path(PREFIX + "-b")).doesNotExist();
        lab.close(); // idempotent
    }

    @Test
    void callRunsInsideTheNamespaceOnAThrowAwayThread() throws Exception {
        try (Lab lab = Lab.create(PREFIX)) {
            Host a = lab.a();
            // NetworkInterface asks the kernel again on each getter, so everything is read inside the call
            String insideMac = a.call(() -> {
                NetworkInterface inside = NetworkInterface.getByName("veth0");
                assertThat(inside).isNotNull();
                assertThat(inside.getIndex()).isEqualTo(a.ifindex());
                return HexFormat.ofDelimiter(":").formatHex(inside.getHardwareAddress());
            });
            assertThat(insideMac).isEqualTo(a.mac());

            NetworkInterface outside = NetworkInterface.getByName("veth0");
            if (outside != null) { // the machine may have its own veth0; it must not be ours
                assertThat(HexFormat.ofDelimiter(":").formatHex(outside.getHardwareAddress())).isNotEqualTo(a.mac());
            }

            Thread worker = a.call(Thread::currentThread);
            assertThat(worker).isNotSameAs(Thread.currentThread());
            worker.join(5_000);
            assertThat(worker.isAlive()).isFalse();
            assertThat(a.call(Thread::currentThread)).isNotSameAs(worker);

            assertThat(a.snmp()).containsKeys("Ip.OutRequests", "Udp.OutDatagrams", "Tcp.OutSegs", "Icmp.OutMsgs",
                    "Ip6OutRequests", "Udp6OutDatagrams", "Icmp6OutMsgs");
        }
    }

    @Test
    void callPropagatesTheTasksExceptionUnwrapped() throws Exception {
        try (Lab lab = Lab.create(PREFIX)) {
            IOException boom = new IOException("boom");
            assertThatThrownBy(() -> lab.a().call(() -> {
                throw boom;
            })).isSameAs(boom);
            assertThatThrownBy(() -> lab.b().run(() -> {
                throw new IllegalArgumentException("bad");
            })).isInstanceOf(IllegalArgumentException.class).hasMessage("bad");
            assertThatThrownBy(() -> lab.a().exec("false")).isInstanceOf(CommandFailedException.class);
            assertThatThrownBy(() -> lab.a().exec("ls", "/no/such/path"))
                    .isInstanceOf(CommandFailedException.class).hasMessageContaining("No such file");
        }
    }

    @Test
    void closeKillsStartedProcesses() throws Exception {
        Process sleeper;
        try (Lab lab = Lab.create(PREFIX)) {
            sleeper = lab.b().start("sleep", "60");
            assertThat(sleeper.isAlive()).isTrue();
            assertThat(lab.b().exec("ip", "netns", "identify", Long.toString(sleeper.pid())).strip())
                    .isEqualTo(lab.b().namespace());
        }
        assertThat(sleeper.isAlive()).isFalse();
        assertThat(namespaces()).doesNotContain(PREFIX + "-a", PREFIX + "-b");
    }

    @Test
    void leftoverNamespacesAreReplacedAndTheirProcessesKilled() throws Exception {
        Commands.run(Commands.ip("netns", "add", PREFIX + "-a"));
        Process orphan = new ProcessBuilder(Commands.ip("netns", "exec", PREFIX + "-a", "sleep", "60")).start();
        try {
            waitUntilInside(PREFIX + "-a", orphan);
            try (Lab lab = Lab.create(PREFIX)) {
                assertThat(lab.a().exec("ip", "-o", "link", "show", "dev", "veth0")).contains(Lab.MAC_A);
                assertThat(orphan.waitFor(5, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(namespaces()).doesNotContain(PREFIX + "-a", PREFIX + "-b");
        } finally {
            orphan.destroyForcibly();
        }
    }

    @Test
    void removeStaleDeletesDefaultPrefixNamespacesOfDeadJvms() throws Exception {
        String stale = "pl-999999999-b"; // above any pid_max, so never a live process
        Commands.run(Commands.ip("netns", "add", stale));
        Process orphan = new ProcessBuilder(Commands.ip("netns", "exec", stale, "sleep", "60")).start();
        try (Lab live = Lab.create()) {
            waitUntilInside(stale, orphan);
            assertThat(Lab.removeStale()).contains(stale).doesNotContain(live.a().namespace(), live.b().namespace());
            assertThat(namespaces()).doesNotContain(stale).contains(live.a().namespace());
            assertThat(orphan.waitFor(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            orphan.destroyForcibly();
            Commands.exec(Commands.ip("netns", "delete", stale), java.time.Duration.ofSeconds(5));
        }
    }

    @Test
    void execTimesOut() throws Exception {
        try (Lab lab = Lab.create(PREFIX)) {
            assertThatThrownBy(() -> lab.a().exec(java.time.Duration.ofMillis(300), "sleep", "10"))
                    .isInstanceOf(IOException.class).hasMessageContaining("did not finish");
            assertThat(lab.a().exec("echo", "hi")).isEqualTo("hi\n");
        }
    }

    /** `ip netns exec` has to start before `ip netns pids` can see the process inside. */
    private static void waitUntilInside(String ns, Process process) throws Exception {
        for (int i = 0; i < 100; i++) {
            if (Commands.run(Commands.ip("netns", "pids", ns)).lines().anyMatch(Long.toString(process.pid())::equals)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("process " + process.pid() + " never entered " + ns);
    }

    @Test
    void invalidPrefixFailsWithStderrAndLeavesNothing() {
        List<String> before = namespacesOfThisProcess();
        assertThatThrownBy(() -> Lab.create("bad/name"))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("Invalid netns name");
        assertThat(namespacesOfThisProcess()).isEqualTo(before);
        // the prefix is free again: a failed lab does not stay registered as open
        assertThatThrownBy(() -> Lab.create("bad/name")).isInstanceOf(CommandFailedException.class);
    }

    @Test
    void failureHalfWayRemovesEverythingCreatedSoFar() {
        List<String> before = namespacesOfThisProcess();
        List<List<String>> seenAtFailure = new java.util.ArrayList<>();
        assertThatThrownBy(() -> Lab.create(PREFIX, command -> {
            if (command.contains("neighbour")) {
                seenAtFailure.add(namespaces());
                throw new UncheckedIOException(new IOException("injected failure"));
            }
        })).hasRootCauseMessage("injected failure");
        assertThat(seenAtFailure).singleElement().asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                .contains(PREFIX + "-a", PREFIX + "-b");
        assertThat(namespacesOfThisProcess()).isEqualTo(before);
    }

    @Test
    void samePrefixCannotBeOpenedTwiceButDefaultPrefixesDoNotCollide() throws Exception {
        String pid = Long.toString(ProcessHandle.current().pid());
        try (Lab first = Lab.create(); Lab second = Lab.create()) {
            assertThat(first.prefix()).isEqualTo("pl-" + pid);
            assertThat(second.prefix()).isEqualTo("pl-" + pid + "-2");
            assertThatThrownBy(() -> Lab.create(first.prefix())).isInstanceOf(IllegalStateException.class);
            // the refused create must not have touched the live lab
            assertThat(Files.exists(Netns.path(first.a().namespace()))).isTrue();
            assertThat(Traffic.ping(first.a(), first.b(), false, 1).packets()).isEqualTo(1);
        }
        assertThat(namespaces()).noneMatch(ns -> ns.startsWith("pl-" + pid));
    }

    /** A lab namespace name with the pid of the process that made it: {@code <prefix>-<pid>[-<n>]-<a|b>}. */
    private static final java.util.regex.Pattern LAB_OF_PID = java.util.regex.Pattern.compile("[a-z]+-(\\d+)(?:-\\d+)?-[ab]");

    /**
     * {@link #namespaces()} without the labs of other processes: other test JVMs on the same machine create and remove
     * theirs at any moment, so before/after comparisons must not see them.
     */
    static List<String> namespacesOfThisProcess() {
        long me = ProcessHandle.current().pid();
        return namespaces().stream().filter(n -> {
            java.util.regex.Matcher m = LAB_OF_PID.matcher(n);
            return !m.matches() || Long.parseLong(m.group(1)) == me;
        }).toList();
    }

    static List<String> namespaces() {
        try {
            return Commands.run(Commands.ip("netns", "list")).lines()
                    .map(line -> line.split("\\s+")[0])
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
