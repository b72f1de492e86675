// Implicit-GEMM Float convolution at stride 1: y = A · patches(x) without an im2col matrix and
// without a second packing of B. Each sample's image is copied once into a zero-padded buffer of
// width wp = w + 2·padW; on that grid the output pixel at flat index q = oy·wp + ox reads tap
// (c, i, j) at q + c·planeStride + i·dilH·wp + j·dilW, so one k step of B over consecutive q is a
// plain unaligned vector load from the padded image (an offset table holds the K offsets). The
// columns ox ≥ ow of the grid are computed and dropped ((wp − ow)/wp extra work: 2/16 for the
// CNN's 14×14 layer) in exchange for no packing at all. A is packed once per call into MR-row
// panels. Micro-tile: MR = 8 rows × up to 48 columns (AVX-512: 24 zmm accumulators; AVX2: six
// 8-column strips of 8 ymm accumulators; portable: scalar loops), spilled to a small tile in L1
// and copied out row segment by row segment with the bias added.
#include "CBackpropKernels.h"
#include "gemm_internal.h"
#include <string.h>

#define CMR 8   // rows of A (output channels) per micro-tile
#define CNR 48  // grid columns per micro-tile

long bp_f32_conv_s1_packed_count(long m, long k) { return (m + CMR - 1) / CMR * CMR * k; }

void bp_f32_conv_s1_pack(const float *w, long m, long channels, long kh, long kw, int flipped, float *dst) {
  long k = channels * kh * kw, taps = kh * kw;
  for (long r0 = 0; r0 < m; r0 += CMR, dst += CMR * k)
    for (long p = 0; p < k; ++p) {
      long c = p / taps, t = p % taps, i = t / kw, j = t % kw;
      for (long r = 0; r < CMR; ++r) {
        float v = 0;
        if (r0 + r < m)
          v = flipped ? w[((c * m + r0 + r) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)]
                      : w[(r0 + r) * k + p];
        dst[p * CMR + r] = v;
      }
    }
}

// tile[r][0..<48] = Σ_p a[p·8 + r] · x[off[p] + 0..<48]; `ncols` ≤ 48 columns are needed.
typedef void (*tile_fn)(long k, const float *a, const float *x, const long *off, float *tile, long ncols);

static void tile_portable(long k, const float *a, const float *x, const long *off, float *tile, long ncols) {
  for (long r = 0; r < CMR; ++r)
    for (long q = 0; q < ncols; ++q) tile[r * CNR + q] = 0;
  for (long p = 0; p < k; ++p, a += CMR) {
    const float *b = x + off[p];
    for (long r = 0; r < CMR; ++r)
      for (long q = 0; q < ncols; ++q) tile[r * CNR + q] += a[r] * b[q];
  }
}

// dst[r·ldd + e] = tile[r·CNR + e] + bias[r] (bias may be NULL) for r < rows, e < count.
typedef void (*store_fn)(const float *tile, long rows, long count, const float *bias, float *dst, long ldd);

static void store_portable(const float *tile, long rows, long count, const float *bias, float *dst, long ldd) {
  for (long r = 0; r < rows; ++r) {
    float b = bias ? bias[r] : 0.0f;
    for (long e = 0; e < count; ++e) dst[r * ldd + e] = tile[r * CNR + e] + b;
  }
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static void store_avx512(const float *tile, long rows, long count,
                                                            const float *bias, float *dst, long ldd) {
  for (long r = 0; r < rows; ++r) {
    __m512 b = _mm512_set1_ps(bias ? bias[r] : 0.0f);
    for (long e = 0; e < count; e += 16) {
      __mmask16 lanes = count - e >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - e)) - 1u);
      _mm512_mask_storeu_ps(dst + r * ldd + e, lanes, _mm512_add_ps(_mm512_loadu_ps(tile + r * CNR + e), b));
    }
  }
}
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

#define DECL512_1(r) __m512 c##r##0 = _mm512_setzero_ps();
#define DECL512_2(r) DECL512_1(r) __m512 c##r##1 = _mm512_setzero_ps();
#define DECL512_3(r) DECL512_2(r) __m512 c##r##2 = _mm512_setzero_ps();
#define FMA512_1(r) ar = _mm512_set1_ps(a[r]); c##r##0 = _mm512_fmadd_ps(ar, b0, c##r##0);
#define FMA512_2(r) FMA512_1(r) c##r##1 = _mm512_fmadd_ps(ar, b1, c##r##1);
#define FMA512_3(r) FMA512_2(r) c##r##2 = _mm512_fmadd_ps(ar, b2, c##r##2);
#define ST512_1(r) _mm512_store_ps(tile + r * CNR, c##r##0);
#define ST512_2(r) ST512_1(r) _mm512_store_ps(tile + r * CNR + 16, c##r##1);
#define ST512_3(r) ST512_2(r) _mm512_store_ps(tile + r * CNR + 32, c##r##2);
#define LOAD512_1 const __m512 b0 = _mm512_loadu_ps(b);
#define LOAD512_2 LOAD512_1 const __m512 b1 = _mm512_loadu_ps(b + 16);
#define LOAD512_3 LOAD512_2 const __m512 b2 = _mm512_loadu_ps(b + 32);

#define DEFINE_TILE512(NV)                                                                         \
  __attribute__((target("avx512f"))) static void tile512_##NV(long k, const float *restrict a,     \
                                                               const float *x, const long *off,    \
                                                               float *tile) {                      \
    ROWS(DECL512_##NV)                                                                             \
    for (long p = 0; p < k; ++p, a += CMR) {                                                       \
      const float *b = x + off[p];                                                                 \
      LOAD512_##NV                                                                                 \
      __m512 ar;                                                                                   \
      ROWS(FMA512_##NV)                                                                            \
    }                                                                                              \
    ROWS(ST512_##NV)                                                                               \
  }
DEFINE_TILE512(1)
DEFINE_TILE512(2)
DEFINE_TILE512(3)

static void tile_avx512(long k, const float *a, const float *x, const long *off, float *tile, long ncols) {
  if (ncols > 32) tile512_3(k, a, x, off, tile);
  else if (ncols > 16) tile512_2(k, a, x, off, tile);
  else tile512_1(k, a, x, off, tile);
}

#define DECL256(r) __m256 c##r = _mm256_setzero_ps();
#define FMA256(r) c##r = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r), b0, c##r);
#define ST256(r) _mm256_store_ps(tile + r * CNR + s, c##r);
__attribute__((target("avx2,fma"))) static void tile_avx2(long k, const float *a0, const float *x,
                                                          const long *off, float *tile, long ncols) {
  for (long s = 0; s < ncols; s += 8) {  // one 8-column strip at a time: 8 ymm accumulators
    const float *a = a0;
    ROWS(DECL256)
    for (long p = 0; p < k; ++p, a += CMR) {
      const __m256 b0 = _mm256_loadu_ps(x + off[p] + s);
      ROWS(FMA256)
    }
    ROWS(ST256)
  }
}
#endif

// One sample: x (channels × h × w) → y (m × oh × ow), y = bias + A · patches(x).
static void conv_sample(const float *packed, long m, long k, const float *x, long channels, long h, long w,
                        long padH, long padW, long oh, long ow, const long *off, float *padded,
                        long paddedCount, const float *bias, float *y, tile_fn tile_kernel,
                        store_fn store_kernel) {
  long hp = h + 2 * padH, wp = w + 2 * padW, plane = oh * ow;
  // The padded image: borders and the slack past the last plane stay zero from the first call's
  // clear (the interior is rewritten every call).
  for (long c = 0; c < channels; ++c)
    for (long iy = 0; iy < h; ++iy)
      memcpy(padded + (c * hp + iy + padH) * wp + padW, x + (c * h + iy) * w, sizeof(float) * (size_t)w);
  (void)paddedCount;
  float tile[CMR * CNR] __attribute__((aligned(64)));
  long grid = oh * wp;
  for (long q0 = 0; q0 < grid; q0 += CNR) {
    long ncols = grid - q0 < CNR ? grid - q0 : CNR;
    for (long r0 = 0; r0 < m; r0 += CMR) {
      tile_kernel(k, packed + r0 * k, padded + q0, off, tile, ncols);
      long rows = m - r0 < CMR ? m - r0 : CMR;
      // Copy the valid columns (ox < ow) of each grid row segment out, adding the bias.
      for (long q = q0; q < q0 + ncols;) {
        long oy = q / wp, ox = q % wp, end = oy * wp + wp;
        if (end > q0 + ncols) end = q0 + ncols;
        long last = oy * wp + ow < end ? oy * wp + ow : end;  // valid part [q, last)
        if (last > q) store_kernel(tile + (q - q0), rows, last - q, bias ? bias + r0 : NULL, y + r0 * plane + oy * ow + ox, plane);
        q = end;
      }
    }
  }
}

void bp_f32_conv_s1(const float *packed, long m, const float *x, long samples, long channels, long h, long w,
                    long kh, long kw, long padH, long padW, long dilH, long dilW, const float *bias, float *y,
                    int isa) {
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
  long hp = h + 2 * padH, wp = w + 2 * padW;
  long oh = hp - dilH * (kh - 1), ow = wp - dilW * (kw - 1), k = channels * kh * kw;
  if (samples <= 0 || m <= 0 || oh <= 0 || ow <= 0) return;
  // The last micro-tile may read up to CNR grid columns past the grid, plus the largest offset.
  long paddedCount = channels * hp * wp + CNR + dilW * (kw - 1) + 16;
  long *off = bp_scratch(0, sizeof(long) * (size_t)k);
  float *padded = bp_scratch(1, sizeof(float) * (size_t)paddedCount);
  memset(padded, 0, sizeof(float) * (size_t)paddedCount);
  for (long p = 0; p < k; ++p) {
    long c = p / (kh * kw), t = p % (kh * kw);
    off[p] = c * hp * wp + (t / kw) * dilH * wp + (t % kw) * dilW;
  }
  tile_fn kernel = tile_portable;
  store_fn store = store_portable;
#if defined(__x86_64__)
  if (isa == BP_ISA_AVX512) kernel = tile_avx512, store = store_avx512;
  else if (isa == BP_ISA_AVX2) kernel = tile_avx2;
#endif
  for (long s = 0; s < samples; ++s)
    conv_sample(packed, m, k, x + s * channels * h * w, channels, h, w, padH, padW, oh, ow, off, padded,
                paddedCount, bias, y + s * m * oh * ow, kernel, store);
}
