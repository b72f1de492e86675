// Own packed GEMM for float and double: one loop nest (gemm_driver_template.h) instantiated per
// tile shape, and the public entry points that pick the micro-kernel for this CPU.
#include "CBackpropKernels.h"
#include "gemm_internal.h"


// float, 6×16 tiles (AVX2 and portable kernels)
#define T float
#define MR BP_S_MR
#define NR BP_S_NR
#define KC BP_S_KC
#define MC BP_S_MC
#define FN(name) s_##name
#define UKERNEL_FN bp_ukernel_s_fn
#define NC (BP_NC_BYTES / (KC * (long)sizeof(T)) / NR * NR)
#include "gemm_driver_template.h"
#undef MR
#undef NR
#undef KC
#undef MC
#undef FN

// float, 12×32 tiles (AVX-512 kernel)
#define MR BP_S512_MR
#define NR BP_S512_NR
#define KC BP_S512_KC
#define MC BP_S512_MC
#define FN(name) s512_##name
#include "gemm_driver_template.h"
#undef T
#undef MR
#undef NR
#undef KC
#undef MC
#undef FN
#undef UKERNEL_FN

// double, 6×8 tiles (AVX2 and portable kernels)
#define T double
#define MR BP_D_MR
#define NR BP_D_NR
#define KC BP_D_KC
#define MC BP_D_MC
#define FN(name) d_##name
#define UKERNEL_FN bp_ukernel_d_fn
#include "gemm_driver_template.h"
#undef MR
#undef NR
#undef KC
#undef MC
#undef FN

// double, 12×16 tiles (AVX-512 kernel)
#define MR BP_D512_MR
#define NR BP_D512_NR
#define KC BP_D512_KC
#define MC BP_D512_MC
#define FN(name) d512_##name
#include "gemm_driver_template.h"

void bp_sgemm_own(int transA, int transB, long m, long n, long k, float alpha, const float *a,
                  long lda, const float *b, long ldb, float beta, float *c, long ldc, int threads) {
  switch (bp_kernel_isa()) {
  case BP_ISA_AVX512:
    s512_gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, bp_ukernel_s_avx512);
    break;
  case BP_ISA_AVX2:
    s_gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, bp_ukernel_s_avx2);
    break;
  default:
    s_gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, bp_ukernel_s_portable);
  }
}

void bp_dgemm_own(int transA, int transB, long m, long n, long k, double alpha, const double *a,
                  long lda, const double *b, long ldb, double beta, double *c, long ldc, int threads) {
  switch (bp_kernel_isa()) {
  case BP_ISA_AVX512:
    d512_gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, bp_ukernel_d_avx512);
    break;
  case BP_ISA_AVX2:
    d_gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, bp_ukernel_d_avx2);
    break;
  default:
    d_gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, bp_ukernel_d_portable);
  }
}
