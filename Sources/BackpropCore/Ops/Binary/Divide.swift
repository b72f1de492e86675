extension Tensor {
  /// Elementwise a / b with NumPy broadcasting.
  ///
  /// VJP: `∂L/∂a = sumToShape(g / b, a)`, `∂L/∂b = −sumToShape(g ⊙ y / b, b)` where y = a / b.
  /// JVP: `ȧ / b − ḃ ⊙ y / b`.
  public static func / (a: Tensor, b: Tensor) throws -> Tensor {
    let (shape, values) = try zipKernel(.divide, a, b, op: "divide")
    return record("divide", shape: shape, scalars: values, inputs: [a, b], formula: "g / b, −g ⊙ y / b",
      pullback: { g, c in
        let (b, y) = (c.inputs[1], c.output)
        return [c.needsGradient(0) ? must { try c.unbroadcast(g / b, toInput: 0) } : nil,
                c.needsGradient(1) ? must { try c.unbroadcast(-(g * y) / b, toInput: 1) } : nil]
      },
      pushforward: { t, c in
        let (b, y) = (c.inputs[1], c.output)
        return must { try tangentSum(t[0].map { try $0 / b }, t[1].map { try -($0 * y) / b }, like: c.output) }
      })
  }
}
