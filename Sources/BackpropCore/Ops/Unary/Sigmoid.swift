/// Elementwise logistic function σ(x) = 1 / (1 + e⁻ˣ), computed without overflow for large |x|.
///
/// f′(x) = σ(x)(1 − σ(x)) = y(1 − y), so VJP: `∂L/∂x = g ⊙ y ⊙ (1 − y)`; JVP: `ẋ ⊙ y ⊙ (1 − y)`.
struct Sigmoid: KernelElementwiseOp {
  var name: String { "sigmoid" }
  let kernel = UnaryKernel.sigmoid
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { y * (1 - y) }
  func derivativeFormula(_ x: String) -> String { "σ'(\(x))" }
  // g ⊙ y ⊙ (1 − y), multiplied left to right as before (same rounding as the fixtures).
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] { [g * c.output * (1 - c.output)] }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]! * c.output * (1 - c.output) }
}

extension Tensor {
  /// Elementwise logistic function σ(x). VJP: `g ⊙ y ⊙ (1 − y)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sigmoid() -> Tensor { .apply(Sigmoid(), to: [self]) }
}
