// AVX2/FMA micro-kernels: 6×16 (float) and 6×8 (double) tiles of C in 12 ymm accumulators.
// Compiled for AVX2 by the target attribute alone (no build flags); only called after
// bp_kernel_isa() has checked the CPU.
#include "gemm_internal.h"
#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2_FMA __attribute__((target("avx2,fma")))
#if defined(__clang__)
#define UNROLL_4 _Pragma("clang loop unroll_count(4)")
#else
#define UNROLL_4 _Pragma("GCC unroll 4")
#endif
#define ALL_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

// One k step for row i: broadcast A(i, p) and multiply-add it with the two B vectors.
#define ROW_FMA(i)                                                                           \
  ai = BROADCAST(a + i);                                                                     \
  c##i##0 = FMADD(ai, b0, c##i##0);                                                          \
  c##i##1 = FMADD(ai, b1, c##i##1);
#define STORE_ROW_BETA0(i) /* beta == 0: C is write-only (it may hold NaN) */                \
  STOREU(c + i * ldc, MUL(va, c##i##0));                                                     \
  STOREU(c + i * ldc + W, MUL(va, c##i##1));
#define STORE_ROW_BETA(i)                                                                    \
  STOREU(c + i * ldc, FMADD(va, c##i##0, MUL(vb, LOADU(c + i * ldc))));                      \
  STOREU(c + i * ldc + W, FMADD(va, c##i##1, MUL(vb, LOADU(c + i * ldc + W))));
#define SPILL_ROW(i)                                                                         \
  STOREU(tile + i * 2 * W, c##i##0);                                                         \
  STOREU(tile + i * 2 * W + W, c##i##1);

// The kernel body, written once; V/W/LOADU/... are defined per precision below.
#define DEFINE_AVX2_KERNEL(NAME, T, STORE_TILE)                                              \
  AVX2_FMA void NAME(long kc, const T *restrict a, const T *restrict b, T *c, long ldc,      \
                     T alpha, T beta, int mr, int nr) {                                      \
    V c00 = SETZERO(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;                \
    V c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;                      \
    for (int i = 0; i < mr; ++i) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);     \
    UNROLL_4                                                                                 \
    for (long p = 0; p < kc; ++p) {                                                          \
      const V b0 = LOADU(b), b1 = LOADU(b + W);                                              \
      V ai;                                                                                  \
      ALL_ROWS(ROW_FMA)                                                                      \
      a += 6;                                                                                \
      b += 2 * W;                                                                            \
    }                                                                                        \
    const V va = SET1(alpha);                                                                \
    if (mr == 6 && nr == 2 * W) {                                                            \
      if (beta == 0) {                                                                       \
        ALL_ROWS(STORE_ROW_BETA0)                                                            \
      } else {                                                                               \
        const V vb = SET1(beta);                                                             \
        ALL_ROWS(STORE_ROW_BETA)                                                             \
      }                                                                                      \
    } else { /* edge tile: spill, then write only the valid corner */                        \
      T tile[6 * 2 * W] __attribute__((aligned(32)));                                        \
      ALL_ROWS(SPILL_ROW)                                                                    \
      STORE_TILE(tile, 2 * W, c, ldc, alpha, beta, mr, nr);                                         \
    }                                                                                        \
  }

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
DEFINE_AVX2_KERNEL(bp_ukernel_s_avx2, float, bp_store_tile_s)
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
DEFINE_AVX2_KERNEL(bp_ukernel_d_avx2, double, bp_store_tile_d)

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
