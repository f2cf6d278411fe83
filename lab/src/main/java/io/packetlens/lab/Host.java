package io.packetlens.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One end of a {@link Lab}: a network namespace holding the {@code veth0} end of the pair, with its addresses, and ways
 * to run Java code and commands inside it.
 */
public final class Host {

    private final Lab lab;
    private final String namespace;
    private final String ifname;
    private final int ifindex;
    private final String mac;
    private final String ipv4;
    private final String ipv6;

    Host(Lab lab, String namespace, String ifname, int ifindex, String mac, String ipv4, String ipv6) {
        this.lab = lab;
        this.namespace = namespace;
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.mac = mac;
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
    }

    /** The namespace name, as listed by {@code ip netns list}, e.g. {@code pl-1234-a}. */
    public String namespace() {
        return namespace;
    }

    /** The veth end's name inside this namespace: {@code veth0}. */
    public String ifname() {
        return ifname;
    }

    /** The ifindex of {@code veth0} inside this namespace (indexes are per namespace). */
    public int ifindex() {
        return ifindex;
    }

    /** The MAC address of {@code veth0}, lower case with colons. */
    public String mac() {
        return mac;
    }

    public String ipv4() {
        return ipv4;
    }

    public String ipv6() {
        return ipv6;
    }

    /**
     * Runs the task on a fresh platform thread that has joined this namespace, so sockets, netlink and bpf calls made by
     * that thread act here; exceptions propagate unwrapped. Threads the task starts itself (including virtual threads and
     * executors) stay in the caller's namespace; sockets, once created, keep their namespace on any thread. Objects that
     * re-query the kernel by name, such as {@link java.net.NetworkInterface}'s getters, must be used inside the task.
     */
    public <T> T call(Callable<T> task) throws Exception {
        return Netns.call(namespace, task);
    }

    /** {@link #call} for a task without a result. */
    public void run(Runnable task) throws Exception {
        call(() -> {
            task.run();
            return null;
        });
    }

    /**
     * Runs {@code ip netns exec <namespace> command...} and returns its stdout; throws {@link CommandFailedException} with
     * stderr on a non-zero exit, or an IOException if it runs longer than 60 s.
     */
    public String exec(String... command) throws IOException {
        return exec(Commands.DEFAULT_TIMEOUT, command);
    }

    /** {@link #exec(String...)} with a different limit on how long the command may run before it is killed. */
    public String exec(Duration timeout, String... command) throws IOException {
        return Commands.exec(inNamespace(command), timeout).orThrow();
    }

    /**
     * Starts a background command in this namespace; the lab kills it (and its descendants) on close. Its stdout and
     * stderr are pipes: read them, or redirect inside the command, or a chatty process will block once they fill.
     */
    public Process start(String... command) throws IOException {
        Process process = new ProcessBuilder(inNamespace(command)).redirectInput(Commands.NO_INPUT).start();
        return lab.track(process);
    }

    /**
     * {@link #start} that waits until the command prints a line containing {@code ready} on stderr (tcpdump's
     * "listening on", once its capture is open), at most {@code timeout}; stderr is drained from then on, stdout is
     * the caller's. A fixed head start instead can end before a loaded machine has the process ready.
     */
    public Process startAndAwait(String ready, Duration timeout, String... command) throws IOException, InterruptedException {
        Process p = start(command);
        CountDownLatch seen = new CountDownLatch(1);
        StringBuilder said = new StringBuilder();
        Thread.ofPlatform().daemon().name("stderr-" + command[0]).start(() -> {
            try (BufferedReader r = p.errorReader()) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (said) {
                        if (seen.getCount() > 0) said.append(line).append('\n');
                    }
                    if (line.contains(ready)) seen.countDown();
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        if (!seen.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            synchronized (said) {
                throw new IOException(command[0] + " did not say '" + ready + "' within " + timeout + " in " + namespace + ": " + said);
            }
        }
        return p;
    }

    /** The counters of {@code veth0}, from {@code /sys/class/net/veth0/statistics} as seen inside this namespace. */
    public LinkStats linkStats() throws IOException {
        String dir = "/sys/class/net/" + ifname + "/statistics/";
        // sysfs shows the namespace it was mounted in, not the thread's, so read it through `ip netns exec`, which remounts it
        String[] values = exec("cat", dir + "rx_packets", dir + "rx_bytes", dir + "tx_packets", dir + "tx_bytes")
                .strip().split("\\s+");
        if (values.length != 4) {
            throw new IOException("unexpected statistics for " + ifname + " in " + namespace + ": " + String.join(" ", values));
        }
        return new LinkStats(Long.parseLong(values[0]), Long.parseLong(values[1]),
                Long.parseLong(values[2]), Long.parseLong(values[3]));
    }

    /**
     * Counters of this namespace from {@code /proc/net/snmp} ("Ip.OutRequests", "Udp.OutDatagrams", "Tcp.OutSegs",
     * "Icmp.OutMsgs", ...) and {@code /proc/net/snmp6} ("Ip6OutRequests", "Udp6OutDatagrams", "Icmp6OutMsgs", ...).
     */
    public Map<String, Long> snmp() throws IOException {
        try {
            return call(Snmp::readCurrentThread);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("reading SNMP counters of " + namespace, e);
        }
    }

    private List<String> inNamespace(String... command) throws IOException {
        if (command.length == 0) {
            throw new IllegalArgumentException("empty command");
        }
        List<String> full = new ArrayList<>(Commands.ip("netns", "exec", namespace));
        full.addAll(List.of(command));
        return full;
    }

    @Override
    public String toString() {
        return namespace + "/" + ifname + "(#" + ifindex + " " + mac + " " + ipv4 + " " + ipv6 + ")";
    }
}
