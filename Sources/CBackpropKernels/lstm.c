// One step of the LSTM recurrence on float rows, forward and backward: the elementwise part of
// `LSTMSequenceOp` (BackpropCore/Ops/Sequence/LSTMSequence.swift, where the formulas are), between
// the per-step GEMMs. Gates i, f, g, o in PyTorch's order, each `hidden` wide, per batch row.
//
// The activations use the vectorised σ and tanh of transcendental.c; the products are plain loops
// compiled three times (AVX-512, AVX2 + FMA, portable) and chosen by `isa`, capped at the CPU's
// best. Each variant is deterministic; the variants may differ in the last bit (FMA contraction).
#include "CBackpropKernels.h"

#define LSTM_ROW_KERNELS(SUFFIX, TARGET)                                                          \
  TARGET static void lstm_cell_state_##SUFFIX(const float *a, const float *cp, float *c, long h) {      \
    for (long k = 0; k < h; k++) c[k] = a[h + k] * cp[k] + a[k] * a[2 * h + k];                        \
  }                                                                                                     \
  TARGET static void lstm_hidden_##SUFFIX(const float *a, const float *tau, float *out, long h) {       \
    for (long k = 0; k < h; k++) out[k] = a[3 * h + k] * tau[k];                                       \
  }                                                                                                     \
  TARGET static void lstm_backward_row_##SUFFIX(const float *restrict a, const float *restrict tau,     \
                                                const float *restrict cp, const float *restrict d,      \
                                                const float *restrict dh, float *restrict dc,           \
                                                float *restrict dg, long h) {                           \
    for (long k = 0; k < h; k++) {                                                                      \
      float i = a[k], f = a[h + k], g = a[2 * h + k], o = a[3 * h + k], t = tau[k];                     \
      float dhk = d[k] + dh[k];                                                                         \
      float dct = (d[h + k] + dc[k]) + dhk * o * (1 - t * t);                                           \
      dg[k] = dct * g * i * (1 - i);                                                                    \
      dg[h + k] = dct * cp[k] * f * (1 - f);                                                            \
      dg[2 * h + k] = dct * i * (1 - g * g);                                                            \
      dg[3 * h + k] = dhk * t * o * (1 - o);                                                            \
      dc[k] = dct * f;                                                                                  \
    }                                                                                                   \
  }

LSTM_ROW_KERNELS(portable, )
#if defined(__x86_64__)
LSTM_ROW_KERNELS(avx2, __attribute__((target("avx2,fma"))))
LSTM_ROW_KERNELS(avx512, __attribute__((target("avx512f"))))
#else
#define lstm_cell_state_avx2 lstm_cell_state_portable
#define lstm_hidden_avx2 lstm_hidden_portable
#define lstm_backward_row_avx2 lstm_backward_row_portable
#define lstm_cell_state_avx512 lstm_cell_state_portable
#define lstm_hidden_avx512 lstm_hidden_portable
#define lstm_backward_row_avx512 lstm_backward_row_portable
#endif

void bp_lstm_forward_stepf(float *gates, const float *c_prev, long ld_c_prev, float *tau, float *out, long ld_out,
                           long batch, long hidden, int isa) {
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
  long h = hidden;
  for (long n = 0; n < batch; n++) {
    float *a = gates + n * 4 * h, *o = out + n * ld_out, *t = tau + n * h;
    bp_vsigmoidf(a, a, 2 * h, isa);            // i, f
    bp_vtanhf(a + 2 * h, a + 2 * h, h, isa);   // g
    bp_vsigmoidf(a + 3 * h, a + 3 * h, h, isa);  // o
    const float *cp = c_prev + n * ld_c_prev;
    if (isa == BP_ISA_AVX512) lstm_cell_state_avx512(a, cp, o + h, h);
    else if (isa == BP_ISA_AVX2) lstm_cell_state_avx2(a, cp, o + h, h);
    else lstm_cell_state_portable(a, cp, o + h, h);
    bp_vtanhf(o + h, t, h, isa);
    if (isa == BP_ISA_AVX512) lstm_hidden_avx512(a, t, o, h);
    else if (isa == BP_ISA_AVX2) lstm_hidden_avx2(a, t, o, h);
    else lstm_hidden_portable(a, t, o, h);
  }
}

void bp_lstm_backward_stepf(const float *act, const float *tau, const float *c_prev, long ld_c_prev, const float *delta,
                            long ld_delta, const float *dh, float *dc, float *dgates, long batch, long hidden, int isa) {
  if (isa > bp_cpu_best_isa()) isa = bp_cpu_best_isa();
  long h = hidden;
  for (long n = 0; n < batch; n++) {
    const float *a = act + n * 4 * h, *t = tau + n * h, *cp = c_prev + n * ld_c_prev, *d = delta + n * ld_delta;
    const float *dhn = dh + n * h;
    float *dcn = dc + n * h, *dg = dgates + n * 4 * h;
    if (isa == BP_ISA_AVX512) lstm_backward_row_avx512(a, t, cp, d, dhn, dcn, dg, h);
    else if (isa == BP_ISA_AVX2) lstm_backward_row_avx2(a, t, cp, d, dhn, dcn, dg, h);
    else lstm_backward_row_portable(a, t, cp, d, dhn, dcn, dg, h);
  }
}
