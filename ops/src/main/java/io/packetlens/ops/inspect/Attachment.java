package io.packetlens.ops.inspect;

/**
 * Where a program runs: a hook and its target, as the kernel reports it in link info or per-interface queries.
 * Fields that do not apply to a hook are null.
 *
 * @param hook     {@code xdp}, {@code tcx}, {@code clsact}, {@code cgroup}, {@code tracepoint}, {@code raw_tracepoint},
 *                 or a link type name for the rest ({@code tracing}, {@code netns}, {@code netfilter} ...)
 * @param target   the interface name, cgroup path, tracepoint name ... ({@code ifindex N} if the name is unknown)
 * @param netns    the network namespace of an interface: its {@code ip netns} name, {@code pid N} for an unnamed one,
 *                 null for the namespace packetlens runs in
 * @param mode     XDP mode ({@code driver}, {@code generic}, {@code offload}), TC direction ({@code ingress}, {@code egress}),
 *                 or the attach type
 * @param position place in the hook's run order (1 = first; tcx list, clsact priority order)
 * @param of       how many programs run on that hook
 * @param linkId   the BPF link holding the attachment, null when none does (netlink XDP, cls_bpf filters)
 * @param detail   anything else (cls_bpf priority/handle/direct-action, a cookie)
 */
public record Attachment(String hook, String target, Integer ifindex, String netns, String mode, Integer position, Integer of,
                         Integer linkId, String detail) {

    /** One line for people: {@code xdp veth0 (netns lab-b) driver mode, link 12}. */
    public String describe() {
        StringBuilder b = new StringBuilder(hook);
        boolean tc = hook.equals("tcx") || hook.equals("clsact");
        if (tc && mode != null) b.append(' ').append(mode);
        if (target != null) b.append(' ').append(target);
        if (netns != null) b.append(" (netns ").append(netns).append(')');
        if (!tc && mode != null) b.append(' ').append(mode).append(hook.equals("xdp") ? " mode" : "");
        if (position != null && of != null) b.append(", ").append(ordinal(position)).append(" of ").append(of);
        if (detail != null && !detail.isEmpty()) b.append(", ").append(detail);
        b.append(linkId != null ? ", link " + linkId : hook.equals("xdp") ? ", netlink (no link)" : "");
        return b.toString();
    }

    private static String ordinal(int n) {
        String suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : switch (n % 10) { case 1 -> "st"; case 2 -> "nd"; case 3 -> "rd"; default -> "th"; };
        return n + suffix;
    }
}
