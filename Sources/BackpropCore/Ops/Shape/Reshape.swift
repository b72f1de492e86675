/// The same elements viewed with a new shape.
///
/// VJP: `∂L/∂x = reshape(g, x.shape)`. JVP: `ẏ = reshape(ẋ)`.
struct Reshape: Op {
  var name: String { "reshape" }
  let target: [Int]
  var parameters: [(name: String, value: String)] { [("shape", "\(target)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) { (target, inputs[0].scalars) }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] { [g.reshaped(to: c.batched(c.inputs[0].shape))] }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]!.reshaped(to: target) }
  func forwardFormula(_ n: [String]) -> String { "reshape \(n[0]) to \(formatShape(target))" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("reshape δ to \(formatShape(c.inputShapes[k]))", .rearrange, .permutation)
  }
}

extension Tensor {
  /// The same elements viewed with a new shape; one dimension may be `-1` (inferred).
  /// VJP: `reshape(g, x.shape)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func reshaped(to newShape: [Int]) -> Tensor {
    var target = newShape
    if let inferred = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
      require(known > 0 && count % known == 0 && newShape.filter({ $0 == -1 }).count == 1, "reshape",
              "cannot infer the -1 dimension of \(newShape) for shape \(shape)")
      target[inferred] = count / known
    }
    require(target.allSatisfy({ $0 >= 0 }) && target.reduce(1, *) == count, "reshape",
            "\(count) elements of shape \(shape) cannot take the shape \(newShape)")
    return target == shape ? self : .apply(Reshape(target: target), to: [self])
  }

  /// A rank-1 view of all elements.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func flattened() -> Tensor { reshaped(to: [count]) }

  /// Inserts a size-1 dimension at `axis` (PyTorch's `unsqueeze`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func expandingShape(at axis: Int) -> Tensor {
    let a = axis < 0 ? axis + rank + 1 : axis
    require(a >= 0 && a <= rank, "expandingShape", "axis \(axis) is out of range for rank \(rank)")
    var s = shape; s.insert(1, at: a)
    return reshaped(to: s)
  }

  /// Removes size-1 dimensions (all, or those in `axes`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func squeezingShape(at axes: [Int]? = nil) -> Tensor {
    let drop = axes.map { $0.map { Shape.normalize(axis: $0, rank: rank, op: "squeezingShape") } }
    var s: [Int] = []
    for (i, d) in shape.enumerated() {
      if let drop, !drop.contains(i) { s.append(d); continue }
      if d != 1 { s.append(d) }
    }
    return reshaped(to: s)
  }
}
