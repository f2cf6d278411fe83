package io.packetlens.ebpf.link;

import java.util.List;

/**
 * The programs on one TC hook of an interface: the tcx list in run order with its link ids
 * and revision (BPF_PROG_QUERY), then the cls_bpf filters of a clsact qdisc, which run after
 * the tcx programs, in priority order (RTM_GETTFILTER dump).
 */
public record TcInfo(int ifindex, TcDirection direction, List<Integer> tcxProgramIds, List<Integer> tcxLinkIds, long revision,
                     List<Filter> filters) {

    /** A cls_bpf filter: its priority and handle, the program id and name, and whether it is direct-action. */
    public record Filter(int priority, int handle, int programId, String name, boolean directAction) {}

    public TcInfo {
        tcxProgramIds = List.copyOf(tcxProgramIds);
        tcxLinkIds = List.copyOf(tcxLinkIds);
        filters = List.copyOf(filters);
    }

    public boolean isEmpty() {
        return tcxProgramIds.isEmpty() && filters.isEmpty();
    }

    /** Every program id on the hook, tcx first, in run order. */
    public List<Integer> programIds() {
        return java.util.stream.Stream.concat(tcxProgramIds.stream(), filters.stream().map(Filter::programId)).toList();
    }
}
