package io.packetlens.ebpf;

import io.packetlens.testkit.KernelTest;
import io.packetlens.testkit.LibbpfTags;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * For every test object libbpf (bpftool prog loadall) loads on this kernel, packetlens submits the same instructions:
 * the kernel's program tag, a hash of the instructions with map fds blanked, is the same for each program. Objects
 * libbpf cannot load here are listed, not compared.
 */
@KernelTest
class LibbpfParityTest {
    private static final Path OBJECTS = Path.of(System.getProperty("user.dir"), "target/test-classes/bpf");

    @Test
    void everyObjectLibbpfLoadsGetsTheSameProgramTags() throws Exception {
        List<Path> objects;
        try (Stream<Path> s = Files.list(OBJECTS)) {
            objects = s.filter(p -> p.toString().endsWith(".bpf.o")).sorted().toList();
        }
        assertThat(objects).isNotEmpty();
        Map<String, String> skipped = new TreeMap<>();
        Map<String, Integer> compared = new LinkedHashMap<>();
        for (Path o : objects) {
            String name = o.getFileName().toString();
            List<String> byName = ObjectSpec.read(o).maps().values().stream().filter(m -> m.pinning() == Pinning.BY_NAME).map(MapSpec::name).toList();
            Optional<Map<String, String>> libbpf = LibbpfTags.of(o, byName);
            if (libbpf.isEmpty()) {
                skipped.put(name, "libbpf cannot load it here");
                continue;
            }
            Map<String, String> ours = new TreeMap<>();
            // maps pinned by name go to a directory of this test's own, not /sys/fs/bpf
            Path ownPins = Path.of("/sys/fs/bpf", "pl-parity-" + ProcessHandle.current().pid() + "-own");
            Files.createDirectories(ownPins);
            try (BpfObject obj = ObjectSpec.read(o).load(LoadOptions.defaults().pinPath(ownPins))) {
                for (var e : obj.programs().entrySet()) ours.put(e.getValue().info().name(), e.getValue().tag());
            } finally {
                LibbpfTags.removeTree(ownPins);
            }
            assertThat(ours).as(name + ": packetlens's program tags against libbpf's").isEqualTo(libbpf.get());
            compared.put(name, ours.size());
        }
        System.out.println("libbpf parity: compared " + compared + "; not loadable by libbpf here: " + skipped);
        assertThat(compared).as("objects compared").hasSizeGreaterThanOrEqualTo(10);
        assertThat(compared).containsKeys("sections_hooks.bpf.o", "sections_trace.bpf.o", "loader_test.bpf.o", "core_test.bpf.o", "externs_test.bpf.o", "maps_test.bpf.o");
    }
}
