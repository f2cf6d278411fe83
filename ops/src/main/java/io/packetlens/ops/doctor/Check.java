package io.packetlens.ops.doctor;

/**
 * One line of {@code packetlens doctor}: what was checked, what was found, and how to fix it if it is not as it
 * should be.
 *
 * @param name      a stable key ({@code kernel}, {@code btf}, {@code ringbuf}, {@code tcx}, {@code xdp-native:veth0} ...)
 * @param available for yes/no questions (does the kernel have tcx?), the answer; null for the others
 * @param detail    what was found, for people
 * @param fix       what to do, when the status is not OK (null otherwise)
 */
public record Check(String name, Status status, Boolean available, String detail, String fix) {

    /** How a check came out. */
    public enum Status {
        /** Works as packetlens prefers. */
        OK,
        /** Missing, and packetlens uses something else that works (perf buffer for ring buffer, clsact for tcx ...). */
        FALLBACK,
        /** Works, but worth attention (slower, a limit that may bite). */
        WARN,
        /** Missing with no fallback: the features that need it will not work. */
        MISSING,
        /** For information: not something packetlens needs. */
        INFO
    }

    static Check ok(String name, Boolean available, String detail) {
        return new Check(name, Status.OK, available, detail, null);
    }
}
