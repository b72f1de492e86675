extension Tensor {
  /// Elementwise max(x, 0).
  ///
  /// VJP: `∂L/∂x = g ⊙ 1[x > 0]` (0 at x = 0, as in PyTorch). The mask is a constant, so the
  /// second derivative is 0 almost everywhere. JVP: `ẏ = ẋ ⊙ 1[x > 0]`.
  public func relu() -> Tensor {
    unary("relu", .relu, formula: "g ⊙ 1[x > 0]",
          pullback: { g, c in [must { try g * c.inputs[0].constant(.positiveMask) }] },
          pushforward: { t, c in must { try t[0]! * c.inputs[0].constant(.positiveMask) } })
  }
}
