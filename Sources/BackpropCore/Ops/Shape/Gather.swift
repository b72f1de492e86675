extension Tensor {
  /// The rows (index along axis 0) at `indices`, in that order; indices may repeat.
  /// This is how a mini-batch is taken from a data set.
  ///
  /// VJP: `∂L/∂x = scatterAdd(g, indices)`: each row's gradient is added back where it came
  /// from (repeated rows add up). JVP: `ẏ = gather(ẋ)`.
  public func gatheringRows(_ indices: [Int]) throws -> Tensor {
    guard rank >= 1 else { throw TensorError.invalidArgument(op: "gatherRows", message: "needs rank ≥ 1, got a scalar") }
    let rows = shape[0], rowSize = shape.dropFirst().reduce(1, *)
    if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
      throw TensorError.invalidArgument(op: "gatherRows", message: "index \(bad) is out of range for \(rows) rows (shape \(shape))")
    }
    var values = [Scalar](repeating: 0, count: indices.count * rowSize)
    scalars.withUnsafeBufferPointer { x in
      values.withUnsafeMutableBufferPointer { y in
        for (r, i) in indices.enumerated() {
          (y.baseAddress! + r * rowSize).update(from: x.baseAddress! + i * rowSize, count: rowSize)
        }
      }
    }
    var outShape = shape; outShape[0] = indices.count
    return Tensor.record("gatherRows", shape: outShape, scalars: values, inputs: [self], formula: "scatterAdd(g)",
      pullback: { g, _ in [must { try g.scatteringRows(indices, rowCount: rows) }] },
      pushforward: { t, _ in must { try t[0]!.gatheringRows(indices) } })
  }

  /// A `[rowCount, …]` tensor of zeros with row `i` of `self` added at row `indices[i]`.
  ///
  /// VJP: `∂L/∂x = gather(g, indices)`. JVP: `ẏ = scatterAdd(ẋ)`.
  public func scatteringRows(_ indices: [Int], rowCount: Int) throws -> Tensor {
    guard rank >= 1, shape[0] == indices.count else {
      throw TensorError.invalidArgument(op: "scatterRows", message: "\(indices.count) indices for shape \(shape)")
    }
    if let bad = indices.first(where: { $0 < 0 || $0 >= rowCount }) {
      throw TensorError.invalidArgument(op: "scatterRows", message: "index \(bad) is out of range for \(rowCount) rows")
    }
    let rowSize = shape.dropFirst().reduce(1, *)
    var values = [Scalar](repeating: 0, count: rowCount * rowSize)
    for (r, i) in indices.enumerated() {
      for j in 0..<rowSize { values[i * rowSize + j] += scalars[r * rowSize + j] }
    }
    var outShape = shape; outShape[0] = rowCount
    return Tensor.record("scatterRows", shape: outShape, scalars: values, inputs: [self], formula: "gather(g)",
      pullback: { g, _ in [must { try g.gatheringRows(indices) }] },
      pushforward: { t, _ in must { try t[0]!.scatteringRows(indices, rowCount: rowCount) } })
  }
}
