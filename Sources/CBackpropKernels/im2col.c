// im2col and its adjoint (col2im, adding) for Float convolutions with stride 1: every line of a
// patch row is a slice of an image row with zeros where it reads padding. Lines are short (14 or
// 28 floats in the CNN), so one masked vector load and store per line replaces a memcpy call
// and one or two tiny memset calls. Copies and single adds only: every width gives the same bits.
#include "CBackpropKernels.h"

// Line x of a patch row reads image column x + offset; inside the image for x in [lo, hi).
static inline void inside(long ow, long offset, long w, long *lo, long *hi) {
  long a = offset >= 0 ? 0 : -offset, b = w - offset;
  if (a > ow) a = ow;
  if (b > ow) b = ow;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

static void copy_line_portable(float *dst, const float *src, long n, long lo, long hi) {
  for (long x = 0; x < n; ++x) dst[x] = x >= lo && x < hi ? src[x] : 0.0f;
}

static void add_line_portable(float *dst, const float *line, long lo, long hi) {
  for (long x = lo; x < hi; ++x) dst[x] += line[x];
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static inline __mmask16 lanes16(long from, long to) {
  if (from < 0) from = 0;
  if (to > 16) to = 16;
  if (to <= from) return 0;
  unsigned int upper = to == 16 ? 0xFFFFu : ((1u << to) - 1u);
  return (__mmask16)(upper & ~((1u << from) - 1u));
}

__attribute__((target("avx512f"))) static void copy_line_avx512(float *dst, const float *src, long n, long lo, long hi) {
  for (long x0 = 0; x0 < n; x0 += 16) {
    __m512 v = _mm512_maskz_loadu_ps(lanes16(lo - x0, hi - x0), src + x0);
    _mm512_mask_storeu_ps(dst + x0, lanes16(0, n - x0), v);
  }
}

__attribute__((target("avx512f"))) static void add_line_avx512(float *dst, const float *line, long lo, long hi) {
  for (long x0 = lo; x0 < hi; x0 += 16) {
    __mmask16 m = lanes16(0, hi - x0);
    __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + x0), _mm512_maskz_loadu_ps(m, line + x0));
    _mm512_mask_storeu_ps(dst + x0, m, v);
  }
}

__attribute__((target("avx2"))) static inline __m256i lanes8(long from, long to) {
  __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  long f = from < -1 ? -1 : (from > 8 ? 8 : from), t = to < 0 ? 0 : (to > 8 ? 8 : to);
  return _mm256_and_si256(_mm256_cmpgt_epi32(index, _mm256_set1_epi32((int)f - 1)),
                          _mm256_cmpgt_epi32(_mm256_set1_epi32((int)t), index));
}

__attribute__((target("avx2"))) static void copy_line_avx2(float *dst, const float *src, long n, long lo, long hi) {
  for (long x0 = 0; x0 < n; x0 += 8) {
    __m256 v = _mm256_maskload_ps(src + x0, lanes8(lo - x0, hi - x0));
    _mm256_maskstore_ps(dst + x0, lanes8(0, n - x0), v);
  }
}

__attribute__((target("avx2"))) static void add_line_avx2(float *dst, const float *line, long lo, long hi) {
  for (long x0 = lo; x0 < hi; x0 += 8) {
    __m256i m = lanes8(0, hi - x0);
    __m256 v = _mm256_add_ps(_mm256_maskload_ps(dst + x0, m), _mm256_maskload_ps(line + x0, m));
    _mm256_maskstore_ps(dst + x0, m, v);
  }
}
#endif

// The loops over channels, kernel taps and output rows, with the line kernels of one width.
#define DEFINE_LOOPS(SUFFIX)                                                                        \
  static void im2col_##SUFFIX(const float *x, long channels, long h, long w, long kh, long kw,      \
                              long oh, long ow, long padH, long padW, long dilH, long dilW,        \
                              float *col, long rowStride) {                                        \
    long row = 0;                                                                                  \
    for (long c = 0; c < channels; ++c) {                                                          \
      const float *plane = x + c * h * w;                                                          \
      for (long i = 0; i < kh; ++i)                                                                \
        for (long j = 0; j < kw; ++j, ++row) {                                                     \
          long offset = j * dilW - padW, lo, hi;                                                   \
          inside(ow, offset, w, &lo, &hi);                                                         \
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
  static void col2im_##SUFFIX(const float *col, long channels, long h, long w, long kh, long kw,    \
                              long oh, long ow, long padH, long padW, long dilH, long dilW,        \
                              long rowStride, float *x) {                                          \
    long row = 0;                                                                                  \
    for (long c = 0; c < channels; ++c) {                                                          \
      float *plane = x + c * h * w;                                                                \
      for (long i = 0; i < kh; ++i)                                                                \
        for (long j = 0; j < kw; ++j, ++row) {                                                     \
          long offset = j * dilW - padW, lo, hi;                                                   \
          inside(ow, offset, w, &lo, &hi);                                                         \
          const float *src = col + row * rowStride;                                                \
          for (long y = 0; y < oh; ++y) {                                                          \
            long iy = y - padH + i * dilH;                                                         \
            if (iy < 0 || iy >= h) continue;                                                       \
            add_line_##SUFFIX(plane + iy * w + offset, src + y * ow, lo, hi);                      \
          }                                                                                        \
        }                                                                                          \
    }                                                                                              \
  }

DEFINE_LOOPS(portable)
#if defined(__x86_64__)
DEFINE_LOOPS(avx2)
DEFINE_LOOPS(avx512)
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
