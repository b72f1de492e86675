// Vectorised expf, tanhf and the logistic sigmoid for float arrays: the elementwise activations
// that otherwise cost one libm call (≈ 10 ns) per element.
//
// The algorithms are Cephes' (S. L. Moshier), evaluated 16 lanes at a time (AVX-512), 8 (AVX2 +
// FMA) or one (portable C):
//   exp(x)  = 2ⁿ · e^r,  n = round(x·log₂e),  r = x − n·ln2 (ln2 split in two for exactness),
//             e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2, 2ⁿ built in the exponent bits (applied in
//             two halves so results down to the subnormal range stay accurate);
//   tanh(x) = x + x³·Q(x²) for |x| < 0.625, else sign(x)·(1 − 2/(e^{2|x|} + 1)), ±1 beyond 9;
//   σ(x)    = 1/(1 + e^{−|x|}) for x ≥ 0, e^{−|x|}/(1 + e^{−|x|}) below (never overflows).
// Measured against correctly rounded results (Tests/BackpropKernelsTests/TranscendentalTests):
// at most 1 ulp for exp and tanh and 3 for σ on the tested inputs (tests allow 2, 2, 3); NaN, ±∞ and ±0 behave as
// in libm.
#include "CBackpropKernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#define EXP_HI 88.72283935546875f     // above: +∞
#define EXP_LO -103.972084045410f     // below: 0 (smaller than half the least subnormal)
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
#define P0 1.9875691500e-4f
#define P1 1.3981999507e-3f
#define P2 8.3334519073e-3f
#define P3 4.1665795894e-2f
#define P4 1.6666665459e-1f
#define P5 5.0000001201e-1f
#define T0 -5.70498872745e-3f
#define T1 2.06390887954e-2f
#define T2 -5.37397155531e-2f
#define T3 1.33314422036e-1f
#define T4 -3.33332819422e-1f

// MARK: - Portable

static inline float pow2i(int n) {  // 2ⁿ for n in [-126, 127]
  uint32_t bits = (uint32_t)(n + 127) << 23;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static inline float exp_scalar(float x) {
  if (x != x) return x;
  if (x > EXP_HI) return INFINITY;
  if (x < EXP_LO) return 0.0f;
  float n = floorf(x * LOG2E + 0.5f);
  float r = x - n * LN2_HI - n * LN2_LO;
  float p = ((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5;
  float y = p * r * r + r + 1.0f;
  int k = (int)n, k1 = k / 2, k2 = k - k1;  // two halves: 2ⁿ may be outside the normal range
  return y * pow2i(k1) * pow2i(k2);
}

static inline float tanh_scalar(float x) {
  float a = fabsf(x);
  if (a < 0.625f) {
    float z = x * x;
    return ((((T0 * z + T1) * z + T2) * z + T3) * z + T4) * z * x + x;
  }
  if (a > 9.0f) return copysignf(1.0f, x);  // also ±∞; NaN fails both tests and falls through
  float e = exp_scalar(2.0f * a);
  float t = 1.0f - 2.0f / (e + 1.0f);
  return copysignf(t, x);
}

static inline float sigmoid_scalar(float x) {
  float e = exp_scalar(-fabsf(x));
  float s = 1.0f / (1.0f + e);
  return x >= 0 ? s : (x < 0 ? e * s : x);  // NaN stays NaN
}

static void exp_portable(const float *x, float *y, long n) { for (long i = 0; i < n; ++i) y[i] = exp_scalar(x[i]); }
static void tanh_portable(const float *x, float *y, long n) { for (long i = 0; i < n; ++i) y[i] = tanh_scalar(x[i]); }
static void sigmoid_portable(const float *x, float *y, long n) { for (long i = 0; i < n; ++i) y[i] = sigmoid_scalar(x[i]); }

#if defined(__x86_64__)
#include <immintrin.h>

// MARK: - AVX-512 (16 lanes)

#define A512 __attribute__((target("avx512f")))

A512 static inline __m512 exp16(__m512 x) {
  __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(EXP_LO)), _mm512_set1_ps(EXP_HI));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), xc);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(P0), r, _mm512_set1_ps(P1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P5));
  __m512 y = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  __m512i k = _mm512_cvtps_epi32(n);
  __m512i k1 = _mm512_srai_epi32(k, 1), k2 = _mm512_sub_epi32(k, k1);
  __m512i bias = _mm512_set1_epi32(127);
  __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k1, bias), 23));
  __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k2, bias), 23));
  y = _mm512_mul_ps(_mm512_mul_ps(y, s1), s2);
  __mmask16 over = _mm512_cmp_ps_mask(x, _mm512_set1_ps(EXP_HI), _CMP_GT_OQ);
  __mmask16 under = _mm512_cmp_ps_mask(x, _mm512_set1_ps(EXP_LO), _CMP_LT_OQ);
  __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  y = _mm512_mask_mov_ps(y, over, _mm512_set1_ps(INFINITY));
  y = _mm512_mask_mov_ps(y, under, _mm512_setzero_ps());
  return _mm512_mask_mov_ps(y, nan, x);
}

A512 static inline __m512 abs16(__m512 x) {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

A512 static inline __m512 copysign16(__m512 magnitude, __m512 sign) {
  __m512i s = _mm512_and_si512(_mm512_castps_si512(sign), _mm512_set1_epi32((int)0x80000000u));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(magnitude), s));
}

A512 static inline __m512 tanh16(__m512 x) {
  __m512 a = abs16(x);
  __m512 z = _mm512_mul_ps(x, x);
  __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(T0), z, _mm512_set1_ps(T1));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(T2));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(T3));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(T4));
  __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(q, z), x, x);
  __m512 e = exp16(_mm512_mul_ps(_mm512_set1_ps(2.0f), _mm512_min_ps(a, _mm512_set1_ps(9.0f))));
  __m512 t = _mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
  __m512 large = copysign16(t, x);
  __mmask16 isSmall = _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
  __mmask16 isHuge = _mm512_cmp_ps_mask(a, _mm512_set1_ps(9.0f), _CMP_GT_OQ);
  __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  __m512 y = _mm512_mask_mov_ps(large, isSmall, small);
  y = _mm512_mask_mov_ps(y, isHuge, copysign16(_mm512_set1_ps(1.0f), x));
  return _mm512_mask_mov_ps(y, nan, x);
}

A512 static inline __m512 sigmoid16(__m512 x) {
  __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), abs16(x)));
  __m512 s = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  __m512 y = _mm512_mask_mov_ps(s, negative, _mm512_mul_ps(e, s));
  return _mm512_mask_mov_ps(y, nan, x);
}

#define DEFINE_512(NAME, F, SCALAR)                                                     \
  A512 static void NAME(const float *x, float *y, long n) {                            \
    long i = 0;                                                                         \
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, F(_mm512_loadu_ps(x + i)));     \
    if (i < n) {                                                                        \
      __mmask16 m = (__mmask16)((1u << (n - i)) - 1);                                   \
      _mm512_mask_storeu_ps(y + i, m, F(_mm512_maskz_loadu_ps(m, x + i)));              \
    }                                                                                   \
  }
DEFINE_512(exp_avx512, exp16, exp_scalar)
DEFINE_512(tanh_avx512, tanh16, tanh_scalar)
DEFINE_512(sigmoid_avx512, sigmoid16, sigmoid_scalar)

// MARK: - AVX2 + FMA (8 lanes)

#define A256 __attribute__((target("avx2,fma")))

A256 static inline __m256 exp8(__m256 x) {
  __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(EXP_LO)), _mm256_set1_ps(EXP_HI));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(P0), r, _mm256_set1_ps(P1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P5));
  __m256 y = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i k = _mm256_cvtps_epi32(n);
  __m256i k1 = _mm256_srai_epi32(k, 1), k2 = _mm256_sub_epi32(k, k1);
  __m256i bias = _mm256_set1_epi32(127);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
  y = _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
  y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, _mm256_set1_ps(EXP_HI), _CMP_GT_OQ));
  y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x, _mm256_set1_ps(EXP_LO), _CMP_LT_OQ));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

A256 static inline __m256 abs8(__m256 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
A256 static inline __m256 copysign8(__m256 magnitude, __m256 sign) {
  return _mm256_or_ps(magnitude, _mm256_and_ps(sign, _mm256_set1_ps(-0.0f)));
}

A256 static inline __m256 tanh8(__m256 x) {
  __m256 a = abs8(x);
  __m256 z = _mm256_mul_ps(x, x);
  __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(T0), z, _mm256_set1_ps(T1));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(T2));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(T3));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(T4));
  __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(q, z), x, x);
  __m256 e = exp8(_mm256_mul_ps(_mm256_set1_ps(2.0f), _mm256_min_ps(a, _mm256_set1_ps(9.0f))));
  __m256 t = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
  __m256 y = _mm256_blendv_ps(copysign8(t, x), small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
  y = _mm256_blendv_ps(y, copysign8(_mm256_set1_ps(1.0f), x), _mm256_cmp_ps(a, _mm256_set1_ps(9.0f), _CMP_GT_OQ));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

A256 static inline __m256 sigmoid8(__m256 x) {
  __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), abs8(x)));
  __m256 s = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  __m256 y = _mm256_blendv_ps(s, _mm256_mul_ps(e, s), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

#define DEFINE_256(NAME, F, SCALAR)                                                     \
  A256 static void NAME(const float *x, float *y, long n) {                            \
    long i = 0;                                                                         \
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));       \
    for (; i < n; ++i) y[i] = SCALAR(x[i]);                                             \
  }
DEFINE_256(exp_avx2, exp8, exp_scalar)
DEFINE_256(tanh_avx2, tanh8, tanh_scalar)
DEFINE_256(sigmoid_avx2, sigmoid8, sigmoid_scalar)
#endif

typedef void (*unary_fn)(const float *, float *, long);

static void run(unary_fn avx512, unary_fn avx2, unary_fn portable, const float *x, float *y, long n, int isa) {
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
  if (isa == BP_ISA_AVX512) avx512(x, y, n);
  else if (isa == BP_ISA_AVX2) avx2(x, y, n);
  else portable(x, y, n);
}

#if !defined(__x86_64__)
#define exp_avx512 exp_portable
#define tanh_avx512 tanh_portable
#define sigmoid_avx512 sigmoid_portable
#define exp_avx2 exp_portable
#define tanh_avx2 tanh_portable
#define sigmoid_avx2 sigmoid_portable
#endif

void bp_vexpf(const float *x, float *y, long n, int isa) { run(exp_avx512, exp_avx2, exp_portable, x, y, n, isa); }
void bp_vtanhf(const float *x, float *y, long n, int isa) { run(tanh_avx512, tanh_avx2, tanh_portable, x, y, n, isa); }
void bp_vsigmoidf(const float *x, float *y, long n, int isa) { run(sigmoid_avx512, sigmoid_avx2, sigmoid_portable, x, y, n, isa); }
