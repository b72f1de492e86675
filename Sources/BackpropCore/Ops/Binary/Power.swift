extension Tensor {
  /// Elementwise aᵇ with NumPy broadcasting (a > 0 where b is not an integer).
  ///
  /// VJP: `∂L/∂a = sumToShape(g ⊙ b·aᵇ⁻¹, a)`, `∂L/∂b = sumToShape(g ⊙ y ⊙ log a, b)`.
  /// JVP: `ȧ ⊙ b·aᵇ⁻¹ + ḃ ⊙ y ⊙ log a`.
  public static func pow(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let (shape, values) = try zipKernel(.power, a, b, op: "pow")
    return record("pow", shape: shape, scalars: values, inputs: [a, b], formula: "g ⊙ b·a^(b−1), g ⊙ y ⊙ log a",
      pullback: { g, c in
        let (a, b, y) = (c.inputs[0], c.inputs[1], c.output)
        return [c.needsGradient(0) ? must { try c.unbroadcast(g * b * Tensor.pow(a, b - 1), toInput: 0) } : nil,
                c.needsGradient(1) ? must { try c.unbroadcast(g * y * a.log(), toInput: 1) } : nil]
      },
      pushforward: { t, c in
        let (a, b, y) = (c.inputs[0], c.inputs[1], c.output)
        return must {
          try tangentSum(t[0].map { try $0 * b * Tensor.pow(a, b - 1) }, t[1].map { try $0 * y * a.log() }, like: y)
        }
      })
  }
}
