import CBackpropKernels

/// Vectorised `Float` exp, tanh, sigmoid (Cephes' algorithms), erf, GELU and GELU's derivative (fitted polynomials; 16 lanes with AVX-512, 8 with AVX2; one lane
/// at a time elsewhere), used by `Tensor<Float>`'s elementwise kernels in place of a libm call
/// per element. At most 2 ulp from the correctly rounded result (3 for sigmoid, 16 for GELU,
/// whose derivative is within 2⁻²⁴·max(1, |y|) absolute) and libm's
/// behaviour at NaN, ±∞, ±0, overflow and underflow (checked over the whole float range in
/// the tests). `Double` keeps libm: gradient checks need its last bits.
public enum Transcendental {
  /// The functions with a vectorised `Float` version.
  public enum Function: Sendable, CaseIterable {
    /// eˣ.
    case exp
    /// tanh x.
    case tanh
    /// 1 / (1 + e⁻ˣ).
    case sigmoid
    /// erf x.
    case erf
    /// GELU, x·Φ(x) (Φ the standard normal CDF, from erfc for x < 0: accurate in the tail).
    case gelu
    /// GELU's derivative, Φ(x) + x·φ(x).
    case geluDerivative
  }

  /// `y[i] = f(x[i])` for `i < count`; `isa` picks a narrower path (tests).
  public static func apply(
    _ function: Function, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, isa: KernelISA = Gemm.kernelISA
  ) {
    guard count > 0 else { return }
    switch function {
    case .exp: bp_vexpf(x, y, count, isa.cValue)
    case .tanh: bp_vtanhf(x, y, count, isa.cValue)
    case .sigmoid: bp_vsigmoidf(x, y, count, isa.cValue)
    case .erf: bp_verff(x, y, count, isa.cValue)
    case .gelu: bp_vgeluf(x, y, count, isa.cValue)
    case .geluDerivative: bp_vgelu_derivativef(x, y, count, isa.cValue)
    }
  }
}
