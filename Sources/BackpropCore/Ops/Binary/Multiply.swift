extension Tensor {
  /// Elementwise (Hadamard) product a ⊙ b with NumPy broadcasting.
  ///
  /// VJP: `∂L/∂a = sumToShape(g ⊙ b, a)`, `∂L/∂b = sumToShape(g ⊙ a, b)`. JVP: `ȧ ⊙ b + a ⊙ ḃ`.
  /// The Jacobian of `a ⊙ b` with respect to `a` is `diag(b)`: the VJP never builds it.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func * (a: Tensor, b: Tensor) throws -> Tensor {
    let (shape, values) = try zipKernel(.multiply, a, b, op: "multiply")
    return record("multiply", shape: shape, scalars: values, inputs: [a, b], formula: "g ⊙ b, g ⊙ a",
      pullback: { g, c in
        let (a, b) = (c.inputs[0], c.inputs[1])
        return [c.needsGradient(0) ? must { try c.unbroadcast(g * b, toInput: 0) } : nil,
                c.needsGradient(1) ? must { try c.unbroadcast(g * a, toInput: 1) } : nil]
      },
      pushforward: { t, c in
        let (a, b) = (c.inputs[0], c.inputs[1])
        return must { try tangentSum(t[0].map { try $0 * b }, t[1].map { try a * $0 }, like: c.output) }
      })
  }

  /// The Hadamard (elementwise) product, the seed's `s ⊙ t`; the same as `a * b`.
  public static func hadamard(_ a: Tensor, _ b: Tensor) throws -> Tensor { try a * b }
}
