package io.packetlens.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.packetlens.agent.AgentConfig;
import io.packetlens.agent.AgentConfigReader;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes manifest holds what a node agent needs: host network, only the eBPF capabilities, the node's bpffs,
 * the configuration from a ConfigMap, and a configuration the agent itself accepts. (No cluster runs here: these are
 * the manifest's own contents, read as Kubernetes reads them.)
 */
class DaemonSetTest {
    private static List<JsonNode> documents() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<JsonNode> out = new ArrayList<>();
        try (MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class).readValues(Path.of("../packaging/kubernetes/packetlens-daemonset.yaml").toFile())) {
            while (it.hasNext()) out.add(it.next());
        }
        return out;
    }

    private static JsonNode kind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).findFirst().orElseThrow(() -> new AssertionError("no " + kind));
    }

    @Test
    void theDaemonSetRunsOnTheHostNetworkWithOnlyTheEbpfCapabilities() throws Exception {
        List<JsonNode> docs = documents();
        JsonNode pod = kind(docs, "DaemonSet").path("spec").path("template").path("spec");
        assertThat(pod.path("hostNetwork").asBoolean()).isTrue();
        JsonNode c = pod.path("containers").get(0);
        JsonNode sc = c.path("securityContext");
        assertThat(sc.path("privileged").asBoolean(true)).isFalse();
        assertThat(sc.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(sc.path("capabilities").path("drop").toString()).isEqualTo("[\"ALL\"]");
        assertThat(sc.path("capabilities").path("add").toString()).isEqualTo("[\"BPF\",\"NET_ADMIN\",\"PERFMON\"]");
        assertThat(c.path("args").toString()).isEqualTo("[\"agent\",\"--config\",\"/etc/packetlens/agent.yaml\"]");
        List<String> mounts = new ArrayList<>();
        c.path("volumeMounts").forEach(m -> mounts.add(m.path("name").asText() + ":" + m.path("mountPath").asText()));
        assertThat(mounts).contains("config:/etc/packetlens", "bpffs:/sys/fs/bpf");
        List<String> volumes = new ArrayList<>();
        pod.path("volumes").forEach(v -> volumes.add(v.path("name").asText() + ":" + (v.has("hostPath") ? v.path("hostPath").path("path").asText()
                : v.path("configMap").path("name").asText())));
        assertThat(volumes).contains("bpffs:/sys/fs/bpf", "config:packetlens-config");
    }

    @Test
    void theConfigMapHoldsAConfigurationTheAgentAccepts() throws Exception {
        String agentYaml = kind(documents(), "ConfigMap").path("data").path("agent.yaml").asText();
        AgentConfig c = AgentConfigReader.parse(agentYaml);
        assertThat(c.pin()).as("pinned, so that a pod restart loses nothing").isNotNull();
        assertThat(c.metrics().getPort()).isEqualTo(9464);
        assertThat(c.exporters()).isNotEmpty();
    }
}
