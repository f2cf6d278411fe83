package io.packetlens.ebpf;

import io.packetlens.ebpf.link.TracingLink;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * freplace: an EXT program replaces a global function of a loaded XDP program, its attach_btf_id found in that
 * program's BTF. Where the kernel builds trampolines (Debian's 6.1, through scripts/test-kernel61.sh) the verdict
 * changes while the link is held and comes back after; this machine's kernel refuses EXT loads with EPERM, and the
 * error must say why.
 */
@KernelTest
class FreplaceTest {
    private static final byte[] FRAME = new byte[64];

    @Test
    void anExtensionReplacesAGlobalFunctionWhileItsLinkIsHeld() {
        try (BpfObject target = ObjectSpec.fromResource(FreplaceTest.class, "/bpf/freplace_target.bpf.o").load()) {
            BpfProgram prog = target.program("replaceable");
            assertThat(prog.testRun(TestRun.of(FRAME)).retval()).isEqualTo(XdpAction.PASS.ordinal());
            ObjectSpec ext = ObjectSpec.fromResource(FreplaceTest.class, "/bpf/freplace_ext.bpf.o");
            assertThat(ext.program("decide").type()).isEqualTo(ProgramType.EXT);
            assertThat(ext.program("decide").attachTarget()).isEqualTo("decide");
            ObjectSpec missing = ObjectSpec.fromResource(FreplaceTest.class, "/bpf/freplace_ext.bpf.o");
            assertThatThrownBy(missing::load).isInstanceOf(BpfException.class).hasMessageContaining("ProgramSpec.attachProgFd(fd)");
            ext.program("decide").attachProgFd(prog.fd());
            BpfObject loaded;
            try {
                loaded = ext.load();
            } catch (BpfException e) {
                assertThat(e.errno()).isEqualTo(Errno.EPERM);
                assertThat(e).hasMessageContaining("BPF trampoline");
                return;
            }
            try (loaded) {
                try (TracingLink link = TracingLink.attach(loaded.program("decide"))) {
                    assertThat(prog.testRun(TestRun.of(FRAME)).retval()).as("replaced").isEqualTo(XdpAction.DROP.ordinal());
                }
                assertThat(prog.testRun(TestRun.of(FRAME)).retval()).as("restored").isEqualTo(XdpAction.PASS.ordinal());
            }
        }
    }
}
