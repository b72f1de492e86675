/// The axes reordered: output axis `i` is input axis `permutation[i]` (PyTorch's `permute`).
///
/// VJP: `∂L/∂x = permute(g, inverse permutation)`. JVP: `ẏ = permute(ẋ)`.
struct Permute: Op {
  var name: String { "permute" }
  let permutation: [Int]
  var parameters: [(name: String, value: String)] { [("permutation", "\(permutation)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0], rank = x.rank, count = x.count
    let outShape = permutation.map { x.shape[$0] }
    let inStrides = x.strides
    let permutedStrides = permutation.map { inStrides[$0] }
    var values = [S](repeating: 0, count: count)
    // Odometer over the output; the source offset follows the permuted strides.
    var index = [Int](repeating: 0, count: rank)
    var source = 0
    let inner = outShape[rank - 1], innerStride = permutedStrides[rank - 1]
    x.scalars.withUnsafeBufferPointer { x in
      values.withUnsafeMutableBufferPointer { y in
        var o = 0
        while o < count {
          for j in 0..<inner { y[o + j] = x[source + j * innerStride] }
          o += inner
          var d = rank - 2
          while d >= 0 {
            index[d] += 1; source += permutedStrides[d]
            if index[d] < outShape[d] { break }
            source -= permutedStrides[d] * outShape[d]; index[d] = 0; d -= 1
          }
        }
      }
    }
    return (outShape, values)
  }
  var inverse: [Int] {
    var inverse = [Int](repeating: 0, count: permutation.count)
    for (i, p) in permutation.enumerated() { inverse[p] = i }
    return inverse
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    [g.permuted(Array(0..<c.batchRank) + inverse.map { $0 + c.batchRank })]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]!.permuted(permutation) }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("permute δ back by \(inverse)", .rearrange, .permutation)
  }
}

extension Tensor {
  /// The axes reordered: output axis `i` is input axis `permutation[i]` (PyTorch's `permute`).
  /// VJP: `permute(g, inverse)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func permuted(_ permutation: [Int]) -> Tensor {
    require(permutation.sorted() == Array(0..<rank), "permute",
            "\(permutation) is not a permutation of the \(rank) axes of \(shape)")
    return permutation == Array(0..<rank) ? self : .apply(Permute(permutation: permutation), to: [self])
  }

  /// The matrix transpose: swaps the last two axes (rank ≥ 2); a vector or scalar is returned as is.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func transposed() -> Tensor {
    guard rank >= 2 else { return self }
    var p = Array(0..<rank)
    p.swapAt(rank - 1, rank - 2)
    return permuted(p)
  }
}
