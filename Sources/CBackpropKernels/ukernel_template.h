// The register-blocked GEMM micro-kernel, written once for ukernel_avx2.c and ukernel_avx512.c.
// An MR × 2W tile of C lives in 2·MR vector accumulators c<i>0, c<i>1; each k step broadcasts
// A(i, p) and multiply-adds it with two vectors of B.
//
// The including file defines: TARGET (the function attribute), MR and ALL_ROWS(X) (X(0) …
// X(MR − 1)), TILE_ALIGN (bytes), and before each DEFINE_UKERNEL the per-precision vector
// macros V, W (lanes), SETZERO, LOADU, STOREU, BROADCAST(pointer), SET1, MUL, FMADD.
#if defined(__clang__)
#define UNROLL_4 _Pragma("clang loop unroll_count(4)")
#else
#define UNROLL_4 _Pragma("GCC unroll 4")
#endif

#define DECLARE_ROW(i) V c##i##0 = SETZERO(), c##i##1 = SETZERO();
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

#define DEFINE_UKERNEL(NAME, T, STORE_TILE)                                                  \
  TARGET void NAME(long kc, const T *restrict a, const T *restrict b, T *c, long ldc,         \
                   T alpha, T beta, int mr, int nr) {                                        \
    ALL_ROWS(DECLARE_ROW)                                                                    \
    for (int i = 0; i < mr; ++i) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);     \
    UNROLL_4                                                                                 \
    for (long p = 0; p < kc; ++p) {                                                          \
      const V b0 = LOADU(b), b1 = LOADU(b + W);                                              \
      V ai;                                                                                  \
      ALL_ROWS(ROW_FMA)                                                                      \
      a += MR;                                                                               \
      b += 2 * W;                                                                            \
    }                                                                                        \
    const V va = SET1(alpha);                                                                \
    if (mr == MR && nr == 2 * W) {                                                           \
      if (beta == 0) {                                                                       \
        ALL_ROWS(STORE_ROW_BETA0)                                                            \
      } else {                                                                               \
        const V vb = SET1(beta);                                                             \
        ALL_ROWS(STORE_ROW_BETA)                                                             \
      }                                                                                      \
    } else { /* edge tile: spill, then write only the valid corner */                        \
      T tile[MR * 2 * W] __attribute__((aligned(TILE_ALIGN)));                               \
      ALL_ROWS(SPILL_ROW)                                                                    \
      STORE_TILE(tile, 2 * W, c, ldc, alpha, beta, mr, nr);                                  \
    }                                                                                        \
  }
