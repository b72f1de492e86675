/// The rows (index along axis 0) at `indices`, in that order; indices may repeat.
///
/// VJP: `∂L/∂x = scatterAdd(g, indices)`: each row's gradient is added back where it came
/// from (repeated rows add up). JVP: `ẏ = gather(ẋ)`.
struct GatherRows: Op {
  var name: String { "gatherRows" }
  let indices: [Int]
  var parameters: [(name: String, value: String)] { [("rows", "\(indices.count)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0]
    require(x.rank >= 1, "gatherRows", "needs rank ≥ 1, got a scalar")
    let rows = x.shape[0], rowSize = x.shape.dropFirst().reduce(1, *)
    if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
      opFailure("gatherRows", "index \(bad) is out of range for \(rows) rows (shape \(x.shape))")
    }
    var values = [S](repeating: 0, count: indices.count * rowSize)
    x.scalars.withUnsafeBufferPointer { x in
      values.withUnsafeMutableBufferPointer { y in
        for (r, i) in indices.enumerated() {
          (y.baseAddress! + r * rowSize).update(from: x.baseAddress! + i * rowSize, count: rowSize)
        }
      }
    }
    var outShape = x.shape; outShape[0] = indices.count
    return (outShape, values)
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let rows = c.inputs[0].shape[0]
    return [g.alongBatch(c.batchRank) { $0.scatteringRows(indices, rowCount: rows) }]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]!.gatheringRows(indices) }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("δ scatter-added into rows", .rearrange, .selection)
  }
}

/// A `[rowCount, …]` tensor of zeros with row `i` of the input added at row `indices[i]`.
///
/// VJP: `∂L/∂x = gather(g, indices)`. JVP: `ẏ = scatterAdd(ẋ)`.
struct ScatterRows: Op {
  var name: String { "scatterRows" }
  let indices: [Int]
  let rowCount: Int
  var parameters: [(name: String, value: String)] { [("rows", "\(rowCount)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0]
    require(x.rank >= 1 && x.shape[0] == indices.count, "scatterRows", "\(indices.count) indices for shape \(x.shape)")
    if let bad = indices.first(where: { $0 < 0 || $0 >= rowCount }) {
      opFailure("scatterRows", "index \(bad) is out of range for \(rowCount) rows")
    }
    let rowSize = x.shape.dropFirst().reduce(1, *)
    var values = [S](repeating: 0, count: rowCount * rowSize)
    for (r, i) in indices.enumerated() {
      for j in 0..<rowSize { values[i * rowSize + j] += x.scalars[r * rowSize + j] }
    }
    var outShape = x.shape; outShape[0] = rowCount
    return (outShape, values)
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    [g.alongBatch(c.batchRank) { $0.gatheringRows(indices) }]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]!.scatteringRows(indices, rowCount: rowCount) }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("rows of δ gathered", .rearrange, .selection)
  }
}

extension Tensor {
  /// The rows (index along axis 0) at `indices`, in that order; indices may repeat. This is
  /// how a mini-batch is taken from a data set. VJP: `scatterAdd(g, indices)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func gatheringRows(_ indices: [Int]) -> Tensor { .apply(GatherRows(indices: indices), to: [self]) }

  /// A `[rowCount, …]` tensor of zeros with row `i` of `self` added at row `indices[i]`.
  /// VJP: `gather(g, indices)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func scatteringRows(_ indices: [Int], rowCount: Int) -> Tensor {
    .apply(ScatterRows(indices: indices, rowCount: rowCount), to: [self])
  }
}

extension Tensor {
  /// Applies a row operation (axis 0) to a gradient carrying `batchRank` leading batch
  /// dimensions, by moving the row axis to the front and back again.
  func alongBatch(_ batchRank: Int, _ rowOp: (Tensor) -> Tensor) -> Tensor {
    guard batchRank > 0 else { return rowOp(self) }
    let front = [batchRank] + Array(0..<batchRank) + Array((batchRank + 1)..<rank)
    let moved = rowOp(permuted(front))
    var back = [Int](repeating: 0, count: rank)
    for (i, p) in front.enumerated() { back[p] = i }
    return moved.permuted(back)
  }
}
