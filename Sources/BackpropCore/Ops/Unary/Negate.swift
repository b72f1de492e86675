extension Tensor {
  /// Elementwise −x.
  ///
  /// VJP: `∂L/∂x = −g`. JVP: `ẏ = −ẋ`.
  public static prefix func - (x: Tensor) -> Tensor {
    x.unary("negate", .negate, formula: "−g",
            pullback: { g, _ in [-g] },
            pushforward: { t, _ in -t[0]! })
  }
}
