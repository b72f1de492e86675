/// Elements `range` along `axis` (other axes whole), e.g. rows 10..<20 of a matrix.
///
/// VJP: `∂L/∂x = pad(g)` with zeros back to x's size along `axis`. JVP: `ẏ = slice(ẋ)`.
struct Slice: Op {
  var name: String { "slice" }
  let axis: Int
  let range: Range<Int>
  var parameters: [(name: String, value: String)] { [("axis", "\(axis)"), ("range", "\(range)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0], a = axis
    require(range.lowerBound >= 0 && range.upperBound <= x.shape[a], "slice",
            "range \(range) is out of bounds for axis \(a) of size \(x.shape[a]) (shape \(x.shape))")
    var outShape = x.shape; outShape[a] = range.count
    let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
    var values: [S] = []
    values.reserveCapacity(outShape.reduce(1, *))
    for o in 0..<outer {
      let start = (o * x.shape[a] + range.lowerBound) * inner
      values.append(contentsOf: x.scalars[start..<(start + range.count * inner)])
    }
    return (outShape, values)
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let size = c.inputs[0].shape[axis]
    return [g.padded(alongAxis: axis + c.batchRank, before: range.lowerBound, after: size - range.upperBound)]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]!.sliced(alongAxis: axis, range) }
  func forwardFormula(_ n: [String]) -> String { "\(n[0])[\(range) along axis \(axis)]" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("δ padded with zeros", .rearrange, .selection)
  }
}

/// `before` and `after` zeros added along `axis`.
///
/// VJP: `∂L/∂x = slice(g)` (the inverse of `sliced`). JVP: `ẏ = pad(ẋ)`.
struct Pad: Op {
  var name: String { "pad" }
  let axis: Int
  let before: Int
  let after: Int
  var parameters: [(name: String, value: String)] { [("axis", "\(axis)"), ("before", "\(before)"), ("after", "\(after)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0], a = axis
    require(before >= 0 && after >= 0, "pad", "negative padding \(before), \(after)")
    var outShape = x.shape; outShape[a] += before + after
    let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
    var values = [S](repeating: 0, count: outShape.reduce(1, *))
    for o in 0..<outer {
      let src = o * x.shape[a] * inner, dst = (o * outShape[a] + before) * inner
      for i in 0..<(x.shape[a] * inner) { values[dst + i] = x.scalars[src + i] }
    }
    return (outShape, values)
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    [g.sliced(alongAxis: axis + c.batchRank, before..<(before + c.inputs[0].shape[axis]))]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { t[0]!.padded(alongAxis: axis, before: before, after: after) }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("δ sliced back", .rearrange, .selection)
  }
}

extension Tensor {
  /// Elements `range` along `axis` (other axes whole), e.g. rows 10..<20 of a matrix.
  /// VJP: `pad(g)` with zeros. See also the subscripts, `x[10..<20]`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sliced(alongAxis axis: Int = 0, _ range: Range<Int>) -> Tensor {
    .apply(Slice(axis: Shape.normalize(axis: axis, rank: rank, op: "slice"), range: range), to: [self])
  }

  /// Adds `before` and `after` zeros along `axis`. VJP: `slice(g)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func padded(alongAxis axis: Int, before: Int, after: Int) -> Tensor {
    .apply(Pad(axis: Shape.normalize(axis: axis, rank: rank, op: "pad"), before: before, after: after), to: [self])
  }
}
