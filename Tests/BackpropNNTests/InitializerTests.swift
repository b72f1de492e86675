import BackpropNN
import Testing

/// Initializers: the same seed gives the same weights; the spread matches each formula.
@Suite struct InitializerTests {
  @Test func sameSeedSameWeights() throws {
    let a = try Sequential<Float>.mlp([64, 32, 10], seed: 42)
    let b = try Sequential<Float>.mlp([64, 32, 10], seed: 42)
    let c = try Sequential<Float>.mlp([64, 32, 10], seed: 43)
    #expect(a.parameters.map(\.scalars) == b.parameters.map(\.scalars))
    #expect(a.parameters[0].scalars != c.parameters[0].scalars)
  }

  /// The empirical standard deviation of 400×500 draws is within 2% of the formula's.
  static let cases: [(Initializer, Double)] = {
    let pytorch: Double = 1 / (3.0 * 500).squareRoot()
    let xavier: Double = (2.0 / 900).squareRoot()
    let kaiming: Double = (2.0 / 500).squareRoot()
    return [(.pytorchLinearDefault, pytorch), (.xavierUniform(), xavier), (.xavierNormal(), xavier),
            (.kaimingUniform(), kaiming), (.kaimingNormal(), kaiming), (.normal(mean: 0, standardDeviation: 0.3), 0.3)]
  }()

  @Test(arguments: 0..<cases.count)
  func spreadMatchesFormula(index: Int) {
    let (initializer, expectedStd) = Self.cases[index]
    var g = SeededGenerator(seed: 5)
    let t: Tensor<Double> = initializer.makeTensor([400, 500], fanIn: 500, fanOut: 400, using: &g)
    let mean = t.scalars.reduce(0, +) / Double(t.count)
    let std = (t.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(t.count)).squareRoot()
    #expect(abs(mean) < 0.05 * expectedStd)
    #expect(abs(std / expectedStd - 1) < 0.02, "std \(std) vs \(expectedStd)")
  }

  @Test func pytorchDefaultBoundIsOneOverRootFanIn() {
    var g = SeededGenerator(seed: 6)
    let layer = Linear<Double>(100, 50, using: &g)
    let bound = 1 / 100.0.squareRoot()
    #expect(layer.weight.scalars.allSatisfy { abs($0) <= bound })
    #expect(layer.bias!.scalars.allSatisfy { abs($0) <= bound })
    #expect(layer.weight.scalars.map(abs).max()! > 0.95 * bound)
  }

  @Test func namesParse() {
    for name in Initializer.names { #expect(Initializer(name: name) != nil, "\(name)") }
    #expect(Initializer(name: "nonsense") == nil)
  }
}
