import RealModule

/// Elementwise error function, erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt.
///
/// f′(x) = (2/√π)·e^(−x²), so VJP: `∂L/∂x = g ⊙ (2/√π)·e^(−x²)`; JVP: `ẏ = ẋ ⊙ (2/√π)·e^(−x²)`.
///
/// Float runs the vectorised kernel of `Transcendental` (≤ 2 ulp); Double calls libm.
struct Erf: KernelElementwiseOp {
  var name: String { "erf" }
  let kernel = UnaryKernel.erf
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { (-(x.squared())).exp() * S(2 / Double.pi.squareRoot()) }
  func derivativeFormula(_ x: String) -> String { "(2/√π)·exp(−\(x)²)" }
}

extension Tensor {
  /// Elementwise error function. VJP: `g ⊙ (2/√π)·e^(−x²)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func erf() -> Tensor { .apply(Erf(), to: [self]) }
}
