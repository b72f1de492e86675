import BackpropCore
import Testing

@Suite struct DescriptionTests {
  @Test func valuesPrintAsNestedBrackets() {
    #expect(Tensor<Double>(2.5).valuesDescription == "2.5")
    #expect(Tensor<Double>([1, 2]).valuesDescription == "[1.0, 2.0]")
    #expect(Tensor<Float>([[1, 2], [3, 4]]).valuesDescription == "[[1.0, 2.0],\n [3.0, 4.0]]")
    #expect(Tensor<Double>(shape: [2, 0], scalars: []).valuesDescription == "[[],\n []]")
  }

  @Test func summarisesLargeTensors() {
    let big = Tensor<Double>((0..<2000).map(Double.init))
    #expect(big.valuesDescription == "[0.0, 1.0, 2.0, …, 1997.0, 1998.0, 1999.0]")
  }

  /// `print(tensor)` shows what PyTorch shows: the element type, the shape and the op that made
  /// it (its grad_fn), with the op's parameters.
  @Test func descriptionShowsTypeShapeAndOp() {
    #expect(Tensor<Double>([1, 2]).description == "Tensor<Double>(shape: [2]) [1.0, 2.0]")
    let w = Tensor<Float>([[1, 2]], requiresGrad: true)
    #expect(w.description == "Tensor<Float>(shape: [1, 2], requiresGrad) [[1.0, 2.0]]")
    #expect(w.pow(3).description == "Tensor<Float>(shape: [1, 2], op: pow(exponent: 3)) [[1.0, 8.0]]")
    #expect(Tensor.matmul(w, w, transposeB: true).description == "Tensor<Float>(shape: [1, 1], op: matmul(transposeB: true)) [[5.0]]")
  }

  @Test func oneElementTensorsConvertToNumbers() {
    #expect(Float(Tensor<Double>(2.5)) == 2.5 && Double(Tensor<Float>([[4]])) == 4)
  }
}
