package io.packetlens.agent;

import io.packetlens.ebpf.netns.NetworkNamespace;

import java.util.Objects;

/**
 * An interface the agent watches: its name, and the network namespace it lives in ({@code ip netns} name or a path
 * such as {@code /proc/PID/ns/net}; null for the agent's own). In a configuration: {@code eth0}, or
 * {@code {name: veth0, netns: lab-b}}.
 */
public record InterfaceSpec(String name, String netns) {
    public InterfaceSpec {
        Objects.requireNonNull(name);
        if (name.isBlank()) throw new IllegalArgumentException("interface name is empty");
    }

    public static InterfaceSpec of(String name) {
        return new InterfaceSpec(name, null);
    }

    /**
     * Runs {@code task} on a thread in this interface's network namespace (on the caller's when it has none); what
     * stops it other than a RuntimeException is wrapped, naming {@code what} and the interface.
     */
    void runIn(String what, Runnable task) {
        if (netns == null) {
            task.run();
            return;
        }
        try {
            NetworkNamespace.of(netns).call(() -> {
                task.run();
                return null;
            });
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(what + " on " + this + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return netns == null ? name : name + " (netns " + netns + ")";
    }
}
