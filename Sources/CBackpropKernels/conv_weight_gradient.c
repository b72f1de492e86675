// The weight gradient of a stride-1 Float convolution without an im2col matrix:
// dw[r][(c,i,j)] = Σ_s Σ_q g[s][r][q] · x[s][c][oy − padH + i·dilH][ox − padW + j·dilW], q = oy·ow + ox.
// Per sample the image is copied into kw shifted copies (bp_conv_s1_build_copies), where patch row
// (c, i, j) is a contiguous run of `plane` floats at off[(c,i,j)], and g is transposed into
// gt[q][r] (r padded to a multiple of 64 on AVX-512). Computed as dwᵀ = patches · gᵀ: a micro-tile of 6 patch rows × 64
// output channels (24 zmm accumulators) broadcasts its A values straight from the 6 runs (no
// packing of the patches) and loads 4 vectors of gt per q. The tile's sum over the samples lives
// in an accumulator dwt[(c,i,j)][r] (L2), transposed into dw at the end. The per-sample gᵀ is
// transposed in 16 × 16 register blocks on AVX-512 (the scalar loop was a fifth of the kernel's time).
#include "CBackpropKernels.h"
#include "gemm_internal.h"
#include <string.h>

#define WMR 6   // patch rows per micro-tile
#define WNR 64  // output channels per micro-tile (4 zmm)

// acc[p][0..<nr] += Σ_q rows[p][q] · gt[q][0..<nr] for p < WMR (acc rows ldacc apart, gt rows ldg).
typedef void (*wtile_fn)(long plane, const float *const *rows, const float *gt, long ldg, float *acc, long ldacc,
                         long nr);

static void wtile_portable(long plane, const float *const *rows, const float *gt, long ldg, float *acc, long ldacc,
                           long nr) {
  for (long p = 0; p < WMR; ++p)
    for (long r = 0; r < nr; ++r) {
      float sum = 0;
      for (long q = 0; q < plane; ++q) sum += rows[p][q] * gt[q * ldg + r];
      acc[p * ldacc + r] += sum;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define WROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define WDECL(p) __m512 c##p##0 = _mm512_setzero_ps(), c##p##1 = c##p##0, c##p##2 = c##p##0, c##p##3 = c##p##0; \
  const float *row##p = rows[p];
#define WFMA(p) ap = _mm512_set1_ps(row##p[q]); c##p##0 = _mm512_fmadd_ps(ap, b0, c##p##0); \
  c##p##1 = _mm512_fmadd_ps(ap, b1, c##p##1); c##p##2 = _mm512_fmadd_ps(ap, b2, c##p##2);  \
  c##p##3 = _mm512_fmadd_ps(ap, b3, c##p##3);
#define WADD(p, v) _mm512_storeu_ps(acc + p * ldacc + 16 * v, _mm512_add_ps(_mm512_loadu_ps(acc + p * ldacc + 16 * v), c##p##v));
#define WSTORE(p) WADD(p, 0) WADD(p, 1) WADD(p, 2) WADD(p, 3)

// v[i] = row i of a 16×16 block → v[i] = column i.
__attribute__((target("avx512f"))) static inline void transpose16(__m512 *v) {
  __m512 t[16], u[16], w[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    u[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int h = 0; h < 16; h += 8)
    for (int i = 0; i < 4; ++i) {
      w[h + i] = _mm512_shuffle_f32x4(u[h + i], u[h + 4 + i], 0x88);
      w[h + 4 + i] = _mm512_shuffle_f32x4(u[h + i], u[h + 4 + i], 0xDD);
    }
  for (int i = 0; i < 8; ++i) {
    v[i] = _mm512_shuffle_f32x4(w[i], w[8 + i], 0x88);
    v[8 + i] = _mm512_shuffle_f32x4(w[i], w[8 + i], 0xDD);
  }
}

// gt[q][r] = gs[r][q] for r < m, q < plane, in 16 × 16 blocks (rows r ≥ m of a block are zero).
__attribute__((target("avx512f"))) static void transpose_avx512(const float *gs, long m, long plane, float *gt,
                                                                long ldg) {
  for (long r0 = 0; r0 < m; r0 += 16)
    for (long q0 = 0; q0 < plane; q0 += 16) {
      long nq = plane - q0 < 16 ? plane - q0 : 16;
      __mmask16 lanes = (__mmask16)(nq == 16 ? 0xFFFFu : (1u << nq) - 1u);
      __m512 v[16];
      for (long i = 0; i < 16; ++i)
        v[i] = r0 + i < m ? _mm512_maskz_loadu_ps(lanes, gs + (r0 + i) * plane + q0) : _mm512_setzero_ps();
      transpose16(v);
      for (long i = 0; i < nq; ++i) _mm512_storeu_ps(gt + (q0 + i) * ldg + r0, v[i]);
    }
}

// Always 64 columns of gt and acc (both padded to a multiple of 64 by the caller).
__attribute__((target("avx512f"))) static void wtile_avx512(long plane, const float *const *rows, const float *gt,
                                                            long ldg, float *acc, long ldacc, long nr) {
  (void)nr;
  WROWS(WDECL)
  for (long q = 0; q < plane; ++q, gt += ldg) {
    const __m512 b0 = _mm512_loadu_ps(gt), b1 = _mm512_loadu_ps(gt + 16), b2 = _mm512_loadu_ps(gt + 32),
                 b3 = _mm512_loadu_ps(gt + 48);
    __m512 ap;
    WROWS(WFMA)
  }
  WROWS(WSTORE)
}
#endif

// Scratch slot 0: the offsets, the accumulator dwt (kPadded × ldg) and gt (plane × ldg); slot 1:
// the copies. ldg: m, padded to a multiple of 64 for the AVX-512 kernel.
static long leading(long m, int isa) {
#if defined(__x86_64__)
  if (isa == BP_ISA_AVX512) return (m + WNR - 1) / WNR * WNR;
#endif
  (void)isa;
  return m;
}
static long offsets_bytes(long kPadded) { return ((long)sizeof(long) * kPadded + 63) / 64 * 64; }

long bp_f32_conv_s1_weight_gradient_scratch_bytes(long m, long channels, long h, long w, long kh, long kw,
                                                  long padH, long padW, long dilH, long dilW, int isa) {
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
  long hp = h + 2 * padH, oh = hp - dilH * (kh - 1), ow = w + 2 * padW - dilW * (kw - 1);
  long k = channels * kh * kw, kPadded = (k + WMR - 1) / WMR * WMR;
  if (m <= 0 || k <= 0 || oh <= 0 || ow <= 0) return 0;
  return offsets_bytes(kPadded) + (long)sizeof(float) * ((kPadded + oh * ow) * leading(m, isa) + channels * kw * hp * ow);
}

void bp_f32_conv_s1_weight_gradient(const float *x, const float *g, long samples, long channels, long h, long w,
                                    long m, long kh, long kw, long padH, long padW, long dilH, long dilW,
                                    float *dw, int isa) {
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
  long hp = h + 2 * padH, wp = w + 2 * padW;
  long oh = hp - dilH * (kh - 1), ow = wp - dilW * (kw - 1), k = channels * kh * kw, plane = oh * ow;
  if (m <= 0 || k <= 0) return;
  memset(dw, 0, sizeof(float) * (size_t)(m * k));
  if (samples <= 0 || oh <= 0 || ow <= 0) return;
  wtile_fn kernel = wtile_portable;
  long ldg = leading(m, isa);
#if defined(__x86_64__)
  if (isa == BP_ISA_AVX512) kernel = wtile_avx512;
#endif
  long kPadded = (k + WMR - 1) / WMR * WMR;
  long count = channels * kw * hp * ow;
  long offBytes = offsets_bytes(kPadded);
  char *work = bp_scratch(0, (size_t)offBytes + sizeof(float) * (size_t)((kPadded + plane) * ldg));
  long *off = (long *)work;
  float *dwt = (float *)(work + offBytes), *gt = dwt + kPadded * ldg;
  float *shifted = bp_scratch(1, sizeof(float) * (size_t)count);
  memset(shifted, 0, sizeof(float) * (size_t)count);
  memset(dwt, 0, sizeof(float) * (size_t)(kPadded * ldg));
  memset(gt, 0, sizeof(float) * (size_t)(plane * ldg));  // the padding columns r ≥ m stay 0
  for (long p = 0; p < kPadded; ++p) {
    long pp = p < k ? p : 0;  // rows past k read row 0; their sums are never copied out
    long c = pp / (kh * kw), t = pp % (kh * kw), i = t / kw, j = t % kw;
    off[p] = ((c * kw + j) * hp + i * dilH) * ow;
  }
  for (long s = 0; s < samples; ++s) {
    const float *gs = g + s * m * plane;
    bp_conv_s1_build_copies(x + s * channels * h * w, channels, h, w, kw, padH, padW, dilW, ow, shifted, isa);
#if defined(__x86_64__)
    if (isa == BP_ISA_AVX512) transpose_avx512(gs, m, plane, gt, ldg);
    else
#endif
      for (long r = 0; r < m; ++r)
        for (long q = 0; q < plane; ++q) gt[q * ldg + r] = gs[r * plane + q];
    for (long p0 = 0; p0 < kPadded; p0 += WMR) {
      const float *rows[WMR];
      for (long p = 0; p < WMR; ++p) rows[p] = shifted + off[p0 + p];
      for (long r0 = 0; r0 < ldg; r0 += WNR) {
        long nr = ldg - r0 < WNR ? ldg - r0 : WNR;
        kernel(plane, rows, gt + r0, ldg, dwt + p0 * ldg + r0, ldg, nr);
      }
    }
  }
  for (long r = 0; r < m; ++r)
    for (long p = 0; p < k; ++p) dw[r * k + p] = dwt[p * ldg + r];
}
