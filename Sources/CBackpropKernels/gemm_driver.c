// Own packed GEMM for float and double: one loop nest (gemm_driver_template.h), two instantiations.
#include "CBackpropKernels.h"
#include "gemm_internal.h"

#define T float
#define MR BP_S_MR
#define NR BP_S_NR
#define KC BP_S_KC
#define MC BP_S_MC
#define NC BP_S_NC
#define FN(name) s_##name
#define UKERNEL_FN bp_ukernel_s_fn
#define UKERNEL_SIMD bp_ukernel_s_avx2
#define UKERNEL_PORTABLE bp_ukernel_s_portable
#define OWN_GEMM bp_sgemm_own
#include "gemm_driver_template.h"
#undef T
#undef MR
#undef NR
#undef KC
#undef MC
#undef NC
#undef FN
#undef UKERNEL_FN
#undef UKERNEL_SIMD
#undef UKERNEL_PORTABLE
#undef OWN_GEMM

#define T double
#define MR BP_D_MR
#define NR BP_D_NR
#define KC BP_D_KC
#define MC BP_D_MC
#define NC BP_D_NC
#define FN(name) d_##name
#define UKERNEL_FN bp_ukernel_d_fn
#define UKERNEL_SIMD bp_ukernel_d_avx2
#define UKERNEL_PORTABLE bp_ukernel_d_portable
#define OWN_GEMM bp_dgemm_own
#include "gemm_driver_template.h"
