extension Tensor {
  /// The tensor repeated along new leading or size-1 dimensions to `target` (NumPy rules).
  ///
  /// VJP: `∂L/∂x = sumToShape(g, x.shape)`. JVP: `ẏ = broadcast(ẋ)`.
  public func broadcast(to target: [Int]) throws -> Tensor {
    if target == shape { return self }
    guard let plan = BroadcastPlan(expanding: shape, to: target) else {
      throw TensorError.shapeMismatch(op: "broadcast", lhs: shape, rhs: target, reason: "cannot broadcast to the target")
    }
    let n = target.reduce(1, *)
    let zero: [Scalar] = [0]
    let values = [Scalar](unsafeUninitializedCapacity: n) { buffer, initialized in
      scalars.withUnsafeBufferPointer { a in
        zero.withUnsafeBufferPointer { b in Scalar._binary(.add, a, b, buffer, plan) }
      }
      initialized = n
    }
    return Tensor.record("broadcast", shape: target, scalars: values, inputs: [self], formula: "sumToShape(g)",
      pullback: { g, c in [must { try c.unbroadcast(g, toInput: 0) }] },
      pushforward: { t, _ in must { try t[0]!.broadcast(to: target) } })
  }
}
