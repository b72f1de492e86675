/// Elementwise softplus, a smooth ReLU, with PyTorch's parameters and semantics:
/// `softplus(x) = log(1 + e^(βx)) / β`, and `x` itself where `βx > threshold` (where the two
/// agree to within rounding, and e^(βx) could overflow).
///
/// f′(x) = σ(βx) (1 above the threshold), so VJP: `∂L/∂x = g ⊙ σ(βx)`; JVP: `ẏ = ẋ ⊙ σ(βx)`.
/// The derivative is written with tensor ops, so second derivatives (β·σ(βx)(1 − σ(βx))) work.
struct Softplus: ElementwiseOp {
  var name: String { "softplus" }
  /// β: larger values make the corner sharper (PyTorch's `beta`, default 1).
  var beta: Double = 1
  /// Above `βx > threshold` the op is the identity (PyTorch's `threshold`, default 20).
  var threshold: Double = 20
  var parameters: [(name: String, value: String)] {
    beta == 1 && threshold == 20 ? [] : [("beta", formatExponent(beta)), ("threshold", formatExponent(threshold))]
  }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (b, t) = (S(beta), S(threshold))
    return (inputs[0].shape, inputs[0].scalars.map { x in x * b > t ? x : S.log(onePlus: S.exp(x * b)) / b })
  }

  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> {
    let scaled = x * S(beta)
    // 1 where βx > threshold (the linear part), σ(βx) elsewhere — as PyTorch's backward.
    let linear = scaled.greater(Tensor<S>(S(threshold)))
    return scaled.sigmoid() * (1 - linear) + linear
  }

  func derivativeFormula(_ x: String) -> String { beta == 1 ? "σ(\(x))" : "σ(\(formatExponent(beta))·\(x))" }

  func forwardFormula(_ n: [String]) -> String { "softplus(\(n[0]))" }
}

extension Tensor {
  /// Elementwise softplus, `log(1 + e^(βx)) / β` (linear where `βx > threshold`), as PyTorch's
  /// `nn.Softplus`. VJP: `g ⊙ σ(βx)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func softplus(beta: Scalar = 1, threshold: Scalar = 20) -> Tensor {
    .apply(Softplus(beta: Double(beta), threshold: Double(threshold)), to: [self])
  }
}
