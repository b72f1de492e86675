extension Tensor {
  /// Elementwise a + b with NumPy broadcasting.
  ///
  /// VJP: `∂L/∂a = sumToShape(g, a)`, `∂L/∂b = sumToShape(g, b)`. JVP: `ȧ + ḃ`.
  /// - Throws: `TensorError.shapeMismatch` if the shapes do not broadcast.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func + (a: Tensor, b: Tensor) throws -> Tensor {
    let (shape, values) = try zipKernel(.add, a, b, op: "add")
    return record("add", shape: shape, scalars: values, inputs: [a, b], formula: "g (summed over broadcast axes)",
      pullback: { g, c in
        [c.needsGradient(0) ? must { try c.unbroadcast(g, toInput: 0) } : nil,
         c.needsGradient(1) ? must { try c.unbroadcast(g, toInput: 1) } : nil]
      },
      pushforward: { t, c in must { try tangentSum(t[0], t[1], like: c.output) } })
  }
}

/// ȧ + ḃ where either may be absent (zero), broadcast to the output's shape.
func tangentSum<S>(_ a: Tensor<S>?, _ b: Tensor<S>?, like y: Tensor<S>) throws -> Tensor<S> {
  switch (a, b) {
  case let (a?, b?): return try (a + b).broadcast(to: y.shape)
  case let (a?, nil): return try a.broadcast(to: y.shape)
  case let (nil, b?): return try b.broadcast(to: y.shape)
  default: return Tensor<S>.zeros(y.shape)
  }
}
