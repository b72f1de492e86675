// 2×2, stride-2 max pooling of Float planes (the CNN's pooling) and its adjoint, 8 windows per
// AVX2 step. PyTorch's rule inside a window, in scan order (top-left, top-right, bottom-left,
// bottom-right): start at the first; a value replaces the maximum when `v > max || isnan(v)`
// (so the last NaN wins). Both are exact (comparisons and copies only): the vector and scalar
// paths give the same bits.
#include "CBackpropKernels.h"

// One window at offset `at` of a plane row pair (`w` = row length): the position (0…3) of its
// maximum of x.
static inline int window_argmax(const float *x, long at, long w) {
  const float v[4] = {x[at], x[at + 1], x[at + w], x[at + w + 1]};
  int best = 0;
  float m = v[0];
  for (int k = 1; k < 4; ++k)
    if (v[k] > m || v[k] != v[k]) { best = k; m = v[k]; }
  return best;
}

static inline long window_offset(int k, long w) { return (k & 1) + (k >> 1) * w; }

// Windows [from, to) of output row `oy`, one at a time.
static void pool_row_scalar(const float *h, const float *x, float *y, long oy, long w, long from, long to) {
  for (long ox = from; ox < to; ++ox) {
    long at = 2 * oy * w + 2 * ox;
    y[ox] = h[at + window_offset(window_argmax(x, at, w), w)];
  }
}

static void unpool_row_scalar(const float *g, const float *x, float *z, long oy, long w, long from, long to) {
  for (long ox = from; ox < to; ++ox) {
    long at = 2 * oy * w + 2 * ox;
    int best = window_argmax(x, at, w);
    for (int k = 0; k < 4; ++k) z[at + window_offset(k, w)] = k == best ? g[ox] : 0;
  }
}

#if defined(__x86_64__)
#include <immintrin.h>

// Lane masks for the first `count` of 8 floats (all lanes when count ≥ 8; none when ≤ 0).
__attribute__((target("avx2"))) static inline __m256i first_lanes(long count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count < 8 ? count : 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Loads up to 8 windows' top or bottom halves (`n` windows: 2n floats, the rest read as 0):
// `even` = their left, `odd` = their right pixels, in the lane order 0 1 4 5 2 3 6 7 of
// `_mm256_shuffle_ps` (undone on the way out). Small planes (a 14- or 7-window row) stay in
// vector code through the masked loads and stores.
__attribute__((target("avx2"))) static inline void split(const float *p, long n, __m256 *even, __m256 *odd) {
  __m256 lo, hi;
  if (n >= 8) {
    lo = _mm256_loadu_ps(p); hi = _mm256_loadu_ps(p + 8);
  } else {
    lo = _mm256_maskload_ps(p, first_lanes(2 * n)); hi = _mm256_maskload_ps(p + 8, first_lanes(2 * n - 8));
  }
  *even = _mm256_shuffle_ps(lo, hi, 0x88);
  *odd = _mm256_shuffle_ps(lo, hi, 0xDD);
}

__attribute__((target("avx2"))) static inline void store_first(float *p, long n, __m256 v) {
  if (n >= 8) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, first_lanes(n), v);
}

// v replaces the running maximum when v > m or v is NaN.
__attribute__((target("avx2"))) static inline __m256 takes(__m256 v, __m256 m) {
  return _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

// The 0 1 4 5 2 3 6 7 lane order and back (the same swap of the middle 64-bit pairs).
__attribute__((target("avx2"))) static inline __m256 swap_middle(__m256 v) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8));
}

__attribute__((target("avx2"))) static void pool_plane_avx2(const float *h, const float *x, float *y, long height,
                                                            long w) {
  long oh = height / 2, ow = w / 2;
  for (long oy = 0; oy < oh; ++oy) {
    const float *top = x + 2 * oy * w, *bottom = top + w;
    float *out = y + oy * ow;
    for (long ox = 0; ox < ow; ox += 8) {
      long n = ow - ox;
      __m256 a0, a1, a2, a3, c;
      split(top + 2 * ox, n, &a0, &a1);
      split(bottom + 2 * ox, n, &a2, &a3);
      __m256 m = a0;
      if (h == x) {
        c = takes(a1, m); m = _mm256_blendv_ps(m, a1, c);
        c = takes(a2, m); m = _mm256_blendv_ps(m, a2, c);
        c = takes(a3, m); m = _mm256_blendv_ps(m, a3, c);
        store_first(out + ox, n, swap_middle(m));
      } else {
        __m256 b0, b1, b2, b3;
        split(h + 2 * oy * w + 2 * ox, n, &b0, &b1);
        split(h + (2 * oy + 1) * w + 2 * ox, n, &b2, &b3);
        __m256 r = b0;
        c = takes(a1, m); m = _mm256_blendv_ps(m, a1, c); r = _mm256_blendv_ps(r, b1, c);
        c = takes(a2, m); m = _mm256_blendv_ps(m, a2, c); r = _mm256_blendv_ps(r, b2, c);
        c = takes(a3, m); r = _mm256_blendv_ps(r, b3, c);
        store_first(out + ox, n, swap_middle(r));
      }
    }
  }
}

__attribute__((target("avx2"))) static void unpool_plane_avx2(const float *g, const float *x, float *z, long height,
                                                              long w) {
  long oh = height / 2, ow = w / 2;
  const __m256 zero = _mm256_setzero_ps();
  for (long oy = 0; oy < oh; ++oy) {
    const float *top = x + 2 * oy * w, *bottom = top + w;
    float *ztop = z + 2 * oy * w, *zbottom = ztop + w;
    for (long ox = 0; ox < ow; ox += 8) {
      long n = ow - ox;
      __m256 a0, a1, a2, a3;
      split(top + 2 * ox, n, &a0, &a1);
      split(bottom + 2 * ox, n, &a2, &a3);
      // Which of the four holds the window's maximum, as all-ones lanes (exactly one per window).
      __m256 m = a0, c1 = takes(a1, m);
      m = _mm256_blendv_ps(m, a1, c1);
      __m256 c2 = takes(a2, m);
      m = _mm256_blendv_ps(m, a2, c2);
      __m256 c3 = takes(a3, m);
      __m256 k3 = c3, k2 = _mm256_andnot_ps(c3, c2);
      __m256 k1 = _mm256_andnot_ps(_mm256_or_ps(c3, c2), c1);
      __m256 k0 = _mm256_andnot_ps(_mm256_or_ps(_mm256_or_ps(c3, c2), c1), _mm256_castsi256_ps(_mm256_set1_epi32(-1)));
      const float *gp = g + oy * ow + ox;
      __m256 d = swap_middle(n >= 8 ? _mm256_loadu_ps(gp) : _mm256_maskload_ps(gp, first_lanes(n)));
      __m256 e0 = _mm256_blendv_ps(zero, d, k0), e1 = _mm256_blendv_ps(zero, d, k1);
      __m256 e2 = _mm256_blendv_ps(zero, d, k2), e3 = _mm256_blendv_ps(zero, d, k3);
      // unpacklo/hi of the 0 1 4 5 2 3 6 7 order give the pixels back in image order.
      store_first(ztop + 2 * ox, 2 * n, _mm256_unpacklo_ps(e0, e1));
      store_first(ztop + 2 * ox + 8, 2 * n - 8, _mm256_unpackhi_ps(e0, e1));
      store_first(zbottom + 2 * ox, 2 * n, _mm256_unpacklo_ps(e2, e3));
      store_first(zbottom + 2 * ox + 8, 2 * n - 8, _mm256_unpackhi_ps(e2, e3));
    }
  }
}
#endif

void bp_f32_maxpool2x2(const float *h, const float *x, float *y, long planes, long height, long width, int isa) {
  long oh = height / 2, ow = width / 2;
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
  for (long p = 0; p < planes; ++p) {
    const float *hp = h + p * height * width, *xp = x + p * height * width;
    float *yp = y + p * oh * ow;
#if defined(__x86_64__)
    if (isa >= BP_ISA_AVX2) { pool_plane_avx2(hp, xp, yp, height, width); continue; }
#endif
    for (long oy = 0; oy < oh; ++oy) pool_row_scalar(hp, xp, yp + oy * ow, oy, width, 0, ow);
  }
}

void bp_f32_maxunpool2x2(const float *g, const float *x, float *z, long planes, long height, long width, int isa) {
  long oh = height / 2, ow = width / 2;
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
  for (long p = 0; p < planes; ++p) {
    const float *gp = g + p * oh * ow, *xp = x + p * height * width;
    float *zp = z + p * height * width;
#if defined(__x86_64__)
    if (isa >= BP_ISA_AVX2) unpool_plane_avx2(gp, xp, zp, height, width);
    else
#endif
      for (long oy = 0; oy < oh; ++oy) unpool_row_scalar(gp + oy * ow, xp, zp, oy, width, 0, ow);
    // Pixels no window covers (an odd last column or row) get no gradient.
    if (width % 2)
      for (long r = 0; r < 2 * oh; ++r) zp[r * width + width - 1] = 0;
    if (height % 2)
      for (long c = 0; c < width; ++c) zp[(height - 1) * width + c] = 0;
  }
}
