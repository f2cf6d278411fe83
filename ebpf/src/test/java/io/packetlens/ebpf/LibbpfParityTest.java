package io.packetlens.ebpf;

import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
            Map<String, String> libbpf = libbpfTags(o);
            if (libbpf == null) {
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
                removeTree(ownPins);
            }
            assertThat(ours).as(name + ": packetlens's program tags against libbpf's").isEqualTo(libbpf);
            compared.put(name, ours.size());
        }
        System.out.println("libbpf parity: compared " + compared + "; not loadable by libbpf here: " + skipped);
        assertThat(compared).as("objects compared").hasSizeGreaterThanOrEqualTo(10);
        assertThat(compared).containsKeys("sections_hooks.bpf.o", "sections_trace.bpf.o", "loader_test.bpf.o", "core_test.bpf.o", "externs_test.bpf.o", "maps_test.bpf.o");
    }

    /** Program name (as the kernel keeps it, 15 characters) to tag after bpftool prog loadall, or null if it fails. */
    private static Map<String, String> libbpfTags(Path object) throws Exception {
        Path pins = Path.of("/sys/fs/bpf", "pl-parity-" + ProcessHandle.current().pid() + "-"
                + object.getFileName().toString().replace(".bpf.o", ""));
        // libbpf pins maps marked pinning = BY_NAME under /sys/fs/bpf itself: remove the ones this run creates
        List<Path> byName = ObjectSpec.read(object).maps().values().stream().filter(m -> m.pinning() == Pinning.BY_NAME)
                .map(m -> Path.of("/sys/fs/bpf", m.name())).filter(p -> !Files.exists(p)).toList();
        try {
            try {
                Bpftool.run("prog", "loadall", object.toString(), pins.toString());
            } catch (IOException e) {
                return null;
            }
            Map<String, String> tags = new TreeMap<>();
            List<Path> pinned = new ArrayList<>();
            try (Stream<Path> s = Files.list(pins)) {
                s.forEach(pinned::add);
            }
            for (Path p : pinned) {
                JsonNode j = Bpftool.json("prog", "show", "pinned", p.toString());
                String n = j.get("name").asText();
                tags.put(n.length() > 15 ? n.substring(0, 15) : n, j.get("tag").asText());
            }
            return tags;
        } finally {
            removeTree(pins);
            for (Path p : byName) Files.deleteIfExists(p);
        }
    }

    private static void removeTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
