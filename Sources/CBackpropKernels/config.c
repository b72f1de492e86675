// Run-time settings shared by Swift and C; atomics so tests and benchmarks may flip them at any time.
#include "CBackpropKernels.h"
#include <stdatomic.h>
#include <unistd.h>

static atomic_int backend_override = -1;
static atomic_int thread_override = 0;
static atomic_int simd_enabled = 1;

int bp_backend_override(void) { return atomic_load(&backend_override); }
void bp_set_backend_override(int backend) { atomic_store(&backend_override, backend); }
int bp_thread_count_override(void) { return atomic_load(&thread_override); }
void bp_set_thread_count_override(int threads) { atomic_store(&thread_override, threads > 0 ? threads : 0); }

int bp_online_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > 1024 ? 1024 : (int)n);
}

int bp_simd_kernels_active(void) {
  static atomic_int cpu_ok = -1;  // cached: __builtin_cpu_supports is cheap but not free
  int ok = atomic_load(&cpu_ok);
  if (ok < 0) { ok = bp_cpu_has_avx2_fma(); atomic_store(&cpu_ok, ok); }
  return ok && atomic_load(&simd_enabled);
}
void bp_set_simd_kernels_enabled(int enabled) { atomic_store(&simd_enabled, enabled != 0); }
