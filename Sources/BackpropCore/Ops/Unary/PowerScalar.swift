extension Tensor {
  /// Elementwise xᵖ for a constant exponent.
  ///
  /// VJP: `∂L/∂x = g ⊙ p·xᵖ⁻¹` (0 for p = 0, as in PyTorch). JVP: `ẏ = ẋ ⊙ p·xᵖ⁻¹`.
  public func pow(_ p: Scalar) -> Tensor {
    let values: [Scalar]
    if p == 2 { values = mapKernel(.square) } else { values = scalars.map { powScalar($0, p) } }
    // x⁰ is constant: written as 0·x⁻¹ the derivative would be 0·∞ = NaN at x = 0.
    func derivative(_ x: Tensor) -> Tensor { p == 0 ? Tensor.zeros(x.shape) : x.pow(p - 1) * p }
    return Tensor.record("pow", shape: shape, scalars: values, inputs: [self], formula: "g ⊙ p·x^(p−1)",
      pullback: { g, c in [must { try g * derivative(c.inputs[0]) }] },
      pushforward: { t, c in must { try t[0]! * derivative(c.inputs[0]) } })
  }

  /// Elementwise x², the same as `pow(2)`.
  public func squared() -> Tensor { pow(2) }
}
