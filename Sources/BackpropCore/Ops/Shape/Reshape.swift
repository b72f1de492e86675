extension Tensor {
  /// The same elements viewed with a new shape; one dimension may be `-1` (inferred).
  ///
  /// VJP: `∂L/∂x = reshape(g, x.shape)`. JVP: `ẏ = reshape(ẋ)`.
  public func reshaped(to newShape: [Int]) throws -> Tensor {
    var target = newShape
    if let inferred = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
      guard known > 0, count % known == 0, newShape.filter({ $0 == -1 }).count == 1 else {
        throw TensorError.shapeMismatch(op: "reshape", lhs: shape, rhs: newShape, reason: "cannot infer the -1 dimension")
      }
      target[inferred] = count / known
    }
    guard target.allSatisfy({ $0 >= 0 }), target.reduce(1, *) == count else {
      throw TensorError.shapeMismatch(op: "reshape", lhs: shape, rhs: newShape,
                                      reason: "\(count) elements cannot take the new shape")
    }
    if target == shape { return self }
    return Tensor.record("reshape", shape: target, scalars: scalars, inputs: [self], formula: "reshape(g)",
      pullback: { g, c in [must { try g.reshaped(to: c.batched(c.inputs[0].shape)) }] },
      pushforward: { t, _ in must { try t[0]!.reshaped(to: target) } })
  }

  /// A rank-1 view of all elements.
  public func flattened() -> Tensor { must { try reshaped(to: [count]) } }

  /// Inserts a size-1 dimension at `axis` (PyTorch's `unsqueeze`).
  public func expandingShape(at axis: Int) throws -> Tensor {
    let a = axis < 0 ? axis + rank + 1 : axis
    guard a >= 0 && a <= rank else {
      throw TensorError.invalidArgument(op: "expandingShape", message: "axis \(axis) is out of range for rank \(rank)")
    }
    var s = shape; s.insert(1, at: a)
    return try reshaped(to: s)
  }

  /// Removes size-1 dimensions (all, or those in `axes`).
  public func squeezingShape(at axes: [Int]? = nil) throws -> Tensor {
    let drop = try axes.map { try $0.map { try Shape.normalize(axis: $0, rank: rank, op: "squeezingShape") } }
    var s: [Int] = []
    for (i, d) in shape.enumerated() {
      if let drop, !drop.contains(i) { s.append(d); continue }
      if d != 1 { s.append(d) }
    }
    return try reshaped(to: s)
  }
}
