package io.packetlens.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.packetlens.ops.inspect.Inspector;
import io.packetlens.ops.inspect.Inventory;
import io.packetlens.ops.inspect.InventoryJson;
import io.packetlens.ops.inspect.InventoryText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code packetlens inspect}: every BPF program, map and link in the system; {@code inspect map ID|PIN} dumps one map. */
@Command(name = "inspect", mixinStandardHelpOptions = true, subcommands = InspectMapCommand.class,
        description = {"List every BPF program, map and link in the system: id, type, name, tag, load time, owner processes,",
                "where each program is attached (interface and hook, XDP mode, tcx order, clsact, cgroup, tracepoint),",
                "kernel memory. `inspect map ID|PIN` dumps a map formatted from its BTF."})
final class InspectCommand implements Callable<Integer> {
    @Option(names = "--json", description = "one JSON object (programs, maps, links; bpftool's field names)")
    boolean json;

    @Option(names = "--programs", description = "only programs")
    boolean programs;

    @Option(names = "--maps", description = "only maps")
    boolean maps;

    @Option(names = "--links", description = "only links")
    boolean links;

    @Override
    public Integer call() throws Exception {
        Privileges.requireSysAdmin("inspect", "listing every BPF object in the system (BPF_*_GET_NEXT_ID)");
        Inventory inv = Inspector.collect();
        boolean all = !programs && !maps && !links;
        PrintStream out = System.out;
        if (json) {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                InventoryJson.write(g, inv);
            }
            w.write('\n');
            w.flush();
        } else {
            out.print(InventoryText.render(inv, all || programs, all || maps, all || links));
        }
        out.flush();
        return 0;
    }
}
