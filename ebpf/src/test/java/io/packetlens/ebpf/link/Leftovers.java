package io.packetlens.ebpf.link;

import io.packetlens.lab.Host;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks with independent tools (bpftool, ip, tc) that nothing is attached to a lab host's veth0. */
final class Leftovers {
    private Leftovers() {}

    private static final java.util.regex.Pattern PROG_ID = java.util.regex.Pattern.compile("\"prog_id\":(\\d+)");

    /** The ids of the programs of every BPF link in the system, per {@code bpftool -j link show}. */
    static java.util.Set<Integer> linkedPrograms(Host host) throws Exception {
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        java.util.regex.Matcher m = PROG_ID.matcher(host.exec("bpftool", "-j", "link", "show"));
        while (m.find()) ids.add(Integer.parseInt(m.group(1)));
        return ids;
    }

    static void assertNothingAttached(Host host) throws Exception {
        String net = host.exec("bpftool", "-j", "net", "show").strip();
        assertThat(net).as("bpftool -j net show in %s", host.namespace())
                .contains("\"xdp\":[]").contains("\"tc\":[]");
        assertThat(host.exec("ip", "-d", "link", "show", "dev", host.ifname()))
                .as("ip -d link show in %s", host.namespace()).doesNotContain("prog/xdp").doesNotContain("xdp");
        assertThat(host.exec("tc", "filter", "show", "dev", host.ifname(), "ingress")).isBlank();
        assertThat(host.exec("tc", "filter", "show", "dev", host.ifname(), "egress")).isBlank();
        // bpftool 7.1 does not know tcx yet: ask the kernel directly (BPF_PROG_QUERY)
        for (TcDirection dir : TcDirection.values()) {
            assertThat(host.call(() -> TcLink.query(host.ifname(), dir)).isEmpty()).as("tcx %s in %s", dir, host.namespace()).isTrue();
        }
    }
}
