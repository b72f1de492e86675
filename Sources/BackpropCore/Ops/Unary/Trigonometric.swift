extension Tensor {
  /// Elementwise sine.
  ///
  /// VJP: `∂L/∂x = g ⊙ cos x`. JVP: `ẏ = ẋ ⊙ cos x`.
  public func sin() -> Tensor {
    unary("sin", .sin, formula: "g ⊙ cos(x)",
          pullback: { g, c in [must { try g * c.inputs[0].cos() }] },
          pushforward: { t, c in must { try t[0]! * c.inputs[0].cos() } })
  }

  /// Elementwise cosine.
  ///
  /// VJP: `∂L/∂x = −g ⊙ sin x`. JVP: `ẏ = −ẋ ⊙ sin x`.
  public func cos() -> Tensor {
    unary("cos", .cos, formula: "−g ⊙ sin(x)",
          pullback: { g, c in [must { try -(g * c.inputs[0].sin()) }] },
          pushforward: { t, c in must { try -(t[0]! * c.inputs[0].sin()) } })
  }
}
