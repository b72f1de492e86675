extension Tensor {
  /// The largest element overall or along `axes`.
  ///
  /// VJP: `∂L/∂x = g ⊙ 1[x = y] / #ties` — the gradient goes to the maximal elements, shared
  /// evenly between ties (as PyTorch's `amax`). JVP: `ẏ = Σ ẋ ⊙ 1[x = y] / #ties`.
  public func max(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) throws -> Tensor {
    let axes = try reductionAxes(axes, op: "max")
    guard axes.allSatisfy({ shape[$0] > 0 }) else {
      throw TensorError.invalidArgument(op: "max", message: "cannot take the max of an empty axis in shape \(shape)")
    }
    let (kept, values) = reduceKernel(.max, axes: axes)
    let outShape = reducedShape(axes: axes, keepingDims: keepingDims)
    func weights(_ x: Tensor, _ y: Tensor) throws -> Tensor {
      let mask = try x.equal(y.reshaped(to: kept))
      return try mask / mask.sum(alongAxes: axes, keepingDims: true)
    }
    return Tensor.record("max", shape: outShape, scalars: values, inputs: [self], formula: "g ⊙ 1[x = max] / #ties",
      pullback: { g, c in [must { try g.reshaped(to: c.batched(kept)) * weights(c.inputs[0], c.output) }] },
      pushforward: { t, c in
        must { try (t[0]! * weights(c.inputs[0], c.output)).sum(alongAxes: axes, keepingDims: keepingDims) }
      })
  }

  /// The smallest element overall or along `axes`: `−max(−x)`.
  public func min(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) throws -> Tensor {
    _ = try reductionAxes(axes, op: "min")  // so that a bad axis is reported as min's, not max's
    return -(try (-self).max(alongAxes: axes, keepingDims: keepingDims))
  }

  /// Indices of the largest element along `axis` (first one on ties), in row-major order of the
  /// remaining dimensions. Not differentiable. For logits `[batch, classes]`, `argmax(axis: 1)`
  /// gives the predicted class of each row.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func argmax(axis: Int = -1) throws -> [Int] {
    let a = try Shape.normalize(axis: axis, rank: rank, op: "argmax")
    let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
    guard n > 0 else { throw TensorError.invalidArgument(op: "argmax", message: "axis \(axis) is empty in shape \(shape)") }
    var result = [Int](repeating: 0, count: outer * inner)
    scalars.withUnsafeBufferPointer { x in
      for o in 0..<outer {
        for i in 0..<inner {
          var best = 0
          var bestValue = x[o * n * inner + i]
          for k in 1..<n {
            let v = x[(o * n + k) * inner + i]
            if v > bestValue { best = k; bestValue = v }
          }
          result[o * inner + i] = best
        }
      }
    }
    return result
  }
}
