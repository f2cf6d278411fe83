package io.packetlens.ebpf;

/**
 * Maps an ELF section name to the program type and expected attach type it stands for,
 * following libbpf's conventions ({@code xdp}, {@code tc}, {@code tcx/ingress},
 * {@code socket}, {@code sk_msg}, {@code sk_skb/stream_verdict}, {@code cgroup_skb/ingress},
 * {@code tracepoint/<category>/<name>} ...).
 */
final class SectionNames {
    record Kind(ProgramType type, AttachType attach) {}

    private SectionNames() {}

    /** The kind for a section name, or {@code null} if the name is not a known program section. */
    static Kind of(String section) {
        String s = section;
        String head = s.contains("/") ? s.substring(0, s.indexOf('/')) : s;
        String tail = s.contains("/") ? s.substring(s.indexOf('/') + 1) : "";
        return switch (head) {
            case "xdp", "xdp.frags" -> new Kind(ProgramType.XDP, tail.isEmpty() ? AttachType.XDP : null);
            case "tc", "classifier" -> new Kind(ProgramType.SCHED_CLS, null);
            case "tcx" -> switch (tail) {
                case "ingress" -> new Kind(ProgramType.SCHED_CLS, AttachType.TCX_INGRESS);
                case "egress" -> new Kind(ProgramType.SCHED_CLS, AttachType.TCX_EGRESS);
                default -> null;
            };
            case "action" -> new Kind(ProgramType.SCHED_ACT, null);
            case "socket" -> new Kind(ProgramType.SOCKET_FILTER, null);
            case "sk_msg" -> new Kind(ProgramType.SK_MSG, AttachType.SK_MSG_VERDICT);
            case "sk_skb" -> switch (tail) {
                case "stream_parser" -> new Kind(ProgramType.SK_SKB, AttachType.SK_SKB_STREAM_PARSER);
                case "stream_verdict" -> new Kind(ProgramType.SK_SKB, AttachType.SK_SKB_STREAM_VERDICT);
                case "verdict" -> new Kind(ProgramType.SK_SKB, AttachType.SK_SKB_VERDICT);
                default -> new Kind(ProgramType.SK_SKB, null);
            };
            case "cgroup_skb" -> switch (tail) {
                case "ingress" -> new Kind(ProgramType.CGROUP_SKB, AttachType.CGROUP_INET_INGRESS);
                case "egress" -> new Kind(ProgramType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS);
                default -> new Kind(ProgramType.CGROUP_SKB, null);
            };
            case "tracepoint", "tp" -> new Kind(ProgramType.TRACEPOINT, null);
            case "raw_tracepoint", "raw_tp" -> new Kind(ProgramType.RAW_TRACEPOINT, null);
            case "perf_event" -> new Kind(ProgramType.PERF_EVENT, null);
            case "sk_lookup" -> new Kind(ProgramType.SK_LOOKUP, AttachType.SK_LOOKUP);
            case "flow_dissector" -> new Kind(ProgramType.FLOW_DISSECTOR, AttachType.FLOW_DISSECTOR);
            case "sockops" -> new Kind(ProgramType.SOCK_OPS, AttachType.CGROUP_SOCK_OPS);
            case "netfilter" -> new Kind(ProgramType.NETFILTER, AttachType.NETFILTER);
            case "lwt_in" -> new Kind(ProgramType.LWT_IN, null);
            case "lwt_out" -> new Kind(ProgramType.LWT_OUT, null);
            case "lwt_xmit" -> new Kind(ProgramType.LWT_XMIT, null);
            default -> null;
        };
    }
}
