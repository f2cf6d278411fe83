package io.packetlens.ebpf.info;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Run counts and run time of a set of programs, by id, read from the kernel each time {@link #read()} is called (one
 * GET_FD_BY_ID and one OBJ_GET_INFO_BY_FD per program; no fd is kept, so this never keeps a program alive). For an
 * agent's own programs as metrics; the numbers only grow while statistics are on ({@link BpfStats}).
 */
public final class ProgramStatsReader {
    /** One program's counters: {@code runTimeNs} and {@code runCount} are cumulative since it was loaded. */
    public record Sample(int id, String name, String type, long runCount, long runTimeNs, long recursionMisses) {}

    private volatile List<Integer> ids;

    public ProgramStatsReader(Collection<Integer> ids) {
        this.ids = List.copyOf(ids);
    }

    /** Replaces the programs read (after a reload gave them new ids). */
    public void programs(Collection<Integer> ids) {
        this.ids = List.copyOf(ids);
    }

    public List<Integer> programs() {
        return ids;
    }

    /** The counters of every program of the set that still exists. */
    public List<Sample> read() {
        List<Sample> out = new ArrayList<>(ids.size());
        for (int id : ids) {
            Optional<ProgramInfo> p = KernelObjects.program(id);
            p.ifPresent(i -> out.add(new Sample(i.id(), i.name(), i.typeName(), i.runCount(), i.runTimeNs(), i.recursionMisses())));
        }
        return out;
    }
}
