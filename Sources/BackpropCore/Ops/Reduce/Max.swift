/// The largest element along `axes` (sorted, normalised); NaN wins, as in PyTorch.
///
/// VJP: `∂L/∂x = g ⊙ 1[x = y] / #ties` — the gradient goes to the maximal elements, shared
/// evenly between ties (as PyTorch's `amax`). JVP: `ẏ = Σ ẋ ⊙ 1[x = y] / #ties`.
struct Max: Op {
  var name: String { "max" }
  let axes: [Int]
  let keepingDims: Bool
  var parameters: [(name: String, value: String)] { [("axes", "\(axes)"), ("keepingDims", "\(keepingDims)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0]
    require(axes.allSatisfy { x.shape[$0] > 0 }, "max", "cannot take the max of an empty axis in shape \(x.shape)")
    return (x.reducedShape(axes: axes, keepingDims: keepingDims), x.reduceKernel(.max, axes: axes).values)
  }
  /// `1[x = y] / #ties`, with y reshaped to keep the reduced axes.
  private func weights<S>(_ x: Tensor<S>, _ y: Tensor<S>) -> Tensor<S> {
    let kept = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    let mask = x.equal(y.reshaped(to: kept))
    return mask / mask.sum(alongAxes: axes, keepingDims: true)
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let kept = c.inputs[0].shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    return [g.reshaped(to: c.batched(kept)) * weights(c.inputs[0], c.output)]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    (t[0]! * weights(c.inputs[0], c.output)).sum(alongAxes: axes, keepingDims: keepingDims)
  }
  func forwardFormula(_ n: [String]) -> String { "max \(n[0])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    c.times("1[\(c.inputNames[0]) = max] / #ties")
  }
}

extension Tensor {
  /// The largest element overall or along `axes`. VJP: `g ⊙ 1[x = y] / #ties`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func max(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    .apply(Max(axes: reductionAxes(axes, op: "max"), keepingDims: keepingDims), to: [self])
  }

  /// The largest element along one axis.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func max(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor { max(alongAxes: [axis], keepingDims: keepingDims) }

  /// The smallest element overall or along `axes`: `−max(−x)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func min(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    _ = reductionAxes(axes, op: "min")  // so that a bad axis is reported as min's, not max's
    return -(-self).max(alongAxes: axes, keepingDims: keepingDims)
  }

  /// The smallest element along one axis.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func min(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor { min(alongAxes: [axis], keepingDims: keepingDims) }

  /// Indices of the largest element along `axis` (first one on ties), in row-major order of the
  /// remaining dimensions. Not differentiable. For logits `[batch, classes]`, `argmax(alongAxis: 1)`
  /// gives the predicted class of each row.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func argmax(alongAxis axis: Int = -1) -> [Int] {
    let a = Shape.normalize(axis: axis, rank: rank, op: "argmax")
    let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
    require(n > 0, "argmax", "axis \(axis) is empty in shape \(shape)")
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
