/* libbpf peer of io.packetlens.bench.ChannelBenchmark: the same three measurements as the Java
 * readers, made with the system libbpf's ring_buffer (ring_buffer__consume/__poll) and
 * perf_buffer (perf_buffer__new with libbpf's defaults: one wakeup per sample), on the same
 * pinned producer program and map. Prints one line of key=value results.
 *
 * usage: channel_peer ring|perf consumer|producer|live MAP_PIN PROG_PIN
 *            [--count N] [--warmup W] [--cycles C] [--seconds S] [--pages P] [--chunk K]
 *   consumer: W+C times fill the ring with N records from CPU 0, then time draining it with
 *             __consume on CPU 1; the first W are warm-up; prints the median rate of the other C
 *   producer: a reader thread polls as in use while CPU 0 produces for S seconds; rate produced
 *   live:     producers on CPUs 0 and 1 (N records each, or S seconds each with --count 0) while
 *             the reader polls; rate delivered end to end (until the last record arrived)
 * Build: gcc -O2 -o channel_peer channel_peer.c -lbpf -lpthread
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sink {
	unsigned long long count;
	unsigned long long sum;
	unsigned long long lost;
};

static struct sink sink;
static int is_perf;
static struct ring_buffer *rb;
static struct perf_buffer *pb;
static atomic_int producers_done;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int on_ring(void *ctx, void *data, size_t size)
{
	struct sink *s = ctx;
	s->count++;
	s->sum += *(unsigned long long *)data;
	return 0;
}

static void on_perf(void *ctx, int cpu, void *data, __u32 size)
{
	struct sink *s = ctx;
	s->count++;
	s->sum += *(unsigned long long *)data;
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	struct sink *s = ctx;
	s->lost += cnt;
}

static int consume(void)
{
	return is_perf ? perf_buffer__consume(pb) : ring_buffer__consume(rb);
}

static int poll_once(int timeout_ms)
{
	return is_perf ? perf_buffer__poll(pb, timeout_ms) : ring_buffer__poll(rb, timeout_ms);
}

/* Drains until a pass brings nothing new. */
static void drain(void)
{
	unsigned long long before;
	do {
		before = sink.count;
		if (consume() < 0) {
			fprintf(stderr, "channel_peer: consume failed\n");
			exit(1);
		}
	} while (sink.count != before);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		fprintf(stderr, "channel_peer: cannot pin to CPU %d\n", cpu);
		exit(1);
	}
}

static void run_prog(int prog_fd, int repeat)
{
	unsigned char frame[64] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame), .repeat = repeat);
	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		fprintf(stderr, "channel_peer: test run failed: %s\n", strerror(errno));
		exit(1);
	}
}

struct producer {
	pthread_t thread;
	int prog_fd;
	int cpu;
	long long count;   /* records to produce, or 0 to run for `seconds` */
	double seconds;
	int chunk;
	long long produced;
	double elapsed;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	pin_cpu(p->cpu);
	double t0 = now();
	if (p->count > 0) {
		long long left = p->count;
		while (left > 0) {
			int n = left < p->chunk ? (int)left : p->chunk;
			run_prog(p->prog_fd, n);
			left -= n;
		}
		p->produced = p->count;
	} else {
		while (now() - t0 < p->seconds) {
			run_prog(p->prog_fd, p->chunk);
			p->produced += p->chunk;
		}
	}
	p->elapsed = now() - t0;
	return NULL;
}

/* Reads as an application would (poll with a timeout) until the producers are done, then
 * drains; notes when the last record arrived, the end of the end-to-end interval. */
static double last_delivery;

static void *reader_main(void *arg)
{
	(void)arg;
	for (;;) {
		int done = atomic_load(&producers_done);
		unsigned long long before = sink.count;
		int r = done ? consume() : poll_once(100);
		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "channel_peer: poll failed: %d\n", r);
			exit(1);
		}
		if (sink.count != before)
			last_delivery = now();
		else if (done)
			break;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void start_producer(struct producer *p)
{
	if (pthread_create(&p->thread, NULL, producer_main, p)) {
		fprintf(stderr, "channel_peer: pthread_create failed\n");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: channel_peer ring|perf consumer|producer|live MAP_PIN PROG_PIN [--count N] [--cycles C] [--seconds S] [--pages P] [--chunk K]\n");
		return 2;
	}
	is_perf = strcmp(argv[1], "perf") == 0;
	const char *figure = argv[2];
	long long count = 1000000;
	int cycles = 5, warmup = 5, pages = 64, chunk = 100000;
	double seconds = 1.0;
	for (int i = 5; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--count")) count = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--cycles")) cycles = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--warmup")) warmup = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--pages")) pages = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--chunk")) chunk = atoi(argv[i + 1]);
		else { fprintf(stderr, "channel_peer: unknown option %s\n", argv[i]); return 2; }
	}
	int map_fd = bpf_obj_get(argv[3]);
	int prog_fd = bpf_obj_get(argv[4]);
	if (map_fd < 0 || prog_fd < 0) {
		fprintf(stderr, "channel_peer: cannot open pins %s / %s: %s\n", argv[3], argv[4], strerror(errno));
		return 1;
	}
	if (is_perf)
		pb = perf_buffer__new(map_fd, pages, on_perf, on_lost, &sink, NULL);
	else
		rb = ring_buffer__new(map_fd, on_ring, &sink, NULL);
	if ((is_perf && !pb) || (!is_perf && !rb)) {
		fprintf(stderr, "channel_peer: cannot set up the %s buffer: %s\n", argv[1], strerror(errno));
		return 1;
	}

	if (!strcmp(figure, "consumer")) {
		double *rates = calloc(cycles, sizeof(double));
		unsigned long long records = 0;
		pin_cpu(1);
		for (int c = 0; c < warmup + cycles; c++) {
			struct producer p = { .prog_fd = prog_fd, .cpu = 0, .count = count, .chunk = chunk };
			start_producer(&p);
			pthread_join(p.thread, NULL);
			unsigned long long before = sink.count;
			double t0 = now();
			drain();
			double t = now() - t0;
			if (c >= warmup) {
				rates[c - warmup] = (sink.count - before) / t;
				records += sink.count - before;
			}
		}
		qsort(rates, cycles, sizeof(double), cmp_double);
		printf("records=%llu rate=%.0f min=%.0f max=%.0f lost=%llu\n", records, rates[cycles / 2], rates[0], rates[cycles - 1], sink.lost);
	} else if (!strcmp(figure, "producer")) {
		pthread_t reader;
		pthread_create(&reader, NULL, reader_main, NULL);
		struct producer warm = { .prog_fd = prog_fd, .cpu = 0, .seconds = 0.2, .chunk = chunk };
		start_producer(&warm);
		pthread_join(warm.thread, NULL);
		struct producer p = { .prog_fd = prog_fd, .cpu = 0, .seconds = seconds, .chunk = chunk };
		start_producer(&p);
		pthread_join(p.thread, NULL);
		atomic_store(&producers_done, 1);
		pthread_join(reader, NULL);
		printf("records=%lld seconds=%.6f rate=%.0f delivered=%llu produced=%lld lost=%llu\n", p.produced, p.elapsed,
		       p.produced / p.elapsed, sink.count, warm.produced + p.produced, sink.lost);
	} else if (!strcmp(figure, "live")) {
		pthread_t reader;
		struct producer p[2] = {
			{ .prog_fd = prog_fd, .cpu = 0, .count = count, .seconds = seconds, .chunk = chunk },
			{ .prog_fd = prog_fd, .cpu = 1, .count = count, .seconds = seconds, .chunk = chunk },
		};
		double t0 = now();
		pthread_create(&reader, NULL, reader_main, NULL);
		start_producer(&p[0]);
		start_producer(&p[1]);
		pthread_join(p[0].thread, NULL);
		pthread_join(p[1].thread, NULL);
		atomic_store(&producers_done, 1);
		pthread_join(reader, NULL);
		double t = last_delivery - t0;
		printf("records=%llu seconds=%.6f rate=%.0f produced=%lld lost=%llu\n", sink.count, t, sink.count / t,
		       p[0].produced + p[1].produced, sink.lost);
	} else {
		fprintf(stderr, "channel_peer: unknown figure %s\n", figure);
		return 2;
	}
	if (is_perf)
		perf_buffer__free(pb);
	else
		ring_buffer__free(rb);
	return 0;
}
