extension Tensor {
  /// Normalised, sorted, de-duplicated axes; all axes when `axes` is nil.
  func reductionAxes(_ axes: [Int]?, op: String) -> [Int] {
    guard let axes else { return Array(0..<rank) }
    return Set(axes.map { Shape.normalize(axis: $0, rank: rank, op: op) }).sorted()
  }

  /// Runs a reduction kernel over `axes`, returning the kept-dims shape and the values.
  func reduceKernel(_ kind: ReduceKernel, axes: [Int]) -> (keptShape: [Int], values: [Scalar]) {
    var currentShape = shape
    var values = scalars
    // Runs of adjacent axes are one reduction over their contiguous block (axes 2 and 3 of an
    // NCHW tensor: one pass over each plane instead of two).
    var runs: [ClosedRange<Int>] = []
    for axis in axes.sorted(by: >) {
      if let last = runs.last, last.lowerBound == axis + 1 { runs[runs.count - 1] = axis...last.upperBound }
      else { runs.append(axis...axis) }
    }
    for run in runs {
      let outer = currentShape[..<run.lowerBound].reduce(1, *)
      let n = currentShape[run].reduce(1, *)
      let inner = currentShape[(run.upperBound + 1)...].reduce(1, *)
      let source = values
      values = [Scalar](unsafeUninitializedCapacity: outer * inner) { buffer, initialized in
        source.withUnsafeBufferPointer { x in Scalar.reduceKernel(kind, x, outer: outer, count: n, inner: inner, buffer) }
        initialized = outer * inner
      }
      for axis in run { currentShape[axis] = 1 }
    }
    return (currentShape, values)
  }

  /// The shape after reducing `axes`, with or without the reduced dimensions.
  func reducedShape(axes: [Int], keepingDims: Bool) -> [Int] {
    keepingDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
      : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
  }
}
