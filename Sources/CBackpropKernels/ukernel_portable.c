// Plain C micro-kernels for CPUs without AVX2/FMA (the compiler vectorises them for the baseline ISA).
#include "gemm_internal.h"

#define DEFINE_PORTABLE(NAME, STORE, T, MR, NR)                                             \
  void NAME(long kc, const T *a, const T *b, T *c, long ldc, T alpha, T beta, int mr, int nr) { \
    T acc[MR * NR] = {0};                                                                   \
    for (long p = 0; p < kc; ++p, a += MR, b += NR)                                         \
      for (int i = 0; i < MR; ++i)                                                          \
        for (int j = 0; j < NR; ++j) acc[i * NR + j] += a[i] * b[j];                        \
    STORE(acc, NR, c, ldc, alpha, beta, mr, nr);                                                \
  }

#define DEFINE_STORE(NAME, T)                                                               \
  void NAME(const T *acc, int stride, T *c, long ldc, T alpha, T beta, int mr, int nr) {    \
    for (int i = 0; i < mr; ++i, c += ldc, acc += stride) {                                 \
      /* beta == 0 must not read C: it may hold garbage or NaN. */                          \
      if (beta == 0) for (int j = 0; j < nr; ++j) c[j] = alpha * acc[j];                    \
      else for (int j = 0; j < nr; ++j) c[j] = alpha * acc[j] + beta * c[j];                \
    }                                                                                       \
  }

DEFINE_STORE(bp_store_tile_s, float)
DEFINE_STORE(bp_store_tile_d, double)
DEFINE_PORTABLE(bp_ukernel_s_portable, bp_store_tile_s, float, BP_S_MR, BP_S_NR)
DEFINE_PORTABLE(bp_ukernel_d_portable, bp_store_tile_d, double, BP_D_MR, BP_D_NR)
