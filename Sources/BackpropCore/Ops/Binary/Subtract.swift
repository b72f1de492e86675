extension Tensor {
  /// Elementwise a − b with NumPy broadcasting.
  ///
  /// VJP: `∂L/∂a = sumToShape(g, a)`, `∂L/∂b = −sumToShape(g, b)`. JVP: `ȧ − ḃ`.
  public static func - (a: Tensor, b: Tensor) throws -> Tensor {
    let (shape, values) = try zipKernel(.subtract, a, b, op: "subtract")
    return record("subtract", shape: shape, scalars: values, inputs: [a, b], formula: "g, −g",
      pullback: { g, c in
        [c.needsGradient(0) ? must { try c.unbroadcast(g, toInput: 0) } : nil,
         c.needsGradient(1) ? must { try -c.unbroadcast(g, toInput: 1) } : nil]
      },
      pushforward: { t, c in must { try tangentSum(t[0], t[1].map { -$0 }, like: c.output) } })
  }
}
