// Implicit-GEMM Float convolution at stride 1: y = A · patches(x) without an im2col matrix and
// without a packing of B. Per sample, each channel is copied kw times, copy j shifted by tap
// column j (zeros where it reads outside the image) and framed by the vertical padding's zero
// rows, all at the output's width ow. Then tap (c, i, j) of the output pixel q = oy·ow + ox is
// element q + ((c·kw + j)·hp + i·dilH)·ow of those copies: one k step of B over consecutive q is
// one plain vector load (an offset table holds the K offsets), every grid column is an output
// column (no wasted work), and the copies are kw/(kh·kw) of im2col's size. A is packed once per
// call into 8-row panels. Micro-tile: 8 rows × up to 48 columns (AVX-512: 24 zmm accumulators;
// AVX2: six 8-column strips of 8 ymm accumulators; portable: scalar loops), spilled to a small
// tile in L1 and copied out with the bias added.
#include "CBackpropKernels.h"
#include "gemm_internal.h"
#include "line_copy.h"
#include <string.h>

#define CMR 8   // rows of A (output channels) per micro-tile
#define CNR 48  // grid columns per micro-tile
#ifndef BP_CONV_L1_BYTES  // L1 budget for one channel block's image rows
#define BP_CONV_L1_BYTES 24576
#endif

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

// tile[r][0..<48] (+)= Σ_p a[p·8 + r] · x[off[p] + 0..<48] (added to the tile when `accumulate`);
// `ncols` ≤ 48 columns are needed.
typedef void (*tile_fn)(long k, const float *a, const float *x, const long *off, float *tile, long ncols,
                        int accumulate);

static void tile_portable(long k, const float *a, const float *x, const long *off, float *tile, long ncols,
                          int accumulate) {
  if (!accumulate)
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

#define INIT512(r, v) (accumulate ? _mm512_load_ps(tile + r * CNR + 16 * v) : _mm512_setzero_ps())
#define DECL512_1(r) __m512 c##r##0 = INIT512(r, 0);
#define DECL512_2(r) DECL512_1(r) __m512 c##r##1 = INIT512(r, 1);
#define DECL512_3(r) DECL512_2(r) __m512 c##r##2 = INIT512(r, 2);
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
                                                               float *tile, int accumulate) {      \
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

static void tile_avx512(long k, const float *a, const float *x, const long *off, float *tile, long ncols,
                        int accumulate) {
  if (ncols > 32) tile512_3(k, a, x, off, tile, accumulate);
  else if (ncols > 16) tile512_2(k, a, x, off, tile, accumulate);
  else tile512_1(k, a, x, off, tile, accumulate);
}

#define DECL256(r) __m256 c##r = accumulate ? _mm256_load_ps(tile + r * CNR + s) : _mm256_setzero_ps();
#define FMA256(r) c##r = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r), b0, c##r);
#define ST256(r) _mm256_store_ps(tile + r * CNR + s, c##r);
__attribute__((target("avx2,fma"))) static void tile_avx2(long k, const float *a0, const float *x,
                                                          const long *off, float *tile, long ncols,
                                                          int accumulate) {
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

// The `rows` lines of one shifted copy: dst[y·n + x] = src[y·w + x] for x in [lo, hi), 0 elsewhere,
// x < n.
typedef void (*lines_fn)(float *dst, const float *src, long rows, long w, long n, long lo, long hi);

static void lines_portable(float *dst, const float *src, long rows, long w, long n, long lo, long hi) {
  for (long y = 0; y < rows; ++y) copy_line_portable(dst + y * n, src + y * w, n, lo, hi);
}

#if defined(__x86_64__)
// Chunk by chunk, so each chunk's two masks are computed once for all rows.
__attribute__((target("avx512f"))) static void lines_avx512(float *dst, const float *src, long rows, long w, long n,
                                                            long lo, long hi) {
  for (long x0 = 0; x0 < n; x0 += 16) {
    __mmask16 load = lanes16(lo - x0, hi - x0), store = lanes16(0, n - x0);
    for (long y = 0; y < rows; ++y)
      _mm512_mask_storeu_ps(dst + y * n + x0, store, _mm512_maskz_loadu_ps(load, src + y * w + x0));
  }
}
#endif

void bp_conv_s1_build_copies(const float *x, long channels, long h, long w, long kw, long padH, long padW,
                             long dilW, long ow, float *shifted, int isa) {
  lines_fn lines_kernel = lines_portable;
#if defined(__x86_64__)
  if (isa == BP_ISA_AVX512) lines_kernel = lines_avx512;
#endif
  long hp = h + 2 * padH;
  for (long c = 0; c < channels; ++c)
    for (long j = 0; j < kw; ++j) {
      long shift = j * dilW - padW, lo, hi;
      line_inside(ow, shift, w, &lo, &hi);  // x + shift inside [0, w) for x in [lo, hi)
      float *copy = shifted + ((c * kw + j) * hp + padH) * ow;
      lines_kernel(copy, x + c * h * w + shift, h, w, ow, lo, hi);
    }
}

// One sample: x (channels × h × w) → y (m × oh × ow), y = bias + A · patches(x). `shifted` holds
// kw copies of the image per channel (bp_conv_s1_build_copies).
static void conv_sample(const float *packed, long m, long k, const float *x, long channels, long h, long w,
                        long kw, long padH, long padW, long dilW, long oh, long ow, const long *off,
                        float *shifted, long block, float *tiles, const float *bias, float *y,
                        tile_fn tile_kernel, store_fn store_kernel, int isa) {
  long plane = oh * ow;
  bp_conv_s1_build_copies(x, channels, h, w, kw, padH, padW, dilW, ow, shifted, isa);
  // Per 48 output columns: channel blocks (their copies' rows for these columns stay in L1),
  // each adding to all m rows' tiles; then the tiles are copied out.
  long taps = k / channels;
  for (long q0 = 0; q0 < plane; q0 += CNR) {
    long ncols = plane - q0 < CNR ? plane - q0 : CNR;
    for (long c0 = 0; c0 < channels; c0 += block) {
      long k0 = c0 * taps, kb = (channels - c0 < block ? channels - c0 : block) * taps;
      for (long r0 = 0; r0 < m; r0 += CMR)
        tile_kernel(kb, packed + r0 * k + k0 * CMR, shifted + q0, off + k0, tiles + r0 * CNR, ncols, c0 > 0);
    }
    for (long r0 = 0; r0 < m; r0 += CMR) {
      long rows = m - r0 < CMR ? m - r0 : CMR;
      store_kernel(tiles + r0 * CNR, rows, ncols, bias ? bias + r0 : NULL, y + r0 * plane + q0, plane);
    }
  }
}

// Scratch slot 0: the offsets, then (64-byte aligned) the m × 48 tiles; slot 1: the copies. The
// last micro-tile may read up to CNR columns past the output plane (those columns are dropped).
static long offsets_bytes(long k) { return ((long)sizeof(long) * k + 63) / 64 * 64; }
static long tiles_floats(long m) { return (m + CMR - 1) / CMR * CMR * CNR; }
static long copies_floats(long channels, long kw, long hp, long ow) { return channels * kw * hp * ow + CNR + 16; }

long bp_f32_conv_s1_scratch_bytes(long m, long channels, long h, long w, long kh, long kw, long padH, long padW,
                                  long dilH, long dilW) {
  long hp = h + 2 * padH, ow = w + 2 * padW - dilW * (kw - 1);
  (void)dilH;
  if (ow <= 0) return 0;
  return offsets_bytes(channels * kh * kw) + (long)sizeof(float) * (tiles_floats(m) + copies_floats(channels, kw, hp, ow));
}

void bp_f32_conv_s1(const float *packed, long m, const float *x, long samples, long channels, long h, long w,
                    long kh, long kw, long padH, long padW, long dilH, long dilW, const float *bias, float *y,
                    int isa) {
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
  long hp = h + 2 * padH, wp = w + 2 * padW;
  long oh = hp - dilH * (kh - 1), ow = wp - dilW * (kw - 1), k = channels * kh * kw;
  if (samples <= 0 || m <= 0 || oh <= 0 || ow <= 0) return;
  if (k <= 0) {  // no channels (or an empty kernel): no products, y is the bias (and no k / channels below)
    for (long e = 0; e < samples * m * oh * ow; ++e) y[e] = bias ? bias[(e / (oh * ow)) % m] : 0.0f;
    return;
  }
  // Tap (c, i, j) of output q = oy·ow + ox is copy (c, j) at row oy + i·dilH, column ox: offset
  // ((c·kw + j)·hp + i·dilH)·ow from q.
  long count = copies_floats(channels, kw, hp, ow);
  // Channel blocks whose copies' rows under 48 output columns (CNR + (kh − 1)·dilH·ow floats per
  // copy) fill at most ~24 KB of L1, of near-equal sizes.
  long perChannel = kw * (CNR + (kh - 1) * dilH * ow) * (long)sizeof(float);
  long blocks = (channels * perChannel + BP_CONV_L1_BYTES - 1) / BP_CONV_L1_BYTES;
  if (blocks < 1) blocks = 1;
  long block = (channels + blocks - 1) / blocks;
  long offBytes = offsets_bytes(k);
  char *work = bp_scratch(0, (size_t)offBytes + sizeof(float) * (size_t)tiles_floats(m));
  long *off = (long *)work;
  float *tiles = (float *)(work + offBytes);
  float *shifted = bp_scratch(1, sizeof(float) * (size_t)count);
  memset(shifted, 0, sizeof(float) * (size_t)count);
  for (long p = 0; p < k; ++p) {
    long c = p / (kh * kw), t = p % (kh * kw), i = t / kw, j = t % kw;
    off[p] = ((c * kw + j) * hp + i * dilH) * ow;
  }
  tile_fn kernel = tile_portable;
  store_fn store = store_portable;
#if defined(__x86_64__)
  if (isa == BP_ISA_AVX512) kernel = tile_avx512, store = store_avx512;
  else if (isa == BP_ISA_AVX2) kernel = tile_avx2;
#endif
  for (long s = 0; s < samples; ++s)
    conv_sample(packed, m, k, x + s * channels * h * w, channels, h, w, kw, padH, padW, dilW, oh, ow, off,
                shifted, block, tiles, bias, y + s * m * oh * ow, kernel, store, isa);
}
