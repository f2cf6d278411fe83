package io.packetlens.ebpf.link;

import io.packetlens.lab.Host;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks with independent tools (bpftool, ip, tc) that nothing is attached to a lab host's veth0. */
final class Leftovers {
    private Leftovers() {}

    static void assertNothingAttached(Host host) throws Exception {
        String net = host.exec("bpftool", "-j", "net", "show").strip();
        assertThat(net).as("bpftool -j net show in %s", host.namespace())
                .contains("\"xdp\":[]").contains("\"tc\":[]");
        assertThat(host.exec("ip", "-d", "link", "show", "dev", host.ifname()))
                .as("ip -d link show in %s", host.namespace()).doesNotContain("prog/xdp").doesNotContain("xdp");
        assertThat(host.exec("tc", "filter", "show", "dev", host.ifname(), "ingress")).isBlank();
        assertThat(host.exec("tc", "filter", "show", "dev", host.ifname(), "egress")).isBlank();
    }
}
