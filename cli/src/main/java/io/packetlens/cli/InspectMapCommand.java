package io.packetlens.cli;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ops.dump.MapDump;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code packetlens inspect map ID|PIN}: every entry of one map, formatted from its BTF, read by batch lookup. */
@Command(name = "map", mixinStandardHelpOptions = true,
        description = {"Dump a map (by id, or by its path in bpffs) with keys and values formatted from its BTF:",
                "integers, structs, arrays, enums, char arrays as strings; per-CPU values per CPU. Read with batch lookup",
                "(get-next-key where the map type has none)."})
final class InspectMapCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID|PIN", description = "the map's id (see `packetlens inspect --maps`) or a bpffs path")
    String map;

    @Option(names = "--json", description = "a JSON array of {\"key\": .., \"value\": ..} (per-CPU: \"values\": [{\"cpu\": N, \"value\": ..}])")
    boolean json;

    /**
     * {@code inspect map ID|PIN [--json]} in exactly that form, run without building picocli's model: picocli's
     * start-up (annotations, its built-in converters) costs about 0.15 s, a third of a 65,536-entry dump. Anything
     * else (help, other options, mistakes) returns empty and goes through picocli as usual.
     */
    static java.util.OptionalInt quick(String... args) {
        if (args.length < 3 || args.length > 4 || !args[0].equals("inspect") || !args[1].equals("map")) return java.util.OptionalInt.empty();
        InspectMapCommand c = new InspectMapCommand();
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--json")) c.json = true;
            else if (c.map == null && (args[i].matches("\\d+") || args[i].startsWith("/"))) c.map = args[i];
            else return java.util.OptionalInt.empty();
        }
        if (c.map == null || (args.length == 4 && !c.json)) return java.util.OptionalInt.empty();
        try {
            return java.util.OptionalInt.of(c.call());
        } catch (io.packetlens.ebpf.BpfException | UserException e) {
            System.err.println("packetlens: " + e.getMessage());
            return java.util.OptionalInt.of(2);
        } catch (Exception e) {
            System.err.println("packetlens: " + e);
            return java.util.OptionalInt.of(2);
        }
    }

    @Override
    public Integer call() throws Exception {
        BpfMap m;
        if (map.matches("\\d+")) {
            Privileges.requireSysAdmin("inspect map", "opening a map by id (BPF_MAP_GET_FD_BY_ID)");
            m = BpfMap.openById(Integer.parseInt(map));
        } else if (map.startsWith("/")) {
            m = BpfMap.openPinned(Path.of(map));
        } else {
            throw new UserException("inspect map: '" + map + "' is neither a map id (a number) nor a bpffs path (starting with /)");
        }
        try (m) {
            MapDump dump = MapDump.of(m);
            // the dump writes 64 KiB chunks, so System.out's flushing costs nothing
            MapDump.Result r = json ? dump.writeJson(System.out) : dump.writeText(System.out);
            if (json && r.note() != null) System.err.println("packetlens: map " + m.name() + ": " + r.note());
        }
        return 0;
    }
}
