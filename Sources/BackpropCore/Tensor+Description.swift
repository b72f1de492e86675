extension Tensor: CustomStringConvertible {
  /// The values as nested brackets, row-major, like NumPy and PyTorch print them; tensors with
  /// more than 1,000 elements show the first and last three entries of each dimension.
  ///
  ///     Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4])   →   [[1.0, 2.0], [3.0, 4.0]]
  public var description: String {
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
