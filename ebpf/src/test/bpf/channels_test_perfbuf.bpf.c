// channels_test.bpf.c built for the perf buffer only (the build-time choice of
// packetlens_events.h): no pl_events_perfbuf constant, the map declared as a PERF_EVENT_ARRAY.
#define PL_USE_PERFBUF
#include "channels_test.bpf.c"
