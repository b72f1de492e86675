extension Tensor {
  /// Elementwise logistic function σ(x) = 1 / (1 + e⁻ˣ), computed without overflow for large |x|.
  ///
  /// VJP: `∂L/∂x = g ⊙ y ⊙ (1 − y)`. JVP: `ẏ = ẋ ⊙ y ⊙ (1 − y)`.
  public func sigmoid() -> Tensor {
    unary("sigmoid", .sigmoid, formula: "g ⊙ σ(x) ⊙ (1 − σ(x))",
          pullback: { g, c in [must { try g * c.output * (1 - c.output) }] },
          pushforward: { t, c in must { try t[0]! * c.output * (1 - c.output) } })
  }
}
