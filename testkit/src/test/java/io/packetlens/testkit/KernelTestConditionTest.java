package io.packetlens.testkit;

import static io.packetlens.testkit.KernelTestCondition.Verdict.FAIL;
import static io.packetlens.testkit.KernelTestCondition.Verdict.RUN;
import static io.packetlens.testkit.KernelTestCondition.Verdict.SKIP;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KernelTestConditionTest {

    @Test
    void findsCommandsOnThePath() {
        assertThat(KernelTestCondition.onPath("sh")).isTrue();
        assertThat(KernelTestCondition.onPath("no-such-command-packetlens")).isFalse();
    }

    @Test
    void skipsOnlyForNonRootOutsideCi() {
        assertThat(KernelTestCondition.verdict(false, true, true)).isEqualTo(RUN);
        assertThat(KernelTestCondition.verdict(true, true, true)).isEqualTo(RUN);
        assertThat(KernelTestCondition.verdict(false, false, true)).isEqualTo(SKIP);
        assertThat(KernelTestCondition.verdict(true, false, true)).isEqualTo(FAIL);
        assertThat(KernelTestCondition.verdict(false, true, false)).isEqualTo(FAIL);
        assertThat(KernelTestCondition.verdict(true, true, false)).isEqualTo(FAIL);
    }

    @Test
    void readsTheEffectiveUid() {
        boolean root = ProcessHandle.current().info().user().map("root"::equals).orElse(false);
        assertThat(KernelTestCondition.whyNotRoot().isEmpty()).isEqualTo(root);
    }
}
