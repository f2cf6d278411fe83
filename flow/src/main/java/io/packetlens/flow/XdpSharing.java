package io.packetlens.flow;

import io.packetlens.ebpf.link.XdpChain;
import io.packetlens.ebpf.link.XdpChainOptions;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the flow program's XDP entry point uses an interface's one XDP hook: alone (an XDP link of its own, the
 * cheapest), or as the flow member ({@link XdpChain#SLOT_FLOW}) of the interface's {@link XdpChain}, so that other
 * programs (the guard first of all) run on the same interface and the monitor counts what they pass. Joining a chain
 * costs a few tail calls per packet (measured in docs/XDP-CHAIN.md), so by default ({@link Policy#AUTO}) the monitor
 * joins only a chain that already exists and otherwise attaches alone.
 *
 * @param policy when to join the chain
 * @param chain  where chains are pinned ({@link XdpChainOptions#root()}); the dispatcher's mode is the attach mode
 */
public record XdpSharing(Policy policy, XdpChainOptions chain) {
    /** When the XDP entry point joins the interface's chain. */
    public enum Policy {
        /** Join the interface's chain if it has one (with its dispatcher attached), else attach alone. */
        AUTO,
        /** Always join the chain, creating it if needed: start the monitor this way when another program will come. */
        CHAIN,
        /** Always attach alone (an interface that has a chain then refuses, naming its dispatcher). */
        DIRECT
    }

    public static final XdpSharing AUTO = new XdpSharing(Policy.AUTO, XdpChainOptions.defaults());
    public static final XdpSharing CHAIN = new XdpSharing(Policy.CHAIN, XdpChainOptions.defaults());
    public static final XdpSharing DIRECT = new XdpSharing(Policy.DIRECT, XdpChainOptions.defaults());

    public XdpSharing {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(chain, "chain");
    }

    /** The same policy with chains pinned under {@code root} instead of {@link XdpChain#DEFAULT_ROOT}. */
    public XdpSharing root(Path root) {
        return new XdpSharing(policy, chain.root(root));
    }
}
