// The Adam/AdamW update of Float parameters (Backprop's `adamKernel`), 8 elements per AVX2
// step. No contraction into FMA anywhere: the vector and scalar paths, and Swift's loop, round
// identically (sqrt and division are exact IEEE operations at every width).
#include "CBackpropKernels.h"
#include <math.h>
#pragma STDC FP_CONTRACT OFF

static void adam_scalar(float *theta, const float *grad, float *m, float *v, long from, long to, float step_size,
                        float correction2, float one_minus_beta1, float beta2, float one_minus_beta2, float eps, float l2,
                        float decay) {
  for (long i = from; i < to; ++i) {
    const float t = theta[i] * decay;
    const float g = l2 == 0 ? grad[i] : grad[i] + l2 * t;
    const float mi = m[i] + one_minus_beta1 * (g - m[i]);
    const float vi = v[i] * beta2 + one_minus_beta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    theta[i] = t - (step_size * mi) / (sqrtf(vi) / correction2 + eps);
  }
}

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2"))) static long adam_avx2(float *theta, const float *grad, float *m, float *v, long n,
                                                       float step_size, float correction2, float one_minus_beta1,
                                                       float beta2, float one_minus_beta2, float eps, float l2, float decay) {
  const __m256 vs = _mm256_set1_ps(step_size), vc2 = _mm256_set1_ps(correction2), vb1 = _mm256_set1_ps(one_minus_beta1);
  const __m256 vb2 = _mm256_set1_ps(beta2), vob2 = _mm256_set1_ps(one_minus_beta2), veps = _mm256_set1_ps(eps);
  const __m256 vl2 = _mm256_set1_ps(l2), vdecay = _mm256_set1_ps(decay);
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 t = _mm256_mul_ps(_mm256_loadu_ps(theta + i), vdecay);
    __m256 g = _mm256_loadu_ps(grad + i);
    if (l2 != 0) g = _mm256_add_ps(g, _mm256_mul_ps(vl2, t));
    const __m256 m0 = _mm256_loadu_ps(m + i);
    const __m256 mi = _mm256_add_ps(m0, _mm256_mul_ps(vb1, _mm256_sub_ps(g, m0)));
    const __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), vb2), _mm256_mul_ps(_mm256_mul_ps(vob2, g), g));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    const __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vc2), veps);
    _mm256_storeu_ps(theta + i, _mm256_sub_ps(t, _mm256_div_ps(_mm256_mul_ps(vs, mi), den)));
  }
  return i;
}
#endif

void bp_f32_adam(float *theta, const float *grad, float *m, float *v, long n, float step_size, float correction2,
                 float one_minus_beta1, float beta2, float one_minus_beta2, float eps, float l2, float decay, int isa) {
  long done = 0;
#if defined(__x86_64__)
  if (isa >= BP_ISA_AVX2)
    done = adam_avx2(theta, grad, m, v, n, step_size, correction2, one_minus_beta1, beta2, one_minus_beta2, eps, l2, decay);
#else
  (void)isa;
#endif
  adam_scalar(theta, grad, m, v, done, n, step_size, correction2, one_minus_beta1, beta2, one_minus_beta2, eps, l2, decay);
}
