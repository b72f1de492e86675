extension Tensor {
  /// Elementwise natural logarithm (NaN for negative inputs, −∞ at 0).
  ///
  /// VJP: `∂L/∂x = g / x`. JVP: `ẏ = ẋ / x`.
  public func log() -> Tensor {
    unary("log", .log, formula: "g / x",
          pullback: { g, c in [must { try g / c.inputs[0] }] },
          pushforward: { t, c in must { try t[0]! / c.inputs[0] } })
  }
}
