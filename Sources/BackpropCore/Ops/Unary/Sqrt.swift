extension Tensor {
  /// Elementwise square root.
  ///
  /// VJP: `∂L/∂x = g / (2y)`. JVP: `ẏ = ẋ / (2y)`.
  public func sqrt() -> Tensor {
    unary("sqrt", .sqrt, formula: "g / (2·sqrt(x))",
          pullback: { g, c in [must { try g / (c.output * 2) }] },
          pushforward: { t, c in must { try t[0]! / (c.output * 2) } })
  }
}
