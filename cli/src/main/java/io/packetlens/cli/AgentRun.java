package io.packetlens.cli;

import io.packetlens.agent.Agent;
import io.packetlens.agent.AgentConfig;
import io.packetlens.agent.AgentSnapshot;

import java.io.PrintStream;
import java.time.Duration;

/**
 * Runs an agent from a command: starts it (nothing is attached if that fails), polls until the duration ends or
 * Ctrl-C / SIGTERM, stops it in order and prints the summary. The duration counts from attach.
 */
final class AgentRun {
    private AgentRun() {}

    /** Runs to the end; {@code unpin} ends a pinned agent for good (detach, drain, remove the pins). */
    static AgentSnapshot run(AgentConfig config, AgentConsole console, PrintStream out, boolean json, int durationSeconds,
                             boolean unpin, String banner) throws InterruptedException {
        try (Shutdown shutdown = Shutdown.install()) {
            Agent agent = Agent.start(config, console);
            shutdown.register(agent);
            shutdown.whenRequested(agent::requestStop);
            console.attachedTo(agent);
            try (agent) {
                if (!json && banner != null) {
                    boolean fallback = agent.monitor() != null && agent.monitor().fallback();
                    out.println(banner + (fallback ? " -- FALLBACK: counting from AF_PACKET in user space (see the warning)" : ""));
                    if (agent.metricsPort() >= 0) {
                        out.println("metrics: http://" + config.metrics().getHostString() + ":" + agent.metricsPort() + "/metrics");
                    }
                }
                long deadline = durationSeconds == 0 ? Long.MAX_VALUE / 2 + System.nanoTime()
                        : System.nanoTime() + Duration.ofSeconds(durationSeconds).toNanos();
                if (!unpin) agent.runUntil(deadline);
                AgentSnapshot fin = unpin ? agent.stopAndUnpin() : agent.stop();
                console.summary(fin);
                return fin;
            }
        }
    }
}
