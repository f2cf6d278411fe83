package io.packetlens.bench;

import java.util.function.Supplier;

/**
 * One way to read the whole map. {@code warmUp} runs untimed first and must prove the method
 * reads every entry; {@code timed} is what the rounds measure. They are the same for the Java
 * readers (which verify every round); for bpftool the warm-up pipes and counts its output and
 * the timed runs write to /dev/null, returning null.
 *
 * @param name          label in the report
 * @param childProcess  whether the work happens in a child process (its CPU time is then the children's)
 */
record Method(String name, boolean childProcess, Supplier<DumpCount> warmUp, Supplier<DumpCount> timed) {

    static Method inProcess(String name, Supplier<DumpCount> dump) {
        return new Method(name, false, dump, dump);
    }
}
