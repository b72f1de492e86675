extension Tensor {
  /// Elements `range` along `axis` (other axes whole), e.g. rows 10..<20 of a matrix.
  ///
  /// VJP: `∂L/∂x = pad(g)` with zeros back to x's size along `axis`. JVP: `ẏ = slice(ẋ)`.
  public func sliced(along axis: Int = 0, _ range: Range<Int>) throws -> Tensor {
    let a = try Shape.normalize(axis: axis, rank: rank, op: "slice")
    guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
      throw TensorError.invalidArgument(op: "slice", message: "range \(range) is out of bounds for axis \(axis) of size \(shape[a]) (shape \(shape))")
    }
    var outShape = shape; outShape[a] = range.count
    let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
    var values: [Scalar] = []
    values.reserveCapacity(outShape.reduce(1, *))
    for o in 0..<outer {
      let start = (o * shape[a] + range.lowerBound) * inner
      values.append(contentsOf: scalars[start..<(start + range.count * inner)])
    }
    let (before, after) = (range.lowerBound, shape[a] - range.upperBound)
    return Tensor.record("slice", shape: outShape, scalars: values, inputs: [self], formula: "pad(g) with zeros",
      pullback: { g, c in [must { try g.padded(along: a + c.batchRank, before: before, after: after) }] },
      pushforward: { t, _ in must { try t[0]!.sliced(along: a, range) } })
  }

  /// Adds `before` and `after` zeros along `axis`.
  ///
  /// VJP: `∂L/∂x = slice(g)` (the inverse of `sliced`). JVP: `ẏ = pad(ẋ)`.
  public func padded(along axis: Int, before: Int, after: Int) throws -> Tensor {
    let a = try Shape.normalize(axis: axis, rank: rank, op: "pad")
    guard before >= 0, after >= 0 else {
      throw TensorError.invalidArgument(op: "pad", message: "negative padding \(before), \(after)")
    }
    var outShape = shape; outShape[a] += before + after
    let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
    var values = [Scalar](repeating: 0, count: outShape.reduce(1, *))
    for o in 0..<outer {
      let src = o * shape[a] * inner, dst = (o * outShape[a] + before) * inner
      for i in 0..<(shape[a] * inner) { values[dst + i] = scalars[src + i] }
    }
    let n = shape[a]
    return Tensor.record("pad", shape: outShape, scalars: values, inputs: [self], formula: "slice(g)",
      pullback: { g, c in [must { try g.sliced(along: a + c.batchRank, before..<(before + n)) }] },
      pushforward: { t, _ in must { try t[0]!.padded(along: a, before: before, after: after) } })
  }
}
