// Run-time settings shared by Swift and C; atomics so tests and benchmarks may flip them at any time.
#include "CBackpropKernels.h"
#include <stdatomic.h>
#include <unistd.h>

static atomic_int backend_override = -1;
static atomic_int thread_override = 0;
static atomic_int isa_override = -1;

// Per-thread overrides (Gemm.withSettings): they win over the process-wide ones on the thread
// that set them, so a test can pin a backend without changing what tests on other threads run.
// -2 means "not set on this thread". Settings are read on the calling thread only.
static _Thread_local int local_backend = -2, local_threads = -2, local_isa = -2;

void bp_set_local_overrides(int backend, int threads, int isa) {
  local_backend = backend;
  local_threads = threads;
  local_isa = isa;
}
void bp_get_local_overrides(int *backend, int *threads, int *isa) {
  *backend = local_backend;
  *threads = local_threads;
  *isa = local_isa;
}

int bp_backend_override(void) { return local_backend != -2 ? local_backend : atomic_load(&backend_override); }
void bp_set_backend_override(int backend) { atomic_store(&backend_override, backend); }
int bp_thread_count_override(void) { return local_threads != -2 ? local_threads : atomic_load(&thread_override); }
void bp_set_thread_count_override(int threads) { atomic_store(&thread_override, threads > 0 ? threads : 0); }

int bp_online_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > 1024 ? 1024 : (int)n);
}

int bp_cpu_best_isa(void) {
  static atomic_int best = -1;  // cached: the CPU does not change
  int isa = atomic_load(&best);
  if (isa < 0) {
    isa = !bp_cpu_has_avx2_fma() ? BP_ISA_PORTABLE : bp_cpu_has_avx512f() ? BP_ISA_AVX512 : BP_ISA_AVX2;
    atomic_store(&best, isa);
  }
  return isa;
}

int bp_kernel_isa(void) {
  int forced = local_isa != -2 ? local_isa : atomic_load(&isa_override);
  return forced >= 0 ? forced : bp_cpu_best_isa();
}

int bp_set_kernel_isa(int isa) {
  if (isa > bp_cpu_best_isa()) return 0;  // the CPU cannot run it
  atomic_store(&isa_override, isa < 0 ? -1 : isa);
  return 1;
}
