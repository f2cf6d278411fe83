package io.packetlens.agent;

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

    @Override
    public String toString() {
        return netns == null ? name : name + " (netns " + netns + ")";
    }
}
