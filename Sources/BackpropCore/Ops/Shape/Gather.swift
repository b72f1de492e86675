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
      pullback: { g, c in [must { try g.alongBatch(c.batchRank) { try $0.scatteringRows(indices, rowCount: rows) } }] },
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
      pullback: { g, c in [must { try g.alongBatch(c.batchRank) { try $0.gatheringRows(indices) } }] },
      pushforward: { t, _ in must { try t[0]!.scatteringRows(indices, rowCount: rowCount) } })
  }
}

extension Tensor {
  /// Applies a row operation (axis 0) to a gradient carrying `batchRank` leading batch
  /// dimensions, by moving the row axis to the front and back again.
  func alongBatch(_ batchRank: Int, _ rowOp: (Tensor) throws -> Tensor) throws -> Tensor {
    guard batchRank > 0 else { return try rowOp(self) }
    let front = [batchRank] + Array(0..<batchRank) + Array((batchRank + 1)..<rank)
    let moved = try rowOp(permuted(front))
    var back = [Int](repeating: 0, count: rank)
    for (i, p) in front.enumerated() { back[p] = i }
    return try moved.permuted(back)
  }
}
