/// Elementwise |x|.
///
/// f′(x) = sign(x) (0 at x = 0, as in PyTorch), so VJP: `∂L/∂x = g ⊙ sign(x)`; JVP: `ẋ ⊙ sign(x)`.
struct Abs: KernelElementwiseOp {
  var name: String { "abs" }
  let kernel = UnaryKernel.abs
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { x.constant(.sign) }
  func derivativeFormula(_ x: String) -> String { "sign(\(x))" }
}

extension Tensor {
  /// Elementwise |x|. VJP: `g ⊙ sign(x)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func abs() -> Tensor { .apply(Abs(), to: [self]) }

  /// Elementwise sign (−1, 0 or 1). Not differentiable (a constant).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sign() -> Tensor { constant(.sign) }
}
