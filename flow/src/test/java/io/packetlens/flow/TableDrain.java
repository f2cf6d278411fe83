package io.packetlens.flow;

import io.packetlens.ebpf.MapBatch;
import io.packetlens.ebpf.PerCpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Empties a flow program's flow and "other" tables with batch lookup-and-delete, returning what they held. */
final class TableDrain implements AutoCloseable {
    private final FlowProgram program;
    private final MapBatch flows;
    private final MapBatch other;

    TableDrain(FlowProgram program) {
        this.program = program;
        this.flows = program.flowTable().batch(Math.min(4096, program.flowTable().maxEntries()));
        this.other = program.otherTable().batch(Math.min(4096, program.otherTable().maxEntries()));
    }

    record Contents(List<Map.Entry<FlowKey, FlowRecord>> flows, List<Map.Entry<OtherKey, Count>> others) {
        boolean isEmpty() {
            return flows.isEmpty() && others.isEmpty();
        }
    }

    Contents drain() {
        List<Map.Entry<FlowKey, FlowRecord>> f = new ArrayList<>();
        List<Map.Entry<OtherKey, Count>> o = new ArrayList<>();
        boolean perCpu = program.flowTable().type().isPerCpu();
        flows.forEach((k, v) -> f.add(Map.entry(FlowKey.read(k, 0),
                perCpu ? FlowRecord.readPerCpu(v, 0, PerCpu.cpus(), PerCpu.stride(FlowRecord.SIZE)) : FlowRecord.read(v, 0))), true);
        other.forEach((k, v) -> o.add(Map.entry(OtherKey.read(k, 0), FlowProgram.sumPerCpu(v, 0))), true);
        return new Contents(f, o);
    }

    @Override
    public void close() {
        flows.close();
        other.close();
    }
}
