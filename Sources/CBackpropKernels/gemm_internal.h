// Private to CBackpropKernels: block sizes, micro-kernel signatures, scratch buffers.
#ifndef BP_GEMM_INTERNAL_H
#define BP_GEMM_INTERNAL_H
#include <stddef.h>

// Micro-tiles: MR rows × NR columns of C held in registers. The AVX2 and portable kernels share
// one packing layout (6×16 float, 6×8 double: 12 ymm accumulators); AVX-512 uses 12×32 / 12×16
// (24 zmm accumulators).
#define BP_S_MR 6
#define BP_S_NR 16
#define BP_D_MR 6
#define BP_D_NR 8
#define BP_S512_MR 12
#define BP_S512_NR 32
#define BP_D512_MR 12
#define BP_D512_NR 16

// Cache blocking: a KC×NR panel of B stays in L1, an MC×KC block of A in L2, KC×NC of B in L3.
// MC must be a multiple of MR. Overridable with -D for tuning experiments.
#ifndef BP_S_KC
#define BP_S_KC 384
#endif
#ifndef BP_S_MC
#define BP_S_MC 120
#endif
#ifndef BP_D_KC
#define BP_D_KC 256
#endif
#ifndef BP_D_MC
#define BP_D_MC 96
#endif
#ifndef BP_S512_KC
#define BP_S512_KC 384
#endif
#ifndef BP_S512_MC
#define BP_S512_MC 240
#endif
#ifndef BP_D512_KC
#define BP_D512_KC 256
#endif
#ifndef BP_D512_MC
#define BP_D512_MC 96
#endif
#ifndef BP_NC_BYTES  // KC×NC block of packed B: ~4.5 MB, well inside L3
#define BP_NC_BYTES (3072L * 384L * 4L)
#endif

// Below this many multiply-adds (m·n·k) a GEMM stays on the calling thread.
#ifndef BP_PARALLEL_MIN_MACS
#define BP_PARALLEL_MIN_MACS (96L * 96L * 96L)
#endif

/// C[0..<mr, 0..<nr] = alpha · (packed A panel · packed B panel) + beta · C; beta == 0 never reads C.
/// `a` is kc steps of MR values, `b` kc steps of NR values, both zero-padded.
typedef void (*bp_ukernel_s_fn)(long kc, const float *a, const float *b, float *c, long ldc,
                                float alpha, float beta, int mr, int nr);
typedef void (*bp_ukernel_d_fn)(long kc, const double *a, const double *b, double *c, long ldc,
                                double alpha, double beta, int mr, int nr);

void bp_ukernel_s_avx512(long kc, const float *a, const float *b, float *c, long ldc,
                         float alpha, float beta, int mr, int nr);
void bp_ukernel_d_avx512(long kc, const double *a, const double *b, double *c, long ldc,
                         double alpha, double beta, int mr, int nr);
void bp_ukernel_s_avx2(long kc, const float *a, const float *b, float *c, long ldc,
                       float alpha, float beta, int mr, int nr);
void bp_ukernel_d_avx2(long kc, const double *a, const double *b, double *c, long ldc,
                       double alpha, double beta, int mr, int nr);
void bp_ukernel_s_portable(long kc, const float *a, const float *b, float *c, long ldc,
                           float alpha, float beta, int mr, int nr);
void bp_ukernel_d_portable(long kc, const double *a, const double *b, double *c, long ldc,
                           double alpha, double beta, int mr, int nr);

/// Writes the valid mr×nr corner of an accumulator tile (row stride `stride`) into C.
void bp_store_tile_s(const float *acc, int stride, float *c, long ldc, float alpha, float beta,
                     int mr, int nr);
void bp_store_tile_d(const double *acc, int stride, double *c, long ldc, double alpha,
                     double beta, int mr, int nr);

/// The implicit convolution's image copies (conv_implicit.c): for each channel, kw copies at the
/// output's width ow, [c][j][h + 2·padH][ow], copy j = x shifted left by j·dilW − padW with zeros
/// where that reads outside; only the image rows are written (the padding rows are left as they
/// are: the caller clears the buffer once).
void bp_conv_s1_build_copies(const float *x, long channels, long h, long w, long kw, long padH, long padW,
                             long dilW, long ow, float *shifted, int isa);

/// A per-thread, 64-byte-aligned buffer of at least `bytes`, reused across calls and grown as
/// needed, freed when the thread exits. The GEMM driver keeps packed A in slot 0 and packed B in
/// slot 1; the stride-1 convolutions (conv_implicit.c, conv_weight_gradient.c) use both too, slot
/// 0 for offsets, tiles and sums and slot 1 for the image copies (capped by their Swift callers at
/// `ImplicitConvolution.scratchLimit`). A slot holds one caller's data at a time.
void *bp_scratch(int slot, size_t bytes);
#endif
