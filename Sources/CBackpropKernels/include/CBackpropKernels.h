#ifndef CBACKPROP_KERNELS_H
#define CBACKPROP_KERNELS_H
#include <stddef.h>

/// Returns 1 when the CPU supports AVX2 and FMA.
int bp_cpu_has_avx2_fma(void);

// MARK: - Run-time settings (atomics, so any thread may read or change them)

/// Backend override: -1 = automatic (environment / detection), else a `bp_backend` value.
int bp_backend_override(void);
/// Sets the backend override (-1 = automatic).
void bp_set_backend_override(int backend);
/// Thread-count override: 0 = automatic (BACKPROP_THREADS or the online CPU count).
int bp_thread_count_override(void);
/// Sets the thread-count override (0 = automatic).
void bp_set_thread_count_override(int threads);
/// Number of online CPUs (at least 1).
int bp_online_cpu_count(void);
/// 1 when the own kernels may use AVX2/FMA (CPU support and not disabled), else 0.
int bp_simd_kernels_active(void);
/// Enables (1) or disables (0) the AVX2/FMA micro-kernels; disabled means the portable C kernels.
void bp_set_simd_kernels_enabled(int enabled);

// MARK: - BLAS found at run time (dlopen)

/// Backends, in the numbering used by `bp_backend_override`.
enum bp_backend { BP_BACKEND_OWN = 0, BP_BACKEND_OPENBLAS = 1, BP_BACKEND_BLIS = 2 };
/// Loads the library for `backend` (once); returns 1 when its cblas_sgemm and cblas_dgemm exist.
int bp_blas_available(int backend);
/// cblas_sgemm (row-major) through the loaded library; `threads` is passed to its thread setter.
void bp_blas_sgemm(int backend, int threads, int transA, int transB, int m, int n, int k,
                   float alpha, const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc);
/// cblas_dgemm (row-major) through the loaded library; `threads` is passed to its thread setter.
void bp_blas_dgemm(int backend, int threads, int transA, int transB, int m, int n, int k,
                   double alpha, const double *a, int lda, const double *b, int ldb,
                   double beta, double *c, int ldc);

// MARK: - Own packed GEMM

/// One task of a parallel loop: `body(arg, index)`.
typedef void (*bp_task_fn)(void *arg, long index);
/// Runs `body(arg, i)` for every i in 0..<count, possibly concurrently, and returns when all are done.
typedef void (*bp_parallel_for_fn)(long count, bp_task_fn body, void *arg);

/// Row-major C = alpha·op(A)·op(B) + beta·C with packed panels and a register-blocked micro-kernel.
/// beta == 0 never reads C. `parallel_for` may be NULL (serial); it is used only when threads > 1.
void bp_sgemm_own(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc,
                  int threads, bp_parallel_for_fn parallel_for);
/// Double-precision version of `bp_sgemm_own`.
void bp_dgemm_own(int transA, int transB, long m, long n, long k, double alpha,
                  const double *a, long lda, const double *b, long ldb, double beta, double *c, long ldc,
                  int threads, bp_parallel_for_fn parallel_for);
#endif
