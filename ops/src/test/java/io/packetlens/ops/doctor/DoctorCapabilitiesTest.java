package io.packetlens.ops.doctor;

import io.packetlens.ebpf.features.Capabilities;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What doctor says of a capability set: the programs, the AF_PACKET fallback, or neither. */
class DoctorCapabilitiesTest {
    private static Capabilities of(int... caps) {
        long e = 0;
        for (int c : caps) e |= 1L << c;
        return new Capabilities(e);
    }

    @Test
    void cap_net_rawAloneIsTheFallbackAndNothingIsMissing() {
        Check raw = Doctor.capabilities(of(Capabilities.CAP_NET_RAW));
        assertThat(raw.status()).isEqualTo(Check.Status.FALLBACK);
        assertThat(raw.detail()).contains("fall back to AF_PACKET").contains("guard and trafficgen need");
        Check none = Doctor.capabilities(of());
        assertThat(none.status()).isEqualTo(Check.Status.MISSING);
        assertThat(none.detail()).contains("no AF_PACKET fallback");
        assertThat(Doctor.capabilities(of(Capabilities.CAP_BPF, Capabilities.CAP_NET_ADMIN, Capabilities.CAP_PERFMON,
                Capabilities.CAP_SYS_ADMIN)).status()).isEqualTo(Check.Status.OK);
    }
}
