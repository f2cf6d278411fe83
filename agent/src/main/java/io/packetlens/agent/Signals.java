package io.packetlens.agent;

/**
 * SIGHUP for "reload": without a handler the JVM treats it as a request to exit. Uses the JDK's signal API
 * (jdk.unsupported's sun.misc.Signal), the one way a Java process can take a signal and carry on.
 */
final class Signals {
    private Signals() {}

    /** Runs {@code action} (on a signal thread) whenever the process gets SIGHUP. */
    @SuppressWarnings("removal")
    static void onHangup(Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> action.run());
        } catch (IllegalArgumentException unsupported) {
            System.getLogger("packetlens.agent").log(System.Logger.Level.WARNING,
                    "SIGHUP cannot be handled here; the rules file is still reloaded when it changes");
        }
    }
}
