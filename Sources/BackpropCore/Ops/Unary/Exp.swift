/// Elementwise eˣ. The output is its own derivative.
///
/// f′(x) = eˣ = y, so VJP: `∂L/∂x = g ⊙ y`; JVP: `ẏ = ẋ ⊙ y`.
struct Exp: KernelElementwiseOp {
  var name: String { "exp" }
  let kernel = UnaryKernel.exp
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { y }
  func derivativeFormula(_ x: String) -> String { "exp(\(x))" }
}

extension Tensor {
  /// Elementwise eˣ. VJP: `g ⊙ y`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func exp() -> Tensor { .apply(Exp(), to: [self]) }
}
