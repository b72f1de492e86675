// im2col and its adjoint (col2im, adding) for Float convolutions with stride 1: every line of a
// patch row is a slice of an image row with zeros where it reads padding. Lines are short (14 or
// 28 floats in the CNN), so one masked vector load and store per line replaces a memcpy call
// and one or two tiny memset calls. col2im gathers: each image row sums its shifted lines in a
// register in the scatter's order and is added to once. Every width gives the same bits (and
// the scatter's bits where x starts at zero, as in convTranspose2d).
#include "CBackpropKernels.h"
#include "line_copy.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static inline void copy_line_avx512(float *dst, const float *src, long n, long lo, long hi) {
  for (long x0 = 0; x0 < n; x0 += 16) {
    __m512 v = _mm512_maskz_loadu_ps(lanes16(lo - x0, hi - x0), src + x0);
    _mm512_mask_storeu_ps(dst + x0, lanes16(0, n - x0), v);
  }
}

__attribute__((target("avx2"))) static inline __m256i lanes8(long from, long to) {
  __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  long f = from < -1 ? -1 : (from > 8 ? 8 : from), t = to < 0 ? 0 : (to > 8 ? 8 : to);
  return _mm256_and_si256(_mm256_cmpgt_epi32(index, _mm256_set1_epi32((int)f - 1)),
                          _mm256_cmpgt_epi32(_mm256_set1_epi32((int)t), index));
}

__attribute__((target("avx2"))) static inline void copy_line_avx2(float *dst, const float *src, long n, long lo, long hi) {
  for (long x0 = 0; x0 < n; x0 += 8) {
    __m256 v = _mm256_maskload_ps(src + x0, lanes8(lo - x0, hi - x0));
    _mm256_maskstore_ps(dst + x0, lanes8(0, n - x0), v);
  }
}

#endif

// Chunks of an image row for the gathered col2im: a vector (or, portable, one float) with the
// lanes [from, to) loaded and the rest 0; stores write lanes [0, count).
#define CHUNK_portable 1
#define VEC_portable float
#define ZERO_portable 0.0f
#define ADD_portable(a, b) ((a) + (b))
#define LOAD_portable(p, from, to) ((from) <= 0 && (to) > 0 ? *(p) : 0.0f)
#define STORE_portable(p, count, v) (*(p) = (v))
#if defined(__x86_64__)
#define CHUNK_avx512 16
#define VEC_avx512 __m512
#define ZERO_avx512 _mm512_setzero_ps()
#define ADD_avx512(a, b) _mm512_add_ps(a, b)
#define LOAD_avx512(p, from, to) _mm512_maskz_loadu_ps(lanes16(from, to), p)
#define STORE_avx512(p, count, v) _mm512_mask_storeu_ps(p, lanes16(0, count), v)
#define CHUNK_avx2 8
#define VEC_avx2 __m256
#define ZERO_avx2 _mm256_setzero_ps()
#define ADD_avx2(a, b) _mm256_add_ps(a, b)
#define LOAD_avx2(p, from, to) _mm256_maskload_ps(p, lanes8(from, to))
#define STORE_avx2(p, count, v) _mm256_maskstore_ps(p, lanes8(0, count), v)
#endif

// The loops over channels, kernel taps and output rows, with the line kernels of one width
// (compiled for that width, so that the line kernels inline).
#define DEFINE_LOOPS(SUFFIX, ATTR)                                                                  \
  ATTR static void im2col_##SUFFIX(const float *x, long channels, long h, long w, long kh, long kw,      \
                              long oh, long ow, long padH, long padW, long dilH, long dilW,        \
                              float *col, long rowStride) {                                        \
    long row = 0;                                                                                  \
    for (long c = 0; c < channels; ++c) {                                                          \
      const float *plane = x + c * h * w;                                                          \
      for (long i = 0; i < kh; ++i)                                                                \
        for (long j = 0; j < kw; ++j, ++row) {                                                     \
          long offset = j * dilW - padW, lo, hi;                                                   \
          line_inside(ow, offset, w, &lo, &hi);                                                         \
          float *dst = col + row * rowStride;                                                      \
          for (long y = 0; y < oh; ++y) {                                                          \
            long iy = y - padH + i * dilH;                                                         \
            int outside = iy < 0 || iy >= h;                                                       \
            copy_line_##SUFFIX(dst + y * ow, plane + (outside ? 0 : iy * w) + offset, ow,          \
                               outside ? 0 : lo, outside ? 0 : hi);                                \
          }                                                                                        \
        }                                                                                          \
    }                                                                                              \
  }                                                                                                \
  /* Gathered per image row: each chunk of a row sums its kh·kw shifted column lines in a        \
     register, in the order (i, j) the scatter would add them, and is added to x once. */          \
  ATTR static void col2im_##SUFFIX(const float *col, long channels, long h, long w, long kh, long kw,    \
                              long oh, long ow, long padH, long padW, long dilH, long dilW,        \
                              long rowStride, float *x) {                                          \
    for (long c = 0; c < channels; ++c) {                                                          \
      float *plane = x + c * h * w;                                                                \
      const float *rows = col + c * kh * kw * rowStride;                                           \
      for (long iy = 0; iy < h; ++iy)                                                              \
        for (long x0 = 0; x0 < w; x0 += CHUNK_##SUFFIX) {                                          \
          VEC_##SUFFIX acc = ZERO_##SUFFIX;                                                        \
          for (long i = 0; i < kh; ++i) {                                                          \
            long y = iy + padH - i * dilH;                                                         \
            if (y < 0 || y >= oh) continue;                                                        \
            for (long j = 0; j < kw; ++j) {                                                        \
              long offset = j * dilW - padW, lo, hi;                                               \
              line_inside(ow, offset, w, &lo, &hi);                                                     \
              const float *line = rows + (i * kw + j) * rowStride + y * ow - offset;               \
              acc = ADD_##SUFFIX(acc, LOAD_##SUFFIX(line + x0, lo + offset - x0, hi + offset - x0)); \
            }                                                                                      \
          }                                                                                        \
          float *dst = plane + iy * w + x0;                                                        \
          STORE_##SUFFIX(dst, w - x0, ADD_##SUFFIX(LOAD_##SUFFIX(dst, 0, w - x0), acc));           \
        }                                                                                          \
    }                                                                                              \
  }

DEFINE_LOOPS(portable, )
#if defined(__x86_64__)
DEFINE_LOOPS(avx2, __attribute__((target("avx2"))))
DEFINE_LOOPS(avx512, __attribute__((target("avx512f"))))
#endif

void bp_f32_im2col_stride1(const float *x, long channels, long height, long width, long kh, long kw, long oh, long ow,
                           long padH, long padW, long dilH, long dilW, float *col, long rowStride, int isa) {
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
#if defined(__x86_64__)
  if (isa == BP_ISA_AVX512) { im2col_avx512(x, channels, height, width, kh, kw, oh, ow, padH, padW, dilH, dilW, col, rowStride); return; }
  if (isa == BP_ISA_AVX2) { im2col_avx2(x, channels, height, width, kh, kw, oh, ow, padH, padW, dilH, dilW, col, rowStride); return; }
#endif
  im2col_portable(x, channels, height, width, kh, kw, oh, ow, padH, padW, dilH, dilW, col, rowStride);
}

void bp_f32_col2im_add_stride1(const float *col, long channels, long height, long width, long kh, long kw, long oh,
                               long ow, long padH, long padW, long dilH, long dilW, long rowStride, float *x, int isa) {
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
#if defined(__x86_64__)
  if (isa == BP_ISA_AVX512) { col2im_avx512(col, channels, height, width, kh, kw, oh, ow, padH, padW, dilH, dilW, rowStride, x); return; }
  if (isa == BP_ISA_AVX2) { col2im_avx2(col, channels, height, width, kh, kw, oh, ow, padH, padW, dilH, dilW, rowStride, x); return; }
#endif
  col2im_portable(col, channels, height, width, kh, kw, oh, ow, padH, padW, dilH, dilW, rowStride, x);
}
