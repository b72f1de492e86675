// Core-to-core probe: what shared-memory communication between the two cores costs right now.
// Two threads pinned to cores 0 and 1: (1) ping-pong on one cache line (round trip, ns);
// (2) core 0 writes a 512 KiB buffer, core 1 reads and sums it (GB/s of the hand-over, the
// traffic of a gradient bucket between two ranks). Medians of 200 / 50 repetitions.
//   cc -O3 -march=native -pthread bench/core_to_core.c -o /tmp/core_to_core && /tmp/core_to_core
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINES 8192  // 512 KiB of 64-byte lines
static _Alignas(64) _Atomic long flag;
static _Alignas(64) _Atomic long turn;
static float *buffer;
static const int rounds = 2000, pings = 200, copies = 50;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void pin(int cpu) { cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu, &s); pthread_setaffinity_np(pthread_self(), sizeof s, &s); }
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }
static volatile float sink;
// Baseline: the same read on core 0 of lines core 0 wrote itself (its own cache).

static void *peer(void *arg) {
  (void)arg; pin(1);
  for (int p = 0; p < pings; p++)
    for (int i = 0; i < rounds; i++) { while (atomic_load(&flag) != 2 * i + 1) ; atomic_store(&flag, 2 * i + 2); }
  for (int c = 0; c < copies; c++) {
    while (atomic_load(&turn) != 2 * c + 1) ;
    // XOR of 64-bit words: vectorised, no dependency chain, so the transfer is what is timed.
    const unsigned long long *w = (const unsigned long long *)buffer;
    unsigned long long x = 0; for (int k = 0; k < LINES * 8; k++) x ^= w[k];
    sink = (float)x; atomic_store(&turn, 2 * c + 2);
  }
  return NULL;
}

int main(void) {
  buffer = aligned_alloc(64, LINES * 64); memset(buffer, 0, LINES * 64);
  pthread_t t; pthread_create(&t, NULL, peer, NULL); pin(0);
  double ping[pings], copy[copies];
  for (int p = 0; p < pings; p++) {
    double start = now();
    for (int i = 0; i < rounds; i++) { atomic_store(&flag, 2 * i + 1); while (atomic_load(&flag) != 2 * i + 2) ; }
    ping[p] = (now() - start) / rounds * 1e9;
    atomic_store(&flag, 0);
  }
  for (int c = 0; c < copies; c++) {
    for (int k = 0; k < LINES * 16; k++) buffer[k] = (float)(k + c);  // core 0 owns the lines now
    double start = now();
    atomic_store(&turn, 2 * c + 1);
    while (atomic_load(&turn) != 2 * c + 2) ;
    copy[c] = LINES * 64 / (now() - start) / 1e9;
  }
  pthread_join(t, NULL);
  double local[copies];
  for (int c = 0; c < copies; c++) {
    for (int k = 0; k < LINES * 16; k++) buffer[k] = (float)(k + c);
    double start = now();
    const unsigned long long *w = (const unsigned long long *)buffer;
    unsigned long long x = 0; for (int k = 0; k < LINES * 8; k++) x ^= w[k];
    sink = (float)x;
    local[c] = LINES * 64 / (now() - start) / 1e9;
  }
  qsort(local, copies, sizeof *local, cmp);
  qsort(ping, pings, sizeof *ping, cmp); qsort(copy, copies, sizeof *copy, cmp);
  printf("{\"round_trip_ns\": %.1f, \"round_trip_ns_p10\": %.1f, \"round_trip_ns_p90\": %.1f, \"handover_gbps\": %.2f, \"own_cache_gbps\": %.2f}\n",
         ping[pings / 2], ping[pings / 10], ping[pings * 9 / 10], copy[copies / 2], local[copies / 2]);
  return 0;
}
