import RealModule

/// Elementwise error function, erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt.
///
/// f′(x) = (2/√π)·e^(−x²), so VJP: `∂L/∂x = g ⊙ (2/√π)·e^(−x²)`; JVP: `ẏ = ẋ ⊙ (2/√π)·e^(−x²)`.
struct Erf: ElementwiseOp {
  var name: String { "erf" }
  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    (inputs[0].shape, inputs[0].scalars.map { S.erf($0) })
  }
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { (-(x.squared())).exp() * S(2 / Double.pi.squareRoot()) }
  func derivativeFormula(_ x: String) -> String { "(2/√π)·exp(−\(x)²)" }
}

extension Tensor {
  /// Elementwise error function. VJP: `g ⊙ (2/√π)·e^(−x²)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func erf() -> Tensor { .apply(Erf(), to: [self]) }
}
