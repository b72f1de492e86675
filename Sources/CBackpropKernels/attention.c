// Multi-head self-attention of Float from the packed projection qkv [B, T, 3E] (q, k, v side by
// side; head h at columns h*d ..< (h+1)*d of each, d = E / heads) to the merged heads [B, T, E],
// and its first-order backward: the kernels of Backprop's `packedSelfAttention` op. The AVX2/FMA
// path (d a multiple of 8) does the head-size dot products and row updates 8 lanes at a time;
// the portable path is the same loops, one element at a time (sums in another order, so the
// two paths agree to rounding, not bit for bit).
#include "CBackpropKernels.h"
#include <math.h>
#include <string.h>

static inline float dot_portable(const float *a, const float *b, long d) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  long c = 0;
  for (; c + 4 <= d; c += 4) { s0 += a[c] * b[c]; s1 += a[c + 1] * b[c + 1]; s2 += a[c + 2] * b[c + 2]; s3 += a[c + 3] * b[c + 3]; }
  for (; c < d; ++c) s0 += a[c] * b[c];
  return (s0 + s1) + (s2 + s3);
}
// y += w x
static inline void axpy_portable(float w, const float *x, float *y, long d) { for (long c = 0; c < d; ++c) y[c] += w * x[c]; }

#define ATTENTION_KERNELS(SUFFIX, ATTR, DOT, AXPY)                                                                   \
  ATTR static void forward_##SUFFIX(const float *qkv, float *out, float *probs, long batch, long t, long e,         \
                                    long heads, int causal, float *p) {                                             \
    const long d = e / heads, row = 3 * e;                                                                           \
    const float scale = 1.0f / sqrtf((float)d);                                                                      \
    for (long n = 0; n < batch; ++n)                                                                                 \
      for (long hd = 0; hd < heads; ++hd) {                                                                          \
        const float *q0 = qkv + n * t * row + hd * d, *k0 = q0 + e, *v0 = q0 + 2 * e;                               \
        for (long i = 0; i < t; ++i) {                                                                               \
          const long last = causal ? i : t - 1;                                                                      \
          float m = -INFINITY;                                                                                       \
          for (long j = 0; j <= last; ++j) {                                                                         \
            p[j] = DOT(q0 + i * row, k0 + j * row, d) * scale;                                                       \
            if (p[j] > m) m = p[j];                                                                                  \
          }                                                                                                          \
          float z = 0;                                                                                               \
          for (long j = 0; j <= last; ++j) { p[j] = expf(p[j] - m); z += p[j]; }                                     \
          const float inv = 1.0f / z;                                                                                \
          float *o = out + (n * t + i) * e + hd * d;                                                                 \
          memset(o, 0, sizeof(float) * (size_t)d);                                                                   \
          for (long j = 0; j <= last; ++j) AXPY(p[j] * inv, v0 + j * row, o, d);                                     \
          if (probs) {                                                                                               \
            float *pr = probs + ((n * heads + hd) * t + i) * t;                                                      \
            for (long j = 0; j <= last; ++j) pr[j] = p[j] * inv;                                                     \
            for (long j = last + 1; j < t; ++j) pr[j] = 0;                                                           \
          }                                                                                                          \
        }                                                                                                            \
      }                                                                                                              \
  }                                                                                                                  \
  ATTR static void backward_##SUFFIX(const float *g, const float *qkv, const float *probs, float *dx, long batch,    \
                                     long t, long e, long heads, int causal, float *ds) {                           \
    const long d = e / heads, row = 3 * e;                                                                           \
    const float scale = 1.0f / sqrtf((float)d);                                                                      \
    memset(dx, 0, sizeof(float) * (size_t)(batch * t * row));                                                        \
    for (long n = 0; n < batch; ++n)                                                                                 \
      for (long hd = 0; hd < heads; ++hd) {                                                                          \
        const long off = n * t * row + hd * d;                                                                       \
        const float *q0 = qkv + off, *k0 = q0 + e, *v0 = q0 + 2 * e;                                                 \
        float *dq0 = dx + off, *dk0 = dq0 + e, *dv0 = dq0 + 2 * e;                                                   \
        for (long i = 0; i < t; ++i) {                                                                               \
          const long last = causal ? i : t - 1;                                                                      \
          const float *pr = probs + ((n * heads + hd) * t + i) * t, *gi = g + (n * t + i) * e + hd * d;              \
          float total = 0;                                                                                           \
          for (long j = 0; j <= last; ++j) {                                                                         \
            const float dp = DOT(gi, v0 + j * row, d);                                                               \
            AXPY(pr[j], gi, dv0 + j * row, d);                                                                       \
            ds[j] = dp;                                                                                              \
            total += pr[j] * dp;                                                                                     \
          }                                                                                                          \
          const float *qi = q0 + i * row;                                                                            \
          float *dqi = dq0 + i * row;                                                                                \
          for (long j = 0; j <= last; ++j) {                                                                         \
            const float w = pr[j] * (ds[j] - total) * scale;                                                         \
            AXPY(w, k0 + j * row, dqi, d);                                                                           \
            AXPY(w, qi, dk0 + j * row, d);                                                                           \
          }                                                                                                          \
        }                                                                                                            \
      }                                                                                                              \
  }

ATTENTION_KERNELS(portable, , dot_portable, axpy_portable)

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static inline float dot_avx2(const float *a, const float *b, long d) {
  __m256 s = _mm256_mul_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(b));
  for (long c = 8; c < d; c += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c), s);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  return _mm_cvtss_f32(h);
}
__attribute__((target("avx2,fma"))) static inline void axpy_avx2(float w, const float *x, float *y, long d) {
  const __m256 wv = _mm256_set1_ps(w);
  for (long c = 0; c < d; c += 8) _mm256_storeu_ps(y + c, _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + c), _mm256_loadu_ps(y + c)));
}

ATTENTION_KERNELS(avx2, __attribute__((target("avx2,fma"))), dot_avx2, axpy_avx2)
#endif

static int use_avx2(long e, long heads, int isa) {
#if defined(__x86_64__)
  return isa >= BP_ISA_AVX2 && (e / heads) % 8 == 0 && e / heads > 0;
#else
  (void)e; (void)heads; (void)isa;
  return 0;
#endif
}

void bp_f32_packed_attention(const float *qkv, float *out, float *probs, float *scratch, long batch, long t, long e,
                             long heads, int causal, int isa) {
#if defined(__x86_64__)
  if (use_avx2(e, heads, isa)) { forward_avx2(qkv, out, probs, batch, t, e, heads, causal, scratch); return; }
#endif
  forward_portable(qkv, out, probs, batch, t, e, heads, causal, scratch);
}

void bp_f32_packed_attention_backward(const float *g, const float *qkv, const float *probs, float *dqkv, float *scratch,
                                      long batch, long t, long e, long heads, int causal, int isa) {
#if defined(__x86_64__)
  if (use_avx2(e, heads, isa)) { backward_avx2(g, qkv, probs, dqkv, batch, t, e, heads, causal, scratch); return; }
#endif
  backward_portable(g, qkv, probs, dqkv, batch, t, e, heads, causal, scratch);
}
