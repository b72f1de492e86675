// Float elementwise arithmetic (+ − × ÷) at the CPU's vector width. Swift packages are compiled
// for the x86-64 baseline (SSE2, 4 lanes); these loops use 16 (AVX-512) or 8 (AVX2) lanes. Each
// IEEE operation is correctly rounded at any width, so results are bit-identical to the scalar
// Swift loops they replace.
#include "CBackpropKernels.h"
#include <string.h>

// mode: 0 = out[i] = a[i] op b[i]; 1 = a[0] op b[i] (number first); 2 = a[i] op b[0].
#define SCALAR_LOOP(OP)                                                                 \
  switch (mode) {                                                                       \
  case 1: { float s = a[0]; for (long i = start; i < n; ++i) out[i] = s OP b[i]; break; } \
  case 2: { float s = b[0]; for (long i = start; i < n; ++i) out[i] = a[i] OP s; break; } \
  default: for (long i = start; i < n; ++i) out[i] = a[i] OP b[i];                       \
  }

static void portable(int op, const float *a, const float *b, float *out, long n, int mode, long start) {
  switch (op) {
  case BP_ARITH_ADD: SCALAR_LOOP(+) break;
  case BP_ARITH_SUBTRACT: SCALAR_LOOP(-) break;
  case BP_ARITH_MULTIPLY: SCALAR_LOOP(*) break;
  default: SCALAR_LOOP(/) break;
  }
}

#if defined(__x86_64__)
#include <immintrin.h>

// One vector loop per (width, op); the tail (fewer than LANES elements) goes to `portable`.
#define DEFINE_WIDE(NAME, TARGET, LANES, V, LOAD, STORE, SET1, ADD, SUB, MUL, DIV)                    \
  __attribute__((target(TARGET))) static void NAME(int op, const float *a, const float *b, float *out, \
                                                   long n, int mode) {                                 \
    long i = 0;                                                                                        \
    V sa = SET1(a[0]), sb = SET1(b[0]);                                                                \
    for (; i + LANES <= n; i += LANES) {                                                               \
      V x = mode == 1 ? sa : LOAD(a + i), y = mode == 2 ? sb : LOAD(b + i);                            \
      V r = op == BP_ARITH_ADD ? ADD(x, y) : op == BP_ARITH_SUBTRACT ? SUB(x, y)                       \
          : op == BP_ARITH_MULTIPLY ? MUL(x, y) : DIV(x, y);                                           \
      STORE(out + i, r);                                                                               \
    }                                                                                                  \
    portable(op, a, b, out, n, mode, i);                                                               \
  }
DEFINE_WIDE(wide_avx512, "avx512f", 16, __m512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps,
            _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps, _mm512_div_ps)
DEFINE_WIDE(wide_avx2, "avx2", 8, __m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps,
            _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps)
#endif

void bp_f32_arithmetic(int op, const float *a, const float *b, float *out, long n, int mode, int isa) {
  if (n <= 0) return;
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
#if defined(__x86_64__)
  if (isa == BP_ISA_AVX512) { wide_avx512(op, a, b, out, n, mode); return; }
  if (isa == BP_ISA_AVX2) { wide_avx2(op, a, b, out, n, mode); return; }
#endif
  portable(op, a, b, out, n, mode, 0);
}

void bp_f32_sum_in_order(float *dst, const float *const *sources, int count, long n, int isa) {
  if (n <= 0 || count <= 0) return;
  if (count == 1) {
    memcpy(dst, sources[0], (size_t)n * sizeof(float));
    return;
  }
  if (count == 2) {
    // Two ranks, the usual case: one pass at the vector width.
    bp_f32_arithmetic(BP_ARITH_ADD, sources[0], sources[1], dst, n, 0, isa);
    return;
  }
  // Blocks of 1,024 elements: the partial sum stays in L1 while each source is added to it, in
  // the order sources[0] + sources[1] + … for every element (the same bits wherever it runs).
  for (long start = 0; start < n; start += 1024) {
    long len = start + 1024 < n ? 1024 : n - start;
    float block[1024];
    bp_f32_arithmetic(BP_ARITH_ADD, sources[0] + start, sources[1] + start, block, len, 0, isa);
    for (int s = 2; s < count - 1; s++) bp_f32_arithmetic(BP_ARITH_ADD, block, sources[s] + start, block, len, 0, isa);
    bp_f32_arithmetic(BP_ARITH_ADD, block, sources[count - 1] + start, dst + start, len, 0, isa);
  }
}
