/// Elementwise xᵖ for a constant exponent p, kept as the op's parameter.
///
/// f′(x) = p·xᵖ⁻¹ (0 for p = 0, as in PyTorch), so VJP: `∂L/∂x = g ⊙ p·xᵖ⁻¹`;
/// JVP: `ẏ = ẋ ⊙ p·xᵖ⁻¹`.
struct PowerScalar: ElementwiseOp {
  var name: String { "pow" }
  /// The exponent p, in Double whatever the tensor's precision.
  let exponent: Double
  var parameters: [(name: String, value: String)] { [("exponent", formatExponent(exponent))] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0], p = S(exponent)
    return (x.shape, p == 2 ? x.mapKernel(.square) : x.scalars.map { powScalar($0, p) })
  }
  func derivative<S>(x: Tensor<S>, y: Tensor<S>) -> Tensor<S> {
    // x⁰ is constant: written as 0·x⁻¹ the derivative would be 0·∞ = NaN at x = 0.
    exponent == 0 ? Tensor.zeros(x.shape) : x.pow(S(exponent - 1)) * S(exponent)
  }
  func derivativeFormula(_ x: String) -> String {
    exponent == 2 ? "2·\(x)" : "\(formatExponent(exponent))·\(x)^\(formatExponent(exponent - 1))"
  }
  func forwardFormula(_ names: [String]) -> String { "\(names[0])^\(formatExponent(exponent))" }
}

/// An exponent as people write it: `3`, `0.5`, `-1`.
func formatExponent(_ p: Double) -> String {
  p == p.rounded() && Swift.abs(p) < 1e15 ? String(Int(p)) : String(p)
}

extension Tensor {
  /// Elementwise xᵖ for a constant exponent. VJP: `g ⊙ p·xᵖ⁻¹`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func pow(_ p: Scalar) -> Tensor { .apply(PowerScalar(exponent: Double(p)), to: [self]) }

  /// Elementwise x², the same as `pow(2)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func squared() -> Tensor { pow(2) }
}
