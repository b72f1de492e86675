extension Tensor: CustomStringConvertible {
  /// The element type, shape and the op that made it (PyTorch's `grad_fn`), then the values:
  ///
  ///     Tensor<Float>(shape: [1, 1], op: linear) [[0.41827]]
  ///     Tensor<Double>(shape: [2], requiresGrad) [151.0, -50.0]
  public var description: String {
    var header = "Tensor<\(Scalar.self)>(shape: \(shape)"
    if let op { header += ", op: \(op.description)" } else if requiresGrad { header += ", requiresGrad" }
    return header + ") " + valuesDescription
  }

  /// The values as nested brackets, row-major, as NumPy and PyTorch print them; tensors with
  /// more than 1,000 elements show the first and last three entries of each dimension.
  ///
  ///     Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4]).valuesDescription  →  [[1.0, 2.0], [3.0, 4.0]]
  public var valuesDescription: String {
    let summarise = count > 1000
    var text = ""
    func emit(_ dimension: Int, _ offset: Int) {
      if dimension == rank { text += "\(scalars[offset])"; return }
      let size = shape[dimension]
      let stride = shape[(dimension + 1)...].reduce(1, *)
      text += "["
      var first = true
      for i in 0..<size {
        if summarise && size > 6 && i == 3 { text += ", …"; continue }
        if summarise && size > 6 && i > 3 && i < size - 3 { continue }
        if !first { text += dimension == rank - 1 ? ", " : ",\n" + String(repeating: " ", count: dimension + 1) }
        first = false
        emit(dimension + 1, offset + i * stride)
      }
      text += "]"
    }
    emit(0, 0)
    return text
  }
}

extension Float {
  /// The single element of a one-element tensor (`Float(loss)`), converted if need be.
  public init<S: TensorScalar>(_ tensor: Tensor<S>) { self.init(Double(tensor.item)) }
}

extension Double {
  /// The single element of a one-element tensor (`Double(loss)`).
  public init<S: TensorScalar>(_ tensor: Tensor<S>) { self.init(tensor.item) }
}
