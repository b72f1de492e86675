import BackpropIO
import BackpropNN
import BackpropOptim
import Foundation
import Testing

/// The NN and optimizer habits of a PyTorch user: layers without `using:`, a variadic
/// `Sequential`, an optimizer that drives its schedule, `meanSquaredError(ŷ, y)`, and save/load
/// by `String` path or `URL`.
@Suite(.serialized) struct PyTorchHabitsTests {
  @Test func programTrainsSavesAndLoads() throws {
    // The whole program runs verbatim in Tests/ReadmeProgramTests; here the optimizer's own
    // bookkeeping and the save/load variants are checked on a smaller network.
    Random.seed(1)
    let x = Tensor<Float>.randomNormal([64, 3])
    let y = x.matmul(Tensor([[1.5], [-2.0], [0.5]])) + 0.3
    let model = Sequential<Float>(Linear(3, 8), ReLU(), Linear(8, 1))
    let optimizer = Adam(model.parameters, learningRate: 0.02, schedule: CosineDecay(totalSteps: 60))
    let first = meanSquaredError(model(x), y).item
    for _ in 0..<60 {
      optimizer.zeroGrad()
      meanSquaredError(model(x), y).backward()
      optimizer.step()
    }
    #expect(meanSquaredError(model(x), y).item < first / 10)
    #expect(optimizer.stepCount == 60)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("habits-\(UUID().uuidString).safetensors").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try model.save(to: path)
    let loaded = try Sequential<Float>(contentsOf: path)
    let firstRows = x.sliced(alongAxis: 0, 0..<4)
    #expect(loaded(firstRows).scalars == model(firstRows).scalars)
    let byURL = try Sequential<Float>(contentsOf: URL(fileURLWithPath: path))
    #expect(byURL.namedParameters.map(\.1.scalars) == model.namedParameters.map(\.1.scalars))
    try ModelFile.save(loaded, to: path, metadata: ["note": "by path"])
    let (again, file): (Sequential<Float>, SafeTensorsFile) = try ModelFile.load(contentsOf: path)
    #expect(file.metadata["note"] == "by path" && again.namedParameters.map(\.1.scalars) == model.namedParameters.map(\.1.scalars))
  }

  /// `Linear(3, 4)` draws from the global generator: the same numbers as `using:` a generator
  /// seeded alike, and reseeding repeats them.
  @Test func layersWithoutAGeneratorDrawFromTheGlobalOne() {
    Random.seed(42)
    let a = Linear<Float>(3, 4)
    var g = SeededGenerator(seed: 42)
    let b = Linear<Float>(3, 4, using: &g)
    #expect(a.weight.scalars == b.weight.scalars && a.bias!.scalars == b.bias!.scalars)
    #expect(Random.state == g, "the global generator advanced exactly as the explicit one")
    let c = Linear<Float>(3, 4)
    #expect(c.weight.scalars != a.weight.scalars, "the next layer continues the stream")
    Random.seed(42)
    #expect(Linear<Float>(3, 4).weight.scalars == a.weight.scalars)
  }

  /// The variadic `Sequential` is the array one.
  @Test func variadicSequentialListsItsLayers() {
    let model = Sequential<Double>(Linear(2, 3), Tanh(), Dropout(probability: 0.1), Linear(3, 1))
    #expect(model.layers.count == 4)
    #expect(model.namedParameters.map(\.0) == ["0.weight", "0.bias", "3.weight", "3.bias"])
  }

  /// `meanSquaredError(ŷ, y)` is the labelled loss.
  @Test func unlabeledMeanSquaredErrorIsTheLabelledOne() throws {
    let p = Tensor<Double>([1, 2, 4]), t = Tensor<Double>([1, 0, 1])
    let expected: Double = 13.0 / 3
    #expect(meanSquaredError(p, t).item == expected)
    #expect(meanSquaredError(p, t, reduction: .sum).item == 13)
    #expect(meanSquaredError(predicted: p, target: t).item == meanSquaredError(p, t).item)
  }
}
