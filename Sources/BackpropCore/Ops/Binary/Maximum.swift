extension Tensor {
  /// Elementwise max(a, b) with broadcasting.
  ///
  /// VJP: `∂L/∂a = sumToShape(g ⊙ 1[a ≥ b], a)`, `∂L/∂b = sumToShape(g ⊙ 1[a < b], b)` (ties go to a).
  public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let (shape, values) = try zipKernel(.maximum, a, b, op: "maximum")
    return record("maximum", shape: shape, scalars: values, inputs: [a, b], formula: "g ⊙ 1[a ≥ b], g ⊙ 1[a < b]",
      pullback: { g, c in
        let (a, b) = (c.inputs[0], c.inputs[1])
        let mask = must { try constant(.greaterEqual, a, b, op: "maximum") }
        return [c.needsGradient(0) ? must { try c.unbroadcast(g * mask, toInput: 0) } : nil,
                c.needsGradient(1) ? must { try c.unbroadcast(g * (1 - mask), toInput: 1) } : nil]
      },
      pushforward: { t, c in
        let (a, b) = (c.inputs[0], c.inputs[1])
        let mask = must { try constant(.greaterEqual, a, b, op: "maximum") }
        return must { try tangentSum(t[0].map { try $0 * mask }, t[1].map { try $0 * (1 - mask) }, like: c.output) }
      })
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
