package io.packetlens.agent;

import io.packetlens.config.ConfigException;
import io.packetlens.guard.GuardCompileException;
import io.packetlens.guard.GuardOptions;
import io.packetlens.guard.GuardProgram;
import io.packetlens.guard.rules.RuleSet;
import io.packetlens.guard.rules.RulesReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The guard as a part of the agent: its program attached to the configured interfaces, its rules reloaded when the
 * rules file changes or on SIGHUP (a file that does not read or a ruleset that does not fit is refused, logged and
 * counted, and the rules in force stay), expired table entries removed, and its snapshot for the read model. Pinned
 * by default: when the agent ends, the rules stay in force.
 */
final class GuardPart implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("packetlens.guard");
    private static final long EXPIRE_EVERY_NANOS = 5_000_000_000L;

    private final GuardConfig config;
    private final GuardProgram program;
    private final boolean existedBefore;
    private final AtomicBoolean reloadRequested = new AtomicBoolean();
    private FileTime rulesModified;
    private long lastExpire = System.nanoTime();
    private long reloads = 1, reloadFailures;
    private String lastError;

    private GuardPart(GuardConfig config, GuardProgram program, boolean existedBefore) {
        this.config = config;
        this.program = program;
        this.existedBefore = existedBefore;
        this.rulesModified = modified();
    }

    /**
     * Loads the guard with the configured rules (pinned under {@code pin} unless process-scoped), its debug prints on for
     * the kernel debug log of tag {@code debugTag} (0: off); attaches nothing yet.
     */
    static GuardPart load(GuardConfig config, Path pin, Path chainRoot, int debugTag) {
        GuardOptions options = config.processScoped() ? GuardOptions.unpinned() : GuardOptions.pinned(pin);
        options = options.sampleEvery(config.sampleEvery()).chainRoot(chainRoot).debugTag(debugTag);
        boolean existed = !config.processScoped() && Files.exists(pin.resolve("guard_active"));
        GuardProgram p = GuardProgram.load(config.effective(config.rules()), options);
        return new GuardPart(config, p, existed);
    }

    GuardProgram program() {
        return program;
    }

    /** Attaches at the configured hook on every interface, entering each one's network namespace. */
    void attach(List<InterfaceSpec> interfaces) {
        for (InterfaceSpec i : interfaces) {
            i.runIn("attach the guard", () -> {
                if (config.hook() == GuardProgram.Hook.XDP) program.attachXdp(i.netns(), i.name(), config.xdpMode());
                else program.attachTc(i.name());
            });
        }
    }

    /** Asks for a reload at the next poll (SIGHUP). */
    void requestReload() {
        reloadRequested.set(true);
    }

    /** Called every poll: reloads the rules if asked to or if the file changed; removes expired entries now and then. */
    void tick() {
        if (config.rulesFile() != null) {
            FileTime m = modified();
            boolean changed = m != null && !m.equals(rulesModified);
            if (reloadRequested.getAndSet(false) || changed) {
                rulesModified = m;
                reload();
            }
        }
        long now = System.nanoTime();
        if (now - lastExpire >= EXPIRE_EVERY_NANOS) {
            program.expire();
            lastExpire = now;
        }
    }

    /** Reads the rules file again and installs it; a bad file or a ruleset that does not fit leaves the rules in force. */
    synchronized boolean reload() {
        RuleSet rules;
        try {
            rules = RulesReader.read(config.rulesFile());
        } catch (ConfigException e) {
            return refused("the rules file " + config.rulesFile() + " was not loaded, the rules in force stay: " + e.getMessage());
        }
        try {
            long g = program.install(config.effective(rules));
            reloads++;
            lastError = null;
            LOG.log(System.Logger.Level.INFO, "guard: rules from " + config.rulesFile() + " in force (generation " + g + ")");
            return true;
        } catch (GuardCompileException e) {
            return refused("the rules in " + config.rulesFile() + " do not fit, the rules in force stay: " + e.getMessage());
        }
    }

    private boolean refused(String message) {
        reloadFailures++;
        lastError = message;
        LOG.log(System.Logger.Level.WARNING, "guard: " + message);
        return false;
    }

    private FileTime modified() {
        try {
            return config.rulesFile() == null ? null : Files.getLastModifiedTime(config.rulesFile());
        } catch (java.io.IOException e) {
            return null; // being replaced, or gone: the rules in force stay, and a later poll sees the new file
        }
    }

    synchronized GuardSnapshot snapshot() {
        GuardProgram.RuleCounters rules = program.ruleCounters();
        return new GuardSnapshot(program.generation(), program.activeRules().dryRun(), rules, program.reasons(), program.tables(),
                program.bans(), program.topDroppedSources(10), program.connections().counters(), reloads, reloadFailures, lastError);
    }

    boolean pinned() {
        return !config.processScoped();
    }

    /** After a failed start: removes what this start pinned (a guard that was in force before stays). */
    void undoStart() {
        if (config.processScoped() || !existedBefore) program.stop();
        else program.close();
    }

    /** Ends for good: detached, pins removed. */
    void stop() {
        program.stop();
    }

    /** Lets go: a pinned guard stays in force, a process-scoped one detaches. */
    @Override
    public void close() {
        program.close();
    }
}
