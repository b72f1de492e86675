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

#define DEFINE_LOOP(NAME, F, SCALAR)                                            \
  TARGET static void FN(NAME)(const float *x, float *y, long n) {              \
    long i = 0;                                                                 \
    for (; i + LANES <= n; i += LANES) STORE(y + i, F(LOAD(x + i)));            \
    TAIL(x + i, y + i, n - i, F, SCALAR);                                       \
  }
DEFINE_LOOP(exp_array, FN(exp), exp_scalar)
DEFINE_LOOP(tanh_array, FN(tanh), tanh_scalar)
DEFINE_LOOP(sigmoid_array, FN(sigmoid), sigmoid_scalar)
#undef DEFINE_LOOP
