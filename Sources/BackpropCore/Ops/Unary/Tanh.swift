extension Tensor {
  /// Elementwise hyperbolic tangent.
  ///
  /// VJP: `∂L/∂x = g ⊙ (1 − y²)`. JVP: `ẏ = ẋ ⊙ (1 − y²)`.
  public func tanh() -> Tensor {
    unary("tanh", .tanh, formula: "g ⊙ (1 − y²)",
          pullback: { g, c in [must { try g * (1 - c.output * c.output) }] },
          pushforward: { t, c in must { try t[0]! * (1 - c.output * c.output) } })
  }
}
