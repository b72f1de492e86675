// The SIMD exp / tanh / sigmoid of transcendental.c, written once over a few width-specific
// macros and instantiated for AVX-512 (16 lanes) and AVX2 + FMA (8 lanes). Expects:
//   V                 the vector type;  TARGET  the function attribute;  FN(name)  a prefix;
//   SET1, ADD, SUB, MUL, DIV, MIN, MAX, FMADD, FNMADD, ROUND, LOAD, STORE   float ops;
//   I, TOI, SRAI, ISUB, IADD, ISET1, SLLI, CASTI, ANDI, ORI, CASTF          the integer side;
//   COND, LT(a,b), GT(a,b), UNORD(a)  a comparison result;  SELECT(c, a, b)  c ? b : a per lane;
//   LANES, TAIL(x, y, n, F)           the loop's remainder.

TARGET static inline V FN(exp)(V x) {
  V xc = MIN(MAX(x, SET1(EXP_LO)), SET1(EXP_HI));
  V n = ROUND(MUL(xc, SET1(LOG2E)));
  V r = FNMADD(n, SET1(LN2_HI), xc);
  r = FNMADD(n, SET1(LN2_LO), r);
  V p = FMADD(SET1(P0), r, SET1(P1));
  p = FMADD(p, r, SET1(P2));
  p = FMADD(p, r, SET1(P3));
  p = FMADD(p, r, SET1(P4));
  p = FMADD(p, r, SET1(P5));
  V y = FMADD(MUL(p, r), r, ADD(r, SET1(1.0f)));
  // 2ⁿ in two halves, built in the exponent bits, so results down to the subnormals stay exact.
  I k = TOI(n);
  I k1 = SRAI(k, 1), k2 = ISUB(k, k1);
  V s1 = CASTF(SLLI(IADD(k1, ISET1(127)), 23));
  V s2 = CASTF(SLLI(IADD(k2, ISET1(127)), 23));
  y = MUL(MUL(y, s1), s2);
  y = SELECT(GT(x, SET1(EXP_HI)), y, SET1(INFINITY));
  y = SELECT(LT(x, SET1(EXP_LO)), y, SET1(0.0f));
  return SELECT(UNORD(x), y, x);
}

TARGET static inline V FN(abs)(V x) { return CASTF(ANDI(CASTI(x), ISET1(0x7fffffff))); }

TARGET static inline V FN(copysign)(V magnitude, V sign) {
  return CASTF(ORI(CASTI(magnitude), ANDI(CASTI(sign), ISET1((int)0x80000000u))));
}

TARGET static inline V FN(tanh)(V x) {
  V a = FN(abs)(x);
  V z = MUL(x, x);
  V q = FMADD(SET1(T0), z, SET1(T1));
  q = FMADD(q, z, SET1(T2));
  q = FMADD(q, z, SET1(T3));
  q = FMADD(q, z, SET1(T4));
  V small = FMADD(MUL(q, z), x, x);
  V e = FN(exp)(MUL(SET1(2.0f), MIN(a, SET1(9.0f))));
  V t = SUB(SET1(1.0f), DIV(SET1(2.0f), ADD(e, SET1(1.0f))));
  V y = SELECT(LT(a, SET1(0.625f)), FN(copysign)(t, x), small);
  y = SELECT(GT(a, SET1(9.0f)), y, FN(copysign)(SET1(1.0f), x));
  return SELECT(UNORD(x), y, x);
}

TARGET static inline V FN(sigmoid)(V x) {
  V e = FN(exp)(SUB(SET1(0.0f), FN(abs)(x)));
  V s = DIV(SET1(1.0f), ADD(SET1(1.0f), e));
  V y = SELECT(LT(x, SET1(0.0f)), s, MUL(e, s));
  return SELECT(UNORD(x), y, x);
}

// e^(−s) for s = hi + lo (lo the rounding error of hi): e^(−hi)·(1 − lo), so a square's
// rounding does not become a relative error of |x|²·2⁻²⁴ in the exponential.
TARGET static inline V FN(exp_neg2)(V hi, V lo) {
  V e = FN(exp)(SUB(SET1(0.0f), hi));
  return FNMADD(e, lo, e);
}

// x·P(x²) ≈ erf(x) on |x| < 1 (≤ 6e-8 relative).
TARGET static inline V FN(erf_small)(V x, V s) {
  V p = FMADD(SET1(ERF_S5), s, SET1(ERF_S4));
  p = FMADD(p, s, SET1(ERF_S3));
  p = FMADD(p, s, SET1(ERF_S2));
  p = FMADD(p, s, SET1(ERF_S1));
  p = FMADD(p, s, SET1(ERF_S0));
  return MUL(x, p);
}

// R(u) ≈ e^(a²)·erfc(a), u = 1/(1 + a/2), for 1 ≤ a ≤ 10 (≤ 5e-8 relative).
TARGET static inline V FN(erfcx)(V a) {
  V u = DIV(SET1(1.0f), FMADD(MIN(a, SET1(11.0f)), SET1(0.5f), SET1(1.0f)));
  V r = FMADD(SET1(ERF_L9), u, SET1(ERF_L8));
  r = FMADD(r, u, SET1(ERF_L7));
  r = FMADD(r, u, SET1(ERF_L6));
  r = FMADD(r, u, SET1(ERF_L5));
  r = FMADD(r, u, SET1(ERF_L4));
  r = FMADD(r, u, SET1(ERF_L3));
  r = FMADD(r, u, SET1(ERF_L2));
  r = FMADD(r, u, SET1(ERF_L1));
  return FMADD(r, u, SET1(ERF_L0));
}

TARGET static inline V FN(erf)(V x) {
  V a = MIN(FN(abs)(x), SET1(11.0f));  // erf(±11) = ±1; keeps ∞² (and its error term) out
  V hi = MUL(a, a), lo = FMADD(a, a, SUB(SET1(0.0f), hi));
  V big = FNMADD(FN(exp_neg2)(hi, lo), FN(erfcx)(a), SET1(1.0f));
  V y = SELECT(LT(a, SET1(1.0f)), FN(copysign)(big, x), FN(erf_small)(x, hi));
  return SELECT(UNORD(x), y, x);
}

// Φ(x) (the normal CDF) and e^(−x²/2), shared by GELU and its derivative. Φ comes from erfc on
// the negative side (no 1 + erf(z) cancellation in the tail); x²/2 is halved exactly.
TARGET static inline V FN(normal_cdf)(V x, V *gauss) {
  V xc = MIN(MAX(x, SET1(-16.0f)), SET1(16.0f));  // e^(−128) = 0 already; keeps ∞² out
  V hi = MUL(xc, xc), lo = FMADD(xc, xc, SUB(SET1(0.0f), hi));
  V zh = MUL(hi, SET1(0.5f)), zl = MUL(lo, SET1(0.5f));
  V z = MUL(x, SET1(SQRT1_2)), a = FN(abs)(z);
  V e = FN(exp_neg2)(zh, zl);
  *gauss = e;
  V tail = MUL(MUL(SET1(0.5f), e), FN(erfcx)(a));
  V big = SELECT(GT(x, SET1(0.0f)), tail, SUB(SET1(1.0f), tail));
  V small = FMADD(FN(erf_small)(z, zh), SET1(0.5f), SET1(0.5f));
  return SELECT(LT(a, SET1(1.0f)), big, small);
}

// x·Φ(x).
TARGET static inline V FN(gelu)(V x) {
  V gauss;
  V y = MUL(x, FN(normal_cdf)(x, &gauss));
  return SELECT(UNORD(x), y, x);
}

// Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
TARGET static inline V FN(gelu_derivative)(V x) {
  V gauss;
  V cdf = FN(normal_cdf)(x, &gauss);
  V y = FMADD(MUL(x, SET1(INV_SQRT_2PI)), gauss, cdf);
  return SELECT(UNORD(x), y, x);
}

#define DEFINE_LOOP(NAME, F, SCALAR)                                            \
  TARGET static void FN(NAME)(const float *x, float *y, long n) {              \
    long i = 0;                                                                 \
    for (; i + LANES <= n; i += LANES) STORE(y + i, F(LOAD(x + i)));            \
    TAIL(x + i, y + i, n - i, F, SCALAR);                                       \
  }
DEFINE_LOOP(exp_array, FN(exp), exp_scalar)
DEFINE_LOOP(tanh_array, FN(tanh), tanh_scalar)
DEFINE_LOOP(sigmoid_array, FN(sigmoid), sigmoid_scalar)
DEFINE_LOOP(erf_array, FN(erf), erf_scalar)
DEFINE_LOOP(gelu_array, FN(gelu), gelu_scalar)
DEFINE_LOOP(gelu_derivative_array, FN(gelu_derivative), gelu_derivative_scalar)
#undef DEFINE_LOOP
