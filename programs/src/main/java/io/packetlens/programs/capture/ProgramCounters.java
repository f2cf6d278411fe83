package io.packetlens.programs.capture;

/**
 * The capture program's own counters, summed over CPUs.
 *
 * @param seen         frames the XDP program ran on
 * @param matched      frames that matched the filter
 * @param noSocket     steal mode: matching frames on a queue without an AF_XDP socket (passed to the stack)
 * @param mirrorLost   mirror mode: matching frames not copied because the ring buffer was full
 * @param mirrorCopied mirror mode: frames copied into the ring buffer
 */
public record ProgramCounters(long seen, long matched, long noSocket, long mirrorLost, long mirrorCopied) {
    public ProgramCounters minus(ProgramCounters o) {
        return new ProgramCounters(seen - o.seen, matched - o.matched, noSocket - o.noSocket, mirrorLost - o.mirrorLost, mirrorCopied - o.mirrorCopied);
    }
}
