package io.packetlens.agent;

import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.guard.GuardProgram;
import io.packetlens.guard.rules.RuleSet;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code guard:} section: the XDP firewall on its interfaces (the agent's when none are named), its rules (a file,
 * reloaded on change and on SIGHUP, or inline), and its lifetime: pinned by default, so that the rules stay in force
 * while no agent runs; {@code scope: process} ties it to the agent instead.
 *
 * @param interfaces    where it attaches; empty: the agent's interfaces
 * @param rulesFile     the rules file (null with inline rules)
 * @param rules         the rules as read at configuration time (from the file or inline)
 * @param dryRun        forces dry run whatever the rules say
 * @param processScoped detach when the agent ends instead of staying in force
 * @param sampleEvery   one drop in this many as a sample event (0: none)
 */
public record GuardConfig(List<InterfaceSpec> interfaces, GuardProgram.Hook hook, XdpMode xdpMode, Path rulesFile, RuleSet rules,
                          boolean dryRun, boolean processScoped, int sampleEvery) {
    /** Where a guard pins when the agent has no pin directory. */
    public static final Path DEFAULT_PIN = Path.of("/sys/fs/bpf/packetlens/guard");

    public GuardConfig {
        interfaces = List.copyOf(interfaces);
    }

    /** The rules with this section's dry-run override applied. */
    public RuleSet effective(RuleSet r) {
        return dryRun ? r.dryRun(true) : r;
    }

    /** The interfaces it attaches to, given the agent's. */
    public List<InterfaceSpec> interfacesOr(List<InterfaceSpec> agent) {
        return interfaces.isEmpty() ? agent : interfaces;
    }
}
