/// Elementwise hyperbolic tangent.
///
/// f′(x) = 1 − tanh²(x) = 1 − y², so VJP: `∂L/∂x = g ⊙ (1 − y²)`; JVP: `ẏ = ẋ ⊙ (1 − y²)`.
struct Tanh: KernelElementwiseOp {
  var name: String { "tanh" }
  let kernel = UnaryKernel.tanh
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { 1 - y * y }
  func derivativeFormula(_ x: String) -> String { "(1 − tanh²(\(x)))" }
}

extension Tensor {
  /// Elementwise hyperbolic tangent. VJP: `g ⊙ (1 − y²)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func tanh() -> Tensor { .apply(Tanh(), to: [self]) }
}
