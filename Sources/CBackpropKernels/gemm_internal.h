// Private to CBackpropKernels: block sizes, micro-kernel signatures, scratch buffers.
#ifndef BP_GEMM_INTERNAL_H
#define BP_GEMM_INTERNAL_H
#include <stddef.h>

// Micro-tile: MR rows × NR columns of C held in registers (12 ymm accumulators for both types).
#define BP_S_MR 6
#define BP_S_NR 16
#define BP_D_MR 6
#define BP_D_NR 8

// Cache blocking: a kc×NR panel of B stays in L1, an MC×KC block of A in L2, KC×NC of B in L3.
// Overridable with -D for tuning experiments.
#ifndef BP_S_KC
#define BP_S_KC 384
#endif
#ifndef BP_S_MC
#define BP_S_MC 120
#endif
#ifndef BP_S_NC
#define BP_S_NC 3072
#endif
#ifndef BP_D_KC
#define BP_D_KC 256
#endif
#ifndef BP_D_MC
#define BP_D_MC 96
#endif
#ifndef BP_D_NC
#define BP_D_NC 2048
#endif

// Below this many multiply-adds (m·n·k) a GEMM stays on the calling thread.
#ifndef BP_PARALLEL_MIN_MACS
#define BP_PARALLEL_MIN_MACS (96L * 96L * 96L)
#endif

/// C[0..<mr, 0..<nr] = alpha · (packed A panel · packed B panel) + beta · C; beta == 0 never reads C.
/// `a` is kc×MR (column of MR values per k step), `b` is kc×NR, both zero-padded.
typedef void (*bp_ukernel_s_fn)(long kc, const float *a, const float *b, float *c, long ldc,
                                float alpha, float beta, int mr, int nr);
typedef void (*bp_ukernel_d_fn)(long kc, const double *a, const double *b, double *c, long ldc,
                                double alpha, double beta, int mr, int nr);

void bp_ukernel_s_avx2(long kc, const float *a, const float *b, float *c, long ldc,
                       float alpha, float beta, int mr, int nr);
void bp_ukernel_d_avx2(long kc, const double *a, const double *b, double *c, long ldc,
                       double alpha, double beta, int mr, int nr);
void bp_ukernel_s_portable(long kc, const float *a, const float *b, float *c, long ldc,
                           float alpha, float beta, int mr, int nr);
void bp_ukernel_d_portable(long kc, const double *a, const double *b, double *c, long ldc,
                           double alpha, double beta, int mr, int nr);

/// Writes the valid mr×nr corner of an MR×NR accumulator tile (row stride NR) into C.
void bp_store_tile_s(const float *acc, float *c, long ldc, float alpha, float beta, int mr, int nr);
void bp_store_tile_d(const double *acc, double *c, long ldc, double alpha, double beta, int mr, int nr);

/// A per-thread, 64-byte-aligned buffer of at least `bytes`, reused across calls (slot 0: packed A,
/// slot 1: packed B). Freed when the thread exits.
void *bp_scratch(int slot, size_t bytes);
#endif
