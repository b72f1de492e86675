// AVX2/FMA micro-kernels: 6×16 (float) and 6×8 (double) tiles of C in 12 ymm accumulators.
// Compiled for AVX2 by the target attribute alone (no build flags); only called after
// bp_kernel_isa() has checked the CPU.
#include "gemm_internal.h"
#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))
#define MR 6
#define ALL_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define TILE_ALIGN 32
#include "ukernel_template.h"

// float: 8 lanes per ymm, NR = 16
#define V __m256
#define W 8
#define SETZERO _mm256_setzero_ps
#define LOADU _mm256_loadu_ps
#define STOREU _mm256_storeu_ps
#define BROADCAST _mm256_broadcast_ss
#define SET1 _mm256_set1_ps
#define MUL _mm256_mul_ps
#define FMADD _mm256_fmadd_ps
DEFINE_UKERNEL(bp_ukernel_s_avx2, float, bp_store_tile_s)
#undef V
#undef W
#undef SETZERO
#undef LOADU
#undef STOREU
#undef BROADCAST
#undef SET1
#undef MUL
#undef FMADD

// double: 4 lanes per ymm, NR = 8
#define V __m256d
#define W 4
#define SETZERO _mm256_setzero_pd
#define LOADU _mm256_loadu_pd
#define STOREU _mm256_storeu_pd
#define BROADCAST _mm256_broadcast_sd
#define SET1 _mm256_set1_pd
#define MUL _mm256_mul_pd
#define FMADD _mm256_fmadd_pd
DEFINE_UKERNEL(bp_ukernel_d_avx2, double, bp_store_tile_d)

#else  // not x86-64: never selected, but the symbols must exist.
void bp_ukernel_s_avx2(long kc, const float *a, const float *b, float *c, long ldc,
                       float alpha, float beta, int mr, int nr) {
  bp_ukernel_s_portable(kc, a, b, c, ldc, alpha, beta, mr, nr);
}
void bp_ukernel_d_avx2(long kc, const double *a, const double *b, double *c, long ldc,
                       double alpha, double beta, int mr, int nr) {
  bp_ukernel_d_portable(kc, a, b, c, ldc, alpha, beta, mr, nr);
}
#endif
