package io.packetlens.programs;

import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.testkit.KernelTest;
import io.packetlens.testkit.LibbpfTags;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The objects packetlens ships (flow, guard, capture, trafficgen, sockmap proxy, packet counter), loaded as they
 * are by packetlens and by libbpf (bpftool prog loadall): the kernel's program tags must be equal, program by program.
 */
@KernelTest
class ShippedObjectsParityTest {
    private static final List<String> OBJECTS = List.of("flow", "guard", "xdp_count", "xsk_capture", "trafficgen_live", "sockmap_proxy");

    @Test
    void everyShippedObjectGetsLibbpfsProgramTags() throws Exception {
        for (String name : OBJECTS) {
            String resource = "/io/packetlens/programs/" + name + ".bpf.o";
            Path file = Files.createTempFile("pl-parity-" + name, ".bpf.o");
            try (var in = ShippedObjectsParityTest.class.getResourceAsStream(resource)) {
                assertThat(in).as(resource).isNotNull();
                Files.write(file, in.readAllBytes());
                Map<String, String> libbpf = LibbpfTags.of(file, List.of())
                        .orElseThrow(() -> new AssertionError("bpftool prog loadall cannot load " + name + ".bpf.o"));
                Map<String, String> ours = new TreeMap<>();
                try (BpfObject obj = ObjectSpec.read(file).load()) {
                    obj.programs().values().forEach(p -> ours.put(p.info().name(), p.tag()));
                }
                assertThat(ours).as(name + ": packetlens's program tags against libbpf's").isEqualTo(libbpf).isNotEmpty();
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }
}
