/// Tensors joined along `axis`; all other dimensions agree.
///
/// VJP: input `k` gets the slice of `g` where it was placed. JVP: the tangents concatenated.
struct Concatenate: Op {
  var name: String { "concatenate" }
  let axis: Int
  var parameters: [(name: String, value: String)] { [("axis", "\(axis)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let first = inputs[0], a = axis
    for t in inputs where t.rank != first.rank || t.shape.enumerated().contains(where: { $0.offset != a && $0.element != first.shape[$0.offset] }) {
      opFailure("concatenate", "shapes \(first.shape) and \(t.shape) differ outside axis \(a)")
    }
    var outShape = first.shape
    outShape[a] = inputs.reduce(0) { $0 + $1.shape[a] }
    let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
    var values: [S] = []
    values.reserveCapacity(outShape.reduce(1, *))
    for o in 0..<outer {
      for t in inputs {
        let block = t.shape[a] * inner
        values.append(contentsOf: t.scalars[(o * block)..<((o + 1) * block)])
      }
    }
    return (outShape, values)
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    var start = 0
    return c.inputs.indices.map { k in
      let size = c.inputs[k].shape[axis]
      defer { start += size }
      return c.needsGradient(k) ? g.sliced(alongAxis: axis + c.batchRank, start..<(start + size)) : nil
    }
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    Tensor.concatenated(zip(t, c.inputs).map { $0.0 ?? Tensor.zeros($0.1.shape) }, alongAxis: axis)
  }
  func forwardFormula(_ n: [String]) -> String { "concatenate(\(n.joined(separator: ", ")))" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("slice \(k) of δ", .rearrange, .selection)
  }
}

extension Tensor {
  /// Joins tensors along `axis`; all other dimensions must agree. VJP: slices of `g`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func concatenated(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
    require(!tensors.isEmpty, "concatenated", "needs at least one tensor")
    return apply(Concatenate(axis: Shape.normalize(axis: axis, rank: tensors[0].rank, op: "concatenated")), to: tensors)
  }

  /// This tensor followed by `others` along `axis`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func concatenated(with others: Tensor..., alongAxis axis: Int = 0) -> Tensor {
    Tensor.concatenated([self] + others, alongAxis: axis)
  }
}
