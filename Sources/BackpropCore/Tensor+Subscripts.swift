// Indexing as in NumPy and PyTorch: x[0], x[-1], x[0..<2, 1], x[.., 2]. Built from `sliced` and
// `reshaped`, so indexing is differentiable (the gradient is scattered back with zeros).

/// The marker type of `..`, "the whole axis" in a subscript: `x[.., 2]` is column 2 of a matrix
/// (NumPy's `x[:, 2]`).
public enum WholeAxis {}

/// `..` alone in a tensor subscript stands for a whole axis (NumPy's `:`).
postfix operator ..

/// `..` alone in a tensor subscript stands for a whole axis (NumPy's `:`); it is never called.
public postfix func .. (_: WholeAxis) {}

/// The type of `..` as a subscript argument.
public typealias WholeAxisMarker = (WholeAxis) -> Void

/// One position of a tensor subscript: an `Int` (picks one index and drops the axis; negative
/// counts from the end), or a range of `Int`s (keeps the axis), including partial ranges.
public protocol TensorIndexExpression {
  /// The indices selected along an axis of `size`, and whether the axis is dropped.
  func resolve(size: Int, axis: Int) -> (range: Range<Int>, dropsAxis: Bool)
}

/// `i`, or `i + size` for a negative `i` (how NumPy reads a negative index or range bound).
private func fromEnd(_ i: Int, _ size: Int) -> Int { i < 0 ? i + size : i }

extension Int: TensorIndexExpression {
  public func resolve(size: Int, axis: Int) -> (range: Range<Int>, dropsAxis: Bool) {
    let i = fromEnd(self, size)
    require(i >= 0 && i < size, "subscript", "index \(self) is out of range for axis \(axis) of size \(size)")
    return (i..<(i + 1), true)
  }
}

/// Checks and returns `lower..<upper` (bounds already counted from the end).
private func checkedRange(_ lower: Int, _ upper: Int, size: Int, axis: Int, _ written: Any) -> (range: Range<Int>, dropsAxis: Bool) {
  require(lower >= 0 && upper <= size && lower <= upper, "subscript",
          "range \(written) is out of bounds for axis \(axis) of size \(size)")
  return (lower..<upper, false)
}

extension Range: TensorIndexExpression where Bound == Int {
  public func resolve(size: Int, axis: Int) -> (range: Range<Int>, dropsAxis: Bool) {
    checkedRange(fromEnd(lowerBound, size), fromEnd(upperBound, size), size: size, axis: axis, self)
  }
}

extension ClosedRange: TensorIndexExpression where Bound == Int {
  public func resolve(size: Int, axis: Int) -> (range: Range<Int>, dropsAxis: Bool) {
    checkedRange(fromEnd(lowerBound, size), fromEnd(upperBound, size) + 1, size: size, axis: axis, self)
  }
}

extension PartialRangeFrom: TensorIndexExpression where Bound == Int {
  public func resolve(size: Int, axis: Int) -> (range: Range<Int>, dropsAxis: Bool) {
    checkedRange(fromEnd(lowerBound, size), size, size: size, axis: axis, self)
  }
}

extension PartialRangeUpTo: TensorIndexExpression where Bound == Int {
  public func resolve(size: Int, axis: Int) -> (range: Range<Int>, dropsAxis: Bool) {
    checkedRange(0, fromEnd(upperBound, size), size: size, axis: axis, self)
  }
}

extension PartialRangeThrough: TensorIndexExpression where Bound == Int {
  public func resolve(size: Int, axis: Int) -> (range: Range<Int>, dropsAxis: Bool) {
    checkedRange(0, fromEnd(upperBound, size) + 1, size: size, axis: axis, self)
  }
}

extension Tensor {
  /// The part of the tensor picked by one expression per leading axis (later axes whole):
  /// `x[0]` (row 0, rank − 1), `x[-1]` (the last row), `x[0..<2, 1]`, `x[2...]`.
  /// Differentiable: the gradient flows back into the picked elements.
  public subscript(_ indices: any TensorIndexExpression...) -> Tensor { indexed(indices.map { $0 }) }

  /// `x[.., 2]`: the whole first axis, then the given expressions.
  public subscript(_ all: WholeAxisMarker, _ rest: any TensorIndexExpression...) -> Tensor {
    indexed([nil] + rest.map { $0 })
  }

  /// `x[0, .., 2]`: `..` in the second position.
  public subscript(_ first: any TensorIndexExpression, _ all: WholeAxisMarker, _ rest: any TensorIndexExpression...) -> Tensor {
    indexed([first, nil] + rest.map { $0 })
  }

  /// `x[.., .., 2]`: whole first and second axes.
  public subscript(_ all: WholeAxisMarker, _ all2: WholeAxisMarker, _ rest: any TensorIndexExpression...) -> Tensor {
    indexed([nil, nil] + rest.map { $0 })
  }

  /// Applies one expression per leading axis (`nil` = the whole axis): one slice per narrowed
  /// axis, then one reshape that drops the axes picked by an integer.
  private func indexed(_ expressions: [(any TensorIndexExpression)?]) -> Tensor {
    require(expressions.count <= rank, "subscript", "\(expressions.count) indices for a tensor of rank \(rank) (shape \(shape))")
    var result = self
    var dropped: [Int] = []
    for (axis, expression) in expressions.enumerated() {
      guard let expression else { continue }
      let (range, drops) = expression.resolve(size: shape[axis], axis: axis)
      if range != 0..<shape[axis] { result = result.sliced(alongAxis: axis, range) }
      if drops { dropped.append(axis) }
    }
    if dropped.isEmpty { return result }
    return result.reshaped(to: result.shape.enumerated().filter { !dropped.contains($0.offset) }.map(\.element))
  }
}
