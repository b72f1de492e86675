/// The exact GELU, x·Φ(x) with Φ the standard normal CDF (PyTorch's `GELU()`), as one op: one
/// pass over x instead of the five of `x · (erf(x/√2) + 1) · ½`.
///
/// f′(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π), so VJP: `∂L/∂x = g ⊙ (Φ(x) + x·φ(x))`;
/// JVP: `ẏ = ẋ ⊙ (Φ(x) + x·φ(x))`. f′ is the op `GELUDerivative` (one pass again), whose own
/// derivative is written with tensor ops, so gradients of gradients work.
///
/// Float runs the vectorised kernel of `Transcendental` (Φ from erfc for x < 0, so the negative
/// tail keeps its relative accuracy); Double evaluates `x·erfc(−x/√2)/2` with libm.
struct GELU: KernelElementwiseOp {
  var name: String { "gelu" }
  let kernel = UnaryKernel.gelu
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { .apply(GELUDerivative(), to: [x]) }
  func derivativeFormula(_ x: String) -> String { "(Φ(\(x)) + \(x)·φ(\(x)))" }
}

/// GELU's derivative Φ(x) + x·φ(x), elementwise, as one op (the first-order VJP of `GELU`).
///
/// f′(x) = 2φ(x) − x²φ(x) = φ(x)(2 − x²), so VJP: `∂L/∂x = g ⊙ φ(x)(2 − x²)`; JVP likewise
/// (composed of tensor ops: only second-order derivatives of GELU reach it).
struct GELUDerivative: KernelElementwiseOp {
  var name: String { "geluDerivative" }
  let kernel = UnaryKernel.geluDerivative
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> {
    let x2 = x.squared()
    return (x2 * S(-0.5)).exp() * S(1 / (2 * Double.pi).squareRoot()) * (2 - x2)
  }
  func derivativeFormula(_ x: String) -> String { "φ(\(x))(2 − \(x)²)" }
}

extension Tensor {
  /// Gaussian error linear unit, x·Φ(x) = ½x(1 + erf(x/√2)) (PyTorch's exact `GELU`), one op.
  /// VJP: `g ⊙ (Φ(x) + x·φ(x))`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func gelu() -> Tensor { .apply(GELU(), to: [self]) }

  /// GELU's derivative Φ(x) + x·φ(x), elementwise (what `gelu()`'s VJP multiplies `g` by).
  /// VJP: `g ⊙ φ(x)(2 − x²)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func geluDerivative() -> Tensor { .apply(GELUDerivative(), to: [self]) }
}
