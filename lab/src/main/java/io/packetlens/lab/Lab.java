package io.packetlens.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two network namespaces, {@code <prefix>-a} and {@code <prefix>-b}, joined by a veth pair that carries nothing but the
 * traffic a test sends, so packet counters can be checked exactly. Closing it (or JVM shutdown) removes everything it
 * created.
 *
 * <p>Silence comes from: permanent neighbour entries (no ARP/NDP), {@code accept_ra=0}, {@code router_solicitations=0},
 * {@code accept_dad=0}, {@code dad_transmits=0} and {@code nodad} addresses (no RS, no DAD), and {@code arp off} on
 * {@code veth0}. The last one silences MLD: on an IFF_NOARP device the kernel joins no solicited-node multicast groups,
 * and the all-nodes group is never reported, so there is no MLD report to send ({@code multicast off} does not stop them).
 * The cost: another address on the link (e.g. the peer's fe80:: one) is reachable only after adding a neighbour entry
 * for it, because without one the kernel sends a NOARP device's frames to its own MAC.
 */
public final class Lab implements AutoCloseable {

    static final String IFNAME = "veth0";
    static final String MAC_A = "02:00:0a:c7:00:01";
    static final String MAC_B = "02:00:0a:c7:00:02";
    static final String IPV4_A = "10.199.0.1";
    static final String IPV4_B = "10.199.0.2";
    static final String IPV6_A = "fd00:199::1";
    static final String IPV6_B = "fd00:199::2";

    /** Control-plane chatter a fresh IPv6 interface would otherwise send; set for all, default and veth0. */
    private static final List<String> IPV6_QUIET_SYSCTLS =
            List.of("accept_ra", "router_solicitations", "accept_dad", "dad_transmits");

    private static final Pattern DEFAULT_NAMESPACE = Pattern.compile("pl-(\\d+)(?:-\\d+)?-[ab]");

    private static final Pattern LINK_LINE = Pattern.compile("^(\\d+):\\s+" + IFNAME + "[@:].*link/ether\\s+([0-9a-f:]{17})");

    /** Prefixes of labs open in this JVM: create(prefix) deletes leftovers, and must never take a live lab for one. */
    private static final Set<String> OPEN = ConcurrentHashMap.newKeySet();

    private final String prefix;
    private final String nsA;
    private final String nsB;
    private final Consumer<List<String>> beforeStep;
    private final Thread shutdownHook;
    private final List<Process> processes = new ArrayList<>();
    private boolean closed;
    private volatile Host a;
    private volatile Host b;

    private Lab(String prefix, Consumer<List<String>> beforeStep) {
        this.prefix = prefix;
        this.nsA = prefix + "-a";
        this.nsB = prefix + "-b";
        this.beforeStep = beforeStep;
        this.shutdownHook = Thread.ofPlatform().name("lab-cleanup-" + prefix).unstarted(this::closeQuietly);
    }

    /**
     * Creates the lab with namespaces {@code <prefix>-a} and {@code <prefix>-b}, deleting leftovers of that name first. If
     * a step fails, whatever was created is removed and a {@link CommandFailedException} carrying the step's stderr is
     * thrown.
     *
     * @throws IllegalStateException if a lab with this prefix is already open in this JVM
     */
    public static Lab create(String prefix) throws IOException {
        return create(prefix, command -> {
        });
    }

    /**
     * Creates a lab with prefix {@code "pl-" + pid}; if a lab with that prefix is already open in this JVM, a suffix
     * {@code -2}, {@code -3}, ... is added so concurrent labs do not collide.
     *
     * @throws UncheckedIOException if setup fails
     */
    public static Lab create() {
        String base = "pl-" + ProcessHandle.current().pid();
        String prefix = base;
        for (int n = 2; !OPEN.add(prefix); n++) {
            prefix = base + "-" + n;
        }
        try {
            return createReserved(prefix, command -> {
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Test seam: {@code beforeStep} sees every setup command before it runs, and may throw to simulate its failure. */
    static Lab create(String prefix, Consumer<List<String>> beforeStep) throws IOException {
        if (!OPEN.add(prefix)) {
            throw new IllegalStateException("a lab with prefix " + prefix + " is already open in this JVM");
        }
        return createReserved(prefix, beforeStep);
    }

    private static Lab createReserved(String prefix, Consumer<List<String>> beforeStep) throws IOException {
        Lab lab;
        try {
            lab = new Lab(prefix, beforeStep);
            Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
        } catch (RuntimeException | Error e) {
            OPEN.remove(prefix);
            throw e;
        }
        try {
            lab.setUp();
            return lab;
        } catch (Throwable t) {
            try {
                lab.close();
            } catch (RuntimeException cleanup) {
                t.addSuppressed(cleanup);
            }
            throw t;
        }
    }

    /**
     * Removes the namespaces of default-prefix labs ({@code pl-<pid>...}) whose JVM no longer runs, e.g. because it was
     * killed with SIGKILL and its shutdown hook never ran, together with any process still inside them. Not done
     * automatically: a JVM in another pid namespace sharing {@code /run/netns} would look dead. Returns the names removed.
     */
    public static List<String> removeStale() throws IOException {
        List<String> removed = new ArrayList<>();
        if (!Files.isDirectory(Netns.NETNS_DIR)) {
            return removed;
        }
        List<String> names;
        try (var entries = Files.list(Netns.NETNS_DIR)) {
            names = entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
        for (String ns : names) {
            Matcher m = DEFAULT_NAMESPACE.matcher(ns);
            if (m.matches() && !isAlive(Long.parseLong(m.group(1)))) {
                killInside(ns);
                Commands.run(Commands.ip("netns", "delete", ns));
                removed.add(ns);
            }
        }
        return removed;
    }

    private static boolean isAlive(long pid) {
        return pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Kills processes left in a namespace by a lab that was killed before it could do so itself. */
    private static void killInside(String ns) {
        try {
            String pids = Commands.exec(Commands.ip("netns", "pids", ns), Duration.ofSeconds(10)).stdout();
            pids.lines().map(String::strip).filter(pid -> pid.matches("\\d+"))
                    .forEach(pid -> ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly));
        } catch (IOException e) {
            // nothing to kill is the usual case; a namespace that cannot be listed is deleted all the same
        }
    }

    private void setUp() throws IOException {
        for (String ns : List.of(nsA, nsB)) {
            if (Netns.exists(ns)) {
                killInside(ns);
                step(Commands.ip("netns", "delete", ns));
            }
        }
        step(Commands.ip("netns", "add", nsA));
        step(Commands.ip("netns", "add", nsB));
        // creating each end directly in its namespace avoids any name clash with the caller's namespace
        step(Commands.ip("link", "add", IFNAME, "netns", nsA, "address", MAC_A, "type", "veth",
                "peer", "name", IFNAME, "netns", nsB, "address", MAC_B));
        quietIpv6(nsA);
        quietIpv6(nsB);
        configure(nsA, IPV4_A, IPV6_A, IPV4_B, IPV6_B, MAC_B);
        configure(nsB, IPV4_B, IPV6_B, IPV4_A, IPV6_A, MAC_A);
        // both ends go up only when fully configured: from then on nothing may be sent that a test did not ask for
        step(Commands.ip("-n", nsA, "link", "set", IFNAME, "up"));
        step(Commands.ip("-n", nsB, "link", "set", IFNAME, "up"));
        a = describe(nsA, IPV4_A, IPV6_A);
        b = describe(nsB, IPV4_B, IPV6_B);
    }

    private void quietIpv6(String ns) throws IOException {
        List<String> conf = List.of("all", "default", IFNAME);
        try {
            // /proc/sys/net follows the writing thread's namespace, so no sysctl binary is needed
            Netns.call(ns, () -> {
                for (String c : conf) {
                    for (String key : IPV6_QUIET_SYSCTLS) {
                        Path file = Path.of("/proc/sys/net/ipv6/conf", c, key);
                        beforeStep.accept(List.of("write", "0", file.toString(), "in", ns));
                        Files.writeString(file, "0\n");
                    }
                }
                return null;
            });
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("setting IPv6 sysctls in " + ns, e);
        }
    }

    private void configure(String ns, String ipv4, String ipv6, String peerIpv4, String peerIpv6, String peerMac)
            throws IOException {
        step(Commands.ip("-n", ns, "link", "set", "lo", "up"));
        // IFF_NOARP is what silences MLD: the kernel joins no solicited-node groups on NOARP devices, so it has nothing
        // to report; the static neighbours below make ARP/NDP unnecessary anyway
        step(Commands.ip("-n", ns, "link", "set", IFNAME, "arp", "off"));
        step(Commands.ip("-n", ns, "address", "add", ipv4 + "/24", "dev", IFNAME));
        step(Commands.ip("-n", ns, "address", "add", ipv6 + "/64", "dev", IFNAME, "nodad"));
        step(Commands.ip("-n", ns, "neighbour", "replace", peerIpv4, "lladdr", peerMac, "dev", IFNAME, "nud", "permanent"));
        step(Commands.ip("-n", ns, "neighbour", "replace", peerIpv6, "lladdr", peerMac, "dev", IFNAME, "nud", "permanent"));
    }

    private Host describe(String ns, String ipv4, String ipv6) throws IOException {
        String line = step(Commands.ip("-n", ns, "-o", "link", "show", "dev", IFNAME)).strip();
        Matcher m = LINK_LINE.matcher(line);
        if (!m.find()) {
            throw new IOException("cannot parse `ip -o link show` output in " + ns + ": " + line);
        }
        return new Host(this, ns, IFNAME, Integer.parseInt(m.group(1)), m.group(2), ipv4, ipv6);
    }

    private String step(List<String> command) throws IOException {
        synchronized (processes) {
            // the shutdown hook may have cleaned up already; carrying on would recreate what it removed
            if (closed) {
                throw new IOException("lab " + prefix + " was closed during setup");
            }
        }
        beforeStep.accept(command);
        return Commands.run(command);
    }

    /** The host in namespace {@code <prefix>-a} (10.199.0.1, fd00:199::1). */
    public Host a() {
        return a;
    }

    /** The host in namespace {@code <prefix>-b} (10.199.0.2, fd00:199::2). */
    public Host b() {
        return b;
    }


    public String prefix() {
        return prefix;
    }

    Process track(Process process) {
        synchronized (processes) {
            if (!closed) {
                processes.add(process);
                return process;
            }
        }
        kill(List.of(process));
        throw new IllegalStateException("lab " + prefix + " is closed");
    }

    /**
     * Kills the processes the lab started, then deletes the veth pair and both namespaces. Idempotent; things already gone
     * are fine. Throws {@link UncheckedIOException} only if a namespace is still there afterwards.
     */
    @Override
    public void close() {
        List<Process> started;
        synchronized (processes) {
            if (closed) {
                return;
            }
            closed = true;
            started = List.copyOf(processes);
            processes.clear();
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to; it will find the lab closed
            }
        }
        try {
            kill(started);
            removeLink();
            List<String> failures = new ArrayList<>();
            for (String ns : List.of(nsA, nsB)) {
                removeNamespace(ns, failures);
            }
            if (!failures.isEmpty()) {
                throw new UncheckedIOException(new IOException("lab " + prefix + " not fully removed: " + String.join("; ", failures)));
            }
        } finally {
            OPEN.remove(prefix);
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("packetlens lab cleanup: " + e.getMessage());
        }
    }

    private static void kill(List<Process> started) {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : started) {
            try {
                if (!p.waitFor(2, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }

    /**
     * Deleting the namespaces would remove the pair too, but only once nothing references them; a stuck thread or process
     * inside would keep the veth alive, so delete it explicitly. Either end takes its peer with it.
     */
    private void removeLink() {
        for (String ns : List.of(nsA, nsB)) {
            if (Netns.exists(ns)) {
                try {
                    Commands.exec(Commands.ip("-n", ns, "link", "delete", IFNAME), Duration.ofSeconds(10));
                    return;
                } catch (IOException e) {
                    // already gone, or the namespace went with it: nothing to remove
                }
            }
        }
    }

    private static void removeNamespace(String ns, List<String> failures) {
        if (!Netns.exists(ns)) {
            return;
        }
        try {
            Commands.Result result = Commands.exec(Commands.ip("netns", "delete", ns), Duration.ofSeconds(10));
            if (Netns.exists(ns)) {
                failures.add(ns + ": " + (result.stderr().isBlank() ? "still present" : result.stderr().strip()));
            }
        } catch (IOException e) {
            failures.add(ns + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "Lab[" + prefix + ": " + a + " <-> " + b + "]";
    }
}
