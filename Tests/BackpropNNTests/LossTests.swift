import BackpropNN
import Testing
import _BackpropTestSupport

/// Losses against PyTorch's values and gradients (float64 fixtures), stability, and gradchecks.
@Suite struct LossTests {
  struct Losses: Decodable {
    struct CE: Decodable { var logits: [Double]; var shape: [Int]; var labels: [Int]; var loss: Double; var grad: [Double]? }
    struct BCE: Decodable { var logits, targets: [Double]; var shape: [Int]; var loss: Double; var grad: [Double] }
    struct MSE: Decodable { var predicted, target: [Double]; var loss: Double; var grad: [Double] }
    var cross_entropy: CE
    var cross_entropy_extreme: CE
    var bce: BCE
    var mse: MSE
  }

  let fixture: Losses
  init() throws { fixture = try loadFixture("losses.json") }

  @Test func crossEntropyMatchesPyTorch() throws {
    let f = fixture.cross_entropy
    let logits = Tensor<Double>(shape: f.shape, scalars: f.logits, requiresGrad: true)
    let loss = softmaxCrossEntropy(logits: logits, labels: f.labels)
    expectClose(loss.item, f.loss, .pytorchFixture)
    loss.backward()
    expectClose(logits.grad!.scalars, f.grad!, .pytorchFixture)
  }

  @Test func crossEntropyIsStableForHugeLogits() throws {
    let f = fixture.cross_entropy_extreme
    let loss = softmaxCrossEntropy(logits: Tensor<Float>(shape: f.shape, scalars: f.logits.map(Float.init)), labels: f.labels)
    #expect(loss.item.isFinite)
    expectClose(Double(loss.item), f.loss, .floatReference)
  }

  @Test func crossEntropyGradientChecks() throws {
    var g = SeededGenerator(seed: 11)
    let logits = Tensor<Double>.randomNormal([4, 3], using: &g)
    let first = checkGradients(of: { xs in softmaxCrossEntropy(logits: xs[0], labels: [0, 2, 1, 2]) }, at: [logits])
    #expect(first.passed, "\(first)")
    let sum = checkGradients(of: { xs in softmaxCrossEntropy(logits: xs[0], labels: [0, 2, 1, 2], reduction: .sum) }, at: [logits])
    #expect(sum.passed, "\(sum)")
    let second = checkSecondOrderGradients(of: { xs in softmaxCrossEntropy(logits: xs[0], labels: [1, 1, 0, 2]) }, at: [logits])
    #expect(second.passed, "\(second)")
  }

  @Test func crossEntropyStopsOnBadLabels() async throws {
    let outOfRange = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = softmaxCrossEntropy(logits: Tensor<Float>.zeros([2, 3]), labels: [0, 3])
    }
    let text = String(decoding: try #require(outOfRange).standardErrorContent, as: UTF8.self)
    #expect(text.contains("softmaxCrossEntropy: label 3 is outside 0..<3"), "\(text)")
    await #expect(processExitsWith: .failure) {
      _ = softmaxCrossEntropy(logits: Tensor<Float>.zeros([2, 3]), labels: [0])
    }
  }

  @Test func binaryCrossEntropyMatchesPyTorch() throws {
    let f = fixture.bce
    let x = Tensor<Double>(shape: f.shape, scalars: f.logits, requiresGrad: true)
    let loss = binaryCrossEntropy(logits: x, targets: Tensor(shape: f.shape, scalars: f.targets))
    expectClose(loss.item, f.loss, .pytorchFixture)
    loss.backward()
    expectClose(x.grad!.scalars, f.grad, .pytorchFixture)
    let extreme = binaryCrossEntropy(logits: Tensor<Float>([1000, -1000]), targets: Tensor<Float>([0, 1]))
    #expect(extreme.item == 1000)
  }

  @Test func binaryCrossEntropyGradientChecks() throws {
    var g = SeededGenerator(seed: 12)
    let x = Tensor<Double>.randomNormal([2, 3], standardDeviation: 3, using: &g)
    let t = Tensor<Double>.randomUniform([2, 3], using: &g)
    let result = checkGradients(of: { xs in binaryCrossEntropy(logits: xs[0], targets: xs[1]) }, at: [x, t])
    #expect(result.passed, "\(result)")
    let second = checkSecondOrderGradients(of: { xs in binaryCrossEntropy(logits: xs[0], targets: t) }, at: [x])
    #expect(second.passed, "\(second)")
  }

  @Test func meanSquaredErrorMatchesPyTorch() throws {
    let f = fixture.mse
    let p = Tensor<Double>(f.predicted, requiresGrad: true)
    let loss = meanSquaredError(predicted: p, target: Tensor(f.target))
    expectClose(loss.item, f.loss, .pytorchFixture)
    loss.backward()
    expectClose(p.grad!.scalars, f.grad, .pytorchFixture)
    let result = checkGradients(of: { xs in meanSquaredError(predicted: xs[0], target: xs[1]) }, at: [p.detached(), Tensor(f.target)])
    #expect(result.passed, "\(result)")
  }

  @Test func lossJVPsAgreeWithVJPs() throws {
    var g = SeededGenerator(seed: 13)
    let x = Tensor<Double>.randomNormal([3, 4], using: &g)
    let v = Tensor<Double>.randomNormal([3, 4], using: &g)
    let f: (Tensor<Double>) throws -> Tensor<Double> = { softmaxCrossEntropy(logits: $0, labels: [1, 3, 0]) }
    let forward = try jvp(of: f, at: x, tangent: v).jvp.item
    let reverse = try gradient(of: f, at: x)
    expectClose(forward, zip(reverse.scalars, v.scalars).reduce(0) { $0 + $1.0 * $1.1 }, .sameMathsDifferentOrder)
  }
}
