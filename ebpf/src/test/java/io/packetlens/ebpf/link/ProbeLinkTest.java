package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A uprobe and a uretprobe on libc's getpid, counting this process's calls (made through a downcall); and a kprobe,
 * which on a kernel without kprobes fails naming what is missing and what to use instead.
 */
@KernelTest
class ProbeLinkTest {
    private static ObjectSpec spec() {
        ObjectSpec spec = ObjectSpec.fromResource(ProbeLinkTest.class, "/bpf/probes_test.bpf.o");
        spec.variable("target_tgid").set(ProcessHandle.current().pid());
        return spec;
    }

    private static long counter(ObjectSpec spec, BpfObject obj, String variable) {
        return obj.readLong(spec.variable(variable));
    }

    /** This JVM's libc, as mapped. */
    private static Path libc() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .filter(p -> p.endsWith("/libc.so.6")).findFirst().map(Path::of).orElseThrow();
    }

    @Test
    void uprobesCountThisProcessesCallsOfALibcFunction() throws Throwable {
        MethodHandle getpid = Linker.nativeLinker().downcallHandle(Linker.nativeLinker().defaultLookup().find("getpid").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT));
        ObjectSpec spec = spec();
        try (BpfObject obj = spec.load()) {
            Path libc = libc();
            try (ProbeLink entry = ProbeLink.uprobe(obj.program("on_entry"), libc, "getpid", false);
                 ProbeLink ret = ProbeLink.uprobe(obj.program("on_return"), libc, "getpid", true)) {
                assertThat(entry.info().id()).isPositive();
                for (int i = 0; i < 6; i++) assertThat((int) getpid.invokeExact()).isEqualTo((int) ProcessHandle.current().pid());
                assertThat(counter(spec, obj, "entries")).isEqualTo(6);
                assertThat(counter(spec, obj, "returns")).isEqualTo(6);
            }
            int after = (int) getpid.invokeExact();
            assertThat(after).isPositive();
            assertThat(counter(spec, obj, "entries")).as("nothing after close").isEqualTo(6);
            assertThatThrownBy(() -> ProbeLink.uprobe(obj.program("on_entry"), libc, "pl_no_such_function", false))
                    .isInstanceOf(BpfException.NotFoundException.class).hasMessageContaining("no function pl_no_such_function in " + libc);
        }
    }

    @Test
    void aKprobeWithoutKprobesSaysWhatIsMissing() {
        try (BpfObject obj = spec().load()) {
            if (Files.exists(Path.of("/sys/bus/event_source/devices/kprobe"))) {
                try (ProbeLink k = ProbeLink.kprobe(obj.program("on_kprobe"), "__sys_connect", false)) {
                    assertThat(k.info().id()).isPositive();
                }
                return;
            }
            assertThatThrownBy(() -> ProbeLink.kprobe(obj.program("on_kprobe"), "__sys_connect", false))
                    .isInstanceOf(BpfException.NotFoundException.class)
                    .hasMessageContaining("CONFIG_KPROBES").hasMessageContaining("fentry");
        }
    }
}
