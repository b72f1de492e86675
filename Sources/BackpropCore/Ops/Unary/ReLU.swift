/// Elementwise max(x, 0); NaN stays NaN, as in PyTorch.
///
/// f′(x) = 1[x > 0] (0 at x = 0, as in PyTorch), so VJP: `∂L/∂x = g ⊙ 1[x > 0]`; JVP:
/// `ẏ = ẋ ⊙ 1[x > 0]`. The mask is a constant, so the second derivative is 0 almost everywhere.
struct ReLU: KernelElementwiseOp {
  var name: String { "relu" }
  let kernel = UnaryKernel.relu
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> { x.constant(.positiveMask) }
  func derivativeFormula(_ x: String) -> String { "1[\(x) > 0]" }
}

extension Tensor {
  /// Elementwise max(x, 0). VJP: `g ⊙ 1[x > 0]`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func relu() -> Tensor { .apply(ReLU(), to: [self]) }
}
