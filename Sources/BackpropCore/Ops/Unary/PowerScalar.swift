extension Tensor {
  /// Elementwise xᵖ for a constant exponent.
  ///
  /// VJP: `∂L/∂x = g ⊙ p·xᵖ⁻¹`. JVP: `ẏ = ẋ ⊙ p·xᵖ⁻¹`.
  public func pow(_ p: Scalar) -> Tensor {
    let values: [Scalar]
    if p == 2 { values = mapKernel(.square) } else { values = scalars.map { powScalar($0, p) } }
    return Tensor.record("pow", shape: shape, scalars: values, inputs: [self], formula: "g ⊙ p·x^(p−1)",
      pullback: { g, c in [must { try g * (c.inputs[0].pow(p - 1) * p) }] },
      pushforward: { t, c in must { try t[0]! * (c.inputs[0].pow(p - 1) * p) } })
  }

  /// Elementwise x², the same as `pow(2)`.
  public func squared() -> Tensor { pow(2) }
}
