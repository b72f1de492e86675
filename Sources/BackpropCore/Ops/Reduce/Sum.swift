/// The sum over `axes` (sorted, normalised), keeping them as size-1 dimensions if asked.
///
/// VJP: `∂L/∂x = broadcast(g, x.shape)` (every element contributed with weight 1).
/// JVP: `ẏ = sum(ẋ)` over the same axes.
struct Sum: Op {
  var name: String { "sum" }
  let axes: [Int]
  let keepingDims: Bool
  var parameters: [(name: String, value: String)] { [("axes", "\(axes)"), ("keepingDims", "\(keepingDims)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0]
    return (x.reducedShape(axes: axes, keepingDims: keepingDims), x.reduceKernel(.sum, axes: axes).values)
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let x = c.inputs[0].shape
    let kept = x.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    return [g.reshaped(to: c.batched(kept)).broadcast(to: c.batched(x))]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    t[0]!.sum(alongAxes: axes, keepingDims: keepingDims)
  }
  func forwardFormula(_ n: [String]) -> String { "Σ \(n[0])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("broadcast δ to \(formatShape(c.inputShapes[k]))", .broadcast, c.scalarOutput ? .row : .reduction)
  }
}

/// A broadcast result summed back to `target`, the shape of an operand before broadcasting: the
/// one place where broadcasting is undone in the backward pass (PyTorch's `sum_to`).
///
/// VJP: `broadcast(g, x.shape)`. JVP: `sumToShape(ẋ)`.
struct SumToShape: Op {
  var name: String { "sumToShape" }
  let target: [Int]
  var parameters: [(name: String, value: String)] { [("shape", "\(target)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0]
    require(broadcastShapes(target, x.shape) == x.shape, "sum(toShape:)",
            "the target \(target) does not broadcast to the shape \(x.shape)")
    let lead = x.rank - target.count
    var axes = Array(0..<lead)
    for (i, d) in target.enumerated() where d == 1 && x.shape[lead + i] != 1 { axes.append(lead + i) }
    return (target, x.reduceKernel(.sum, axes: axes).values)
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    // With batched cotangents, align the target's dimensions to the input's before broadcasting.
    let x = c.inputs[0].shape
    let aligned = c.batchRank == 0 ? g : g.reshaped(to: c.batched([Int](repeating: 1, count: x.count - target.count) + target))
    return [aligned.broadcast(to: c.batched(x))]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]!.sum(toShape: target) }
  func forwardFormula(_ n: [String]) -> String { "sum \(n[0]) to \(formatShape(target))" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("broadcast δ to \(formatShape(c.inputShapes[k]))", .broadcast, c.scalarOutput ? .row : .reduction)
  }
}

/// A shape as people write it: `[128×256]`, `[5]`, or `scalar` for rank 0.
public func formatShape(_ shape: [Int]) -> String {
  shape.isEmpty ? "scalar" : "[" + shape.map(String.init).joined(separator: "×") + "]"
}

extension Tensor {
  /// The sum of all elements (a scalar), or along `axes`, keeping them as size-1 dimensions if
  /// asked (negative axes count from the end). VJP: `broadcast(g)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sum(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    .apply(Sum(axes: reductionAxes(axes, op: "sum"), keepingDims: keepingDims), to: [self])
  }

  /// The sum along one axis (PyTorch's `x.sum(dim)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sum(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor { sum(alongAxes: [axis], keepingDims: keepingDims) }

  /// Sums a broadcast result back to `target` (the shape of an operand before broadcasting).
  /// Returns `self` when the shapes agree. VJP: `broadcast(g, x.shape)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sum(toShape target: [Int]) -> Tensor {
    shape == target ? self : .apply(SumToShape(target: target), to: [self])
  }

  /// The arithmetic mean of all elements or along `axes` (sum divided by the count).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func mean(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    let axes = reductionAxes(axes, op: "mean")
    let n = axes.reduce(1) { $0 * shape[$1] }
    return sum(alongAxes: axes, keepingDims: keepingDims) / Scalar(n)
  }

  /// The mean along one axis (PyTorch's `x.mean(dim)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func mean(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor { mean(alongAxes: [axis], keepingDims: keepingDims) }
}
