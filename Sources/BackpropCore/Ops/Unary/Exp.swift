extension Tensor {
  /// Elementwise eˣ.
  ///
  /// VJP: `∂L/∂x = g ⊙ y` (the output is its own derivative). JVP: `ẏ = ẋ ⊙ y`.
  public func exp() -> Tensor {
    unary("exp", .exp, formula: "g ⊙ exp(x)",
          pullback: { g, c in [must { try g * c.output }] },
          pushforward: { t, c in must { try t[0]! * c.output } })
  }
}
