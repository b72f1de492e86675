extension Tensor {
  /// Joins tensors along `axis`; all other dimensions must agree.
  ///
  /// VJP: input `k` gets the slice of `g` where it was placed. JVP: the tangents concatenated.
  public static func concatenate(_ tensors: [Tensor], along axis: Int = 0) throws -> Tensor {
    guard let first = tensors.first else {
      throw TensorError.invalidArgument(op: "concatenate", message: "needs at least one tensor")
    }
    let a = try Shape.normalize(axis: axis, rank: first.rank, op: "concatenate")
    for t in tensors where t.rank != first.rank || t.shape.enumerated().contains(where: { $0.offset != a && $0.element != first.shape[$0.offset] }) {
      throw TensorError.shapeMismatch(op: "concatenate", lhs: first.shape, rhs: t.shape,
                                      reason: "all dimensions except axis \(a) must agree")
    }
    var outShape = first.shape
    outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
    let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
    var values: [Scalar] = []
    values.reserveCapacity(outShape.reduce(1, *))
    for o in 0..<outer {
      for t in tensors {
        let block = t.shape[a] * inner
        values.append(contentsOf: t.scalars[(o * block)..<((o + 1) * block)])
      }
    }
    var offsets: [Range<Int>] = []
    var start = 0
    for t in tensors { offsets.append(start..<(start + t.shape[a])); start += t.shape[a] }
    return record("concatenate", shape: outShape, scalars: values, inputs: tensors, formula: "slices of g",
      pullback: { g, c in offsets.indices.map { k in c.needsGradient(k) ? must { try g.sliced(along: a + c.batchRank, offsets[k]) } : nil } },
      pushforward: { t, c in
        must { try concatenate(zip(t, c.inputs).map { $0.0 ?? Tensor.zeros($0.1.shape) }, along: a) }
      })
  }
}
