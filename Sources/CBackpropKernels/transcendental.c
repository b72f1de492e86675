// Vectorised expf, tanhf, the logistic sigmoid, erff, GELU x·Φ(x) and its derivative for float
// arrays: the elementwise activations that otherwise cost one libm call (≈ 10 ns) per element.
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
// erf(x) = x·S(x²) for |x| < 1; erfc(a) = e^(−a²)·L(1/(1 + a/2)) for 1 ≤ a ≤ 10: least-squares
// fits (in Double, on Chebyshev points, coefficients rounded to float) with at most 6e-8 and
// 5e-8 relative error. GELU's Φ(x) = ½·erfc(−x/√2) uses the second form on the negative side.
#define ERF_S0 1.1283791065216064f
#define ERF_S1 -0.37612348794937134f
#define ERF_S2 0.11280364543199539f
#define ERF_S3 -0.026716390624642372f
#define ERF_S4 0.004923280794173479f
#define ERF_S5 -0.0005654108827002347f
#define ERF_L0 3.349369990e-06f
#define ERF_L1 2.819912434e-01f
#define ERF_L2 2.834967673e-01f
#define ERF_L3 2.359048426e-01f
#define ERF_L4 2.304854989e-01f
#define ERF_L5 -9.372395277e-02f
#define ERF_L6 3.794721365e-01f
#define ERF_L7 -5.797816515e-01f
#define ERF_L8 3.308357596e-01f
#define ERF_L9 -6.865312159e-02f
#define SQRT1_2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

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

static inline float exp_neg2_scalar(float hi, float lo) {  // e^(−(hi + lo))
  float e = exp_scalar(-hi);
  return fmaf(-e, lo, e);
}

static inline float erf_small_scalar(float x, float s) {
  return x * (((((ERF_S5 * s + ERF_S4) * s + ERF_S3) * s + ERF_S2) * s + ERF_S1) * s + ERF_S0);
}

static inline float erfcx_scalar(float a) {
  float u = 1.0f / (fminf(a, 11.0f) * 0.5f + 1.0f);
  float r = ERF_L9;
  r = r * u + ERF_L8; r = r * u + ERF_L7; r = r * u + ERF_L6; r = r * u + ERF_L5;
  r = r * u + ERF_L4; r = r * u + ERF_L3; r = r * u + ERF_L2; r = r * u + ERF_L1;
  return r * u + ERF_L0;
}

static inline float erf_scalar(float x) {
  if (x != x) return x;
  float a = fminf(fabsf(x), 11.0f);  // erf(±11) = ±1; keeps ∞² (and its error term) out
  float hi = a * a, lo = fmaf(a, a, -hi);
  if (a < 1.0f) return erf_small_scalar(x, hi);
  return copysignf(1.0f - exp_neg2_scalar(hi, lo) * erfcx_scalar(a), x);
}

static inline float normal_cdf_scalar(float x, float *gauss) {
  float xc = fminf(fmaxf(x, -16.0f), 16.0f);  // e^(−128) = 0 already; keeps ∞² out
  float hi = xc * xc, lo = fmaf(xc, xc, -hi);
  float z = x * SQRT1_2, a = fabsf(z);
  float e = exp_neg2_scalar(0.5f * hi, 0.5f * lo);
  *gauss = e;
  if (a < 1.0f) return 0.5f + 0.5f * erf_small_scalar(z, 0.5f * hi);
  float tail = 0.5f * e * erfcx_scalar(a);
  return x > 0 ? 1.0f - tail : tail;
}

static inline float gelu_scalar(float x) {
  if (x != x) return x;
  float gauss;
  return x * normal_cdf_scalar(x, &gauss);
}

static inline float gelu_derivative_scalar(float x) {
  if (x != x) return x;
  float gauss;
  float cdf = normal_cdf_scalar(x, &gauss);
  return fmaf(x * INV_SQRT_2PI, gauss, cdf);
}

static void exp_portable(const float *x, float *y, long n) { for (long i = 0; i < n; ++i) y[i] = exp_scalar(x[i]); }
static void erf_portable(const float *x, float *y, long n) { for (long i = 0; i < n; ++i) y[i] = erf_scalar(x[i]); }
static void gelu_portable(const float *x, float *y, long n) { for (long i = 0; i < n; ++i) y[i] = gelu_scalar(x[i]); }
static void gelu_derivative_portable(const float *x, float *y, long n) {
  for (long i = 0; i < n; ++i) y[i] = gelu_derivative_scalar(x[i]);
}
static void tanh_portable(const float *x, float *y, long n) { for (long i = 0; i < n; ++i) y[i] = tanh_scalar(x[i]); }
static void sigmoid_portable(const float *x, float *y, long n) { for (long i = 0; i < n; ++i) y[i] = sigmoid_scalar(x[i]); }

#if defined(__x86_64__)
#include <immintrin.h>

// MARK: - AVX-512 (16 lanes): comparisons give lane masks

#define V __m512
#define I __m512i
#define TARGET __attribute__((target("avx512f")))
#define FN(name) name##_avx512
#define LANES 16
#define SET1 _mm512_set1_ps
#define ADD _mm512_add_ps
#define SUB _mm512_sub_ps
#define MUL _mm512_mul_ps
#define DIV _mm512_div_ps
#define MIN _mm512_min_ps
#define MAX _mm512_max_ps
#define FMADD _mm512_fmadd_ps
#define FNMADD _mm512_fnmadd_ps
#define ROUND(a) _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define LOAD _mm512_loadu_ps
#define STORE _mm512_storeu_ps
#define TOI _mm512_cvtps_epi32
#define SRAI _mm512_srai_epi32
#define ISUB _mm512_sub_epi32
#define IADD _mm512_add_epi32
#define ISET1 _mm512_set1_epi32
#define SLLI _mm512_slli_epi32
#define CASTI _mm512_castps_si512
#define CASTF _mm512_castsi512_ps
#define ANDI _mm512_and_si512
#define ORI _mm512_or_si512
#define LT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define GT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)
#define UNORD(a) _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q)
#define SELECT(c, a, b) _mm512_mask_mov_ps(a, c, b)
#define TAIL(x, y, rest, F, SCALAR)                                              \
  if (rest > 0) {                                                                 \
    __mmask16 m = (__mmask16)((1u << (rest)) - 1);                                \
    _mm512_mask_storeu_ps(y, m, F(_mm512_maskz_loadu_ps(m, x)));                  \
  }
#include "transcendental_template.h"
#undef V
#undef I
#undef TARGET
#undef FN
#undef LANES
#undef SET1
#undef ADD
#undef SUB
#undef MUL
#undef DIV
#undef MIN
#undef MAX
#undef FMADD
#undef FNMADD
#undef ROUND
#undef LOAD
#undef STORE
#undef TOI
#undef SRAI
#undef ISUB
#undef IADD
#undef ISET1
#undef SLLI
#undef CASTI
#undef CASTF
#undef ANDI
#undef ORI
#undef LT
#undef GT
#undef UNORD
#undef SELECT
#undef TAIL

// MARK: - AVX2 + FMA (8 lanes): comparisons give all-ones lanes, selected with blendv

#define V __m256
#define I __m256i
#define TARGET __attribute__((target("avx2,fma")))
#define FN(name) name##_avx2
#define LANES 8
#define SET1 _mm256_set1_ps
#define ADD _mm256_add_ps
#define SUB _mm256_sub_ps
#define MUL _mm256_mul_ps
#define DIV _mm256_div_ps
#define MIN _mm256_min_ps
#define MAX _mm256_max_ps
#define FMADD _mm256_fmadd_ps
#define FNMADD _mm256_fnmadd_ps
#define ROUND(a) _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define LOAD _mm256_loadu_ps
#define STORE _mm256_storeu_ps
#define TOI _mm256_cvtps_epi32
#define SRAI _mm256_srai_epi32
#define ISUB _mm256_sub_epi32
#define IADD _mm256_add_epi32
#define ISET1 _mm256_set1_epi32
#define SLLI _mm256_slli_epi32
#define CASTI _mm256_castps_si256
#define CASTF _mm256_castsi256_ps
#define ANDI _mm256_and_si256
#define ORI _mm256_or_si256
#define LT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define GT(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define UNORD(a) _mm256_cmp_ps(a, a, _CMP_UNORD_Q)
#define SELECT(c, a, b) _mm256_blendv_ps(a, b, c)
#define TAIL(x, y, rest, F, SCALAR) for (long j = 0; j < (rest); ++j) (y)[j] = SCALAR((x)[j]);
#include "transcendental_template.h"
#endif

typedef void (*unary_fn)(const float *, float *, long);

static void run(unary_fn avx512, unary_fn avx2, unary_fn portable, const float *x, float *y, long n, int isa) {
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
  if (isa == BP_ISA_AVX512) avx512(x, y, n);
  else if (isa == BP_ISA_AVX2) avx2(x, y, n);
  else portable(x, y, n);
}

#if !defined(__x86_64__)
#define exp_array_avx512 exp_portable
#define tanh_array_avx512 tanh_portable
#define sigmoid_array_avx512 sigmoid_portable
#define exp_array_avx2 exp_portable
#define tanh_array_avx2 tanh_portable
#define sigmoid_array_avx2 sigmoid_portable
#define erf_array_avx512 erf_portable
#define gelu_array_avx512 gelu_portable
#define gelu_derivative_array_avx512 gelu_derivative_portable
#define erf_array_avx2 erf_portable
#define gelu_array_avx2 gelu_portable
#define gelu_derivative_array_avx2 gelu_derivative_portable
#endif

void bp_vexpf(const float *x, float *y, long n, int isa) { run(exp_array_avx512, exp_array_avx2, exp_portable, x, y, n, isa); }
void bp_vtanhf(const float *x, float *y, long n, int isa) { run(tanh_array_avx512, tanh_array_avx2, tanh_portable, x, y, n, isa); }
void bp_vsigmoidf(const float *x, float *y, long n, int isa) {
  run(sigmoid_array_avx512, sigmoid_array_avx2, sigmoid_portable, x, y, n, isa);
}
void bp_verff(const float *x, float *y, long n, int isa) { run(erf_array_avx512, erf_array_avx2, erf_portable, x, y, n, isa); }
void bp_vgeluf(const float *x, float *y, long n, int isa) { run(gelu_array_avx512, gelu_array_avx2, gelu_portable, x, y, n, isa); }
void bp_vgelu_derivativef(const float *x, float *y, long n, int isa) {
  run(gelu_derivative_array_avx512, gelu_derivative_array_avx2, gelu_derivative_portable, x, y, n, isa);
}
