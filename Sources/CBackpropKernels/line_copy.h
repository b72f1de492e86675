// Private to CBackpropKernels: the masked line copies shared by im2col.c and conv_implicit.c.
// A line of n floats reads src[x] for x in [lo, hi) and is 0 elsewhere (padding).
#ifndef BP_LINE_COPY_H
#define BP_LINE_COPY_H

// Line x of a patch row (or of a shifted copy) of ow floats reads image column x + offset; it is
// inside the image (width w) for x in [lo, hi), clamped to [0, ow] with hi ≥ lo.
static inline void line_inside(long ow, long offset, long w, long *lo, long *hi) {
  long a = offset >= 0 ? 0 : -offset, b = w - offset;
  if (a > ow) a = ow;
  if (b > ow) b = ow;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

// dst[x] = src[x] for x in [lo, hi), 0 for the rest of [0, n).
static inline void copy_line_portable(float *dst, const float *src, long n, long lo, long hi) {
  for (long x = 0; x < n; ++x) dst[x] = x >= lo && x < hi ? src[x] : 0.0f;
}

#if defined(__x86_64__)
#include <immintrin.h>

// The mask of lanes [from, to) of 16, both clamped to [0, 16].
__attribute__((target("avx512f"))) static inline __mmask16 lanes16(long from, long to) {
  if (from < 0) from = 0;
  if (to > 16) to = 16;
  if (to <= from) return 0;
  unsigned int upper = to == 16 ? 0xFFFFu : ((1u << to) - 1u);
  return (__mmask16)(upper & ~((1u << from) - 1u));
}
#endif

#endif
