extension Tensor {
  /// The axes reordered: output axis `i` is input axis `permutation[i]` (PyTorch's `permute`).
  ///
  /// VJP: `∂L/∂x = permute(g, inverse permutation)`. JVP: `ẏ = permute(ẋ)`.
  public func permuted(_ permutation: [Int]) throws -> Tensor {
    guard permutation.sorted() == Array(0..<rank) else {
      throw TensorError.invalidArgument(op: "permute", message: "\(permutation) is not a permutation of the \(rank) axes of \(shape)")
    }
    if permutation == Array(0..<rank) { return self }
    let outShape = permutation.map { shape[$0] }
    let inStrides = strides
    let permutedStrides = permutation.map { inStrides[$0] }
    var values = [Scalar](repeating: 0, count: count)
    // Odometer over the output; the source offset follows the permuted strides.
    var index = [Int](repeating: 0, count: rank)
    var source = 0
    let inner = outShape[rank - 1], innerStride = permutedStrides[rank - 1]
    scalars.withUnsafeBufferPointer { x in
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
    var inverse = [Int](repeating: 0, count: rank)
    for (i, p) in permutation.enumerated() { inverse[p] = i }
    return Tensor.record("permute", shape: outShape, scalars: values, inputs: [self], formula: "permute(g, inverse)",
      pullback: { g, c in [must { try g.permuted(Array(0..<c.batchRank) + inverse.map { $0 + c.batchRank }) }] },
      pushforward: { t, _ in must { try t[0]!.permuted(permutation) } })
  }

  /// The matrix transpose: swaps the last two axes (rank ≥ 2); a vector or scalar is returned as is.
  public func transposed() -> Tensor {
    guard rank >= 2 else { return self }
    var p = Array(0..<rank)
    p.swapAt(rank - 1, rank - 2)
    return must { try permuted(p) }
  }
}
