extension Tensor {
  /// Elementwise max(a, b) with broadcasting.
  ///
  /// VJP: `∂L/∂a = sumToShape(g ⊙ m, a)`, `∂L/∂b = sumToShape(g ⊙ (1 − m), b)` with
  /// `m = 1[a > b] + ½·1[a = b]`: ties split the gradient evenly, as PyTorch does.
  /// JVP: `ẏ = m ⊙ ȧ + (1 − m) ⊙ ḃ`.
  public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let (shape, values) = try zipKernel(.maximum, a, b, op: "maximum")
    return record("maximum", shape: shape, scalars: values, inputs: [a, b], formula: "g ⊙ m, g ⊙ (1 − m), m = 1[a > b] + ½·1[a = b]",
      pullback: { g, c in
        let (a, b) = (c.inputs[0], c.inputs[1])
        let mask = must { try maximumMask(a, b) }
        return [c.needsGradient(0) ? must { try c.unbroadcast(g * mask, toInput: 0) } : nil,
                c.needsGradient(1) ? must { try c.unbroadcast(g * (1 - mask), toInput: 1) } : nil]
      },
      pushforward: { t, c in
        let (a, b) = (c.inputs[0], c.inputs[1])
        let mask = must { try maximumMask(a, b) }
        return must { try tangentSum(t[0].map { try $0 * mask }, t[1].map { try $0 * (1 - mask) }, like: c.output) }
      })
  }

  /// `1[a > b] + ½·1[a = b]` (broadcast): the share of the gradient that goes to `a`.
  static func maximumMask(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try (constant(.greater, a, b, op: "maximum") + constant(.greaterEqual, a, b, op: "maximum")) * 0.5
  }

  /// Elementwise min(a, b) with broadcasting: `−max(−a, −b)`, so it shares that rule.
  public static func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    guard broadcastShapes(a.shape, b.shape) != nil else {
      throw TensorError.shapeMismatch(op: "minimum", lhs: a.shape, rhs: b.shape,
                                      reason: "they cannot be broadcast together (NumPy rules: trailing dimensions must be equal or 1)")
    }
    return -(try maximum(-a, -b))
  }
}
