import BackpropCore
import Testing

@Suite struct DescriptionTests {
  @Test func printsNestedBrackets() throws {
    #expect(Tensor<Double>(2.5).description == "2.5")
    #expect(Tensor<Double>([1, 2]).description == "[1.0, 2.0]")
    #expect(try Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3, 4]).description == "[[1.0, 2.0],\n [3.0, 4.0]]")
    #expect(try Tensor<Double>(shape: [2, 0], scalars: []).description == "[[],\n []]")
  }

  @Test func summarisesLargeTensors() {
    let big = Tensor<Double>((0..<2000).map(Double.init))
    #expect(big.description == "[0.0, 1.0, 2.0, …, 1997.0, 1998.0, 1999.0]")
  }
}
