extension Tensor {
  /// The sum of all elements (a scalar) or along `axes`, keeping them as size-1 dims if asked.
  ///
  /// VJP: `∂L/∂x = broadcast(g, x.shape)` (every element contributed with weight 1).
  /// JVP: `ẏ = sum(ẋ)` over the same axes.
  public func sum(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) throws -> Tensor {
    let axes = try reductionAxes(axes, op: "sum")
    let (kept, values) = reduceKernel(.sum, axes: axes)
    let outShape = reducedShape(axes: axes, keepingDims: keepingDims)
    return Tensor.record("sum", shape: outShape, scalars: values, inputs: [self], formula: "broadcast(g)",
      pullback: { g, c in [must { try g.reshaped(to: c.batched(kept)).broadcast(to: c.batched(c.inputs[0].shape)) }] },
      pushforward: { t, _ in must { try t[0]!.sum(alongAxes: axes, keepingDims: keepingDims) } })
  }

  /// The sum of all elements, as a scalar tensor.
  public func sum() -> Tensor { must { try sum(alongAxes: nil) } }

  /// Sums a broadcast result back to `target` (the shape of an operand before broadcasting).
  ///
  /// This is the single place where broadcasting is undone in the backward pass: every binary
  /// op's VJP calls it. VJP: `broadcast(g, x.shape)`. Returns `self` when the shapes agree.
  public func sum(toShape target: [Int]) throws -> Tensor {
    if shape == target { return self }
    guard broadcastShapes(target, shape) == shape else {
      throw TensorError.shapeMismatch(op: "sum(toShape:)", lhs: shape, rhs: target,
                                      reason: "the target does not broadcast to this shape")
    }
    let lead = rank - target.count
    var axes = Array(0..<lead)
    for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
    let (_, values) = reduceKernel(.sum, axes: axes)
    return Tensor.record("sumToShape", shape: target, scalars: values, inputs: [self], formula: "broadcast(g)",
      pullback: { g, c in
        // With batched cotangents, align the target's dimensions to the input's before broadcasting.
        let x = c.inputs[0].shape
        let aligned = c.batchRank == 0 ? g : must { try g.reshaped(to: c.batched([Int](repeating: 1, count: x.count - target.count) + target)) }
        return [must { try aligned.broadcast(to: c.batched(x)) }]
      },
      pushforward: { t, _ in must { try t[0]!.sum(toShape: target) } })
  }

  /// The arithmetic mean of all elements or along `axes` (sum divided by the count).
  public func mean(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) throws -> Tensor {
    let axes = try reductionAxes(axes, op: "mean")
    let n = axes.reduce(1) { $0 * shape[$1] }
    return try sum(alongAxes: axes, keepingDims: keepingDims) / Scalar(n)
  }

  /// The mean of all elements, as a scalar tensor.
  public func mean() -> Tensor { must { try mean(alongAxes: nil) } }
}
