extension Tensor {
  /// Elementwise |x|.
  ///
  /// VJP: `∂L/∂x = g ⊙ sign(x)` (0 at x = 0, as in PyTorch). JVP: `ẏ = ẋ ⊙ sign(x)`.
  public func abs() -> Tensor {
    unary("abs", .abs, formula: "g ⊙ sign(x)",
          pullback: { g, c in [must { try g * c.inputs[0].constant(.sign) }] },
          pushforward: { t, c in must { try t[0]! * c.inputs[0].constant(.sign) } })
  }

  /// Elementwise sign (−1, 0 or 1). Not differentiable (a constant).
  public func sign() -> Tensor { constant(.sign) }
}
