import BackpropNN
import Testing
import _BackpropTestSupport

/// Shapes, parameter names, and gradient checks (in Double, against central differences) of
/// every layer.
@Suite struct LayerTests {
  @Test func linearShapesAndNames() throws {
    var g = SeededGenerator(seed: 1)
    let layer = Linear<Float>(4, 3, using: &g)
    #expect(layer.weight.shape == [3, 4])
    #expect(layer.bias?.shape == [3])
    #expect(layer.namedParameters.map(\.0) == ["weight", "bias"])
    #expect(layer(Tensor<Float>.zeros([5, 4])).shape == [5, 3])
    #expect(layer(Tensor<Float>.zeros([4])).shape == [3])
    #expect(layer(Tensor<Float>.zeros([2, 5, 4])).shape == [2, 5, 3])
  }

  /// Where outside data meets a model, `checkInput(shape:)` (and `summary`) throw instead.
  @Test func checkInputNamesTheLayerThatDoesNotFit() throws {
    let model = try Sequential<Float>.mlp([4, 8, 3], seed: 0)
    try model.checkInput(shape: [4])
    #expect(throws: TensorError.self) { try model.checkInput(shape: [5]) }
    #expect(throws: TensorError.self) { _ = try model.summary(inputShape: [5]) }
    let images = Sequential<Float>(Flatten(), Linear(6, 2))
    try images.checkInput(shape: [2, 3])
    #expect(throws: TensorError.self) { try images.checkInput(shape: [2, 4]) }
  }

  /// Calling a layer on input of the wrong width is a programmer error: it stops with a message
  /// naming the op and both shapes (data of the wrong width is rejected where it is loaded).
  @Test func linearOnTheWrongWidthStopsWithBothShapes() async throws {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      var g = SeededGenerator(seed: 1)
      _ = Linear<Float>(4, 3, using: &g)(Tensor<Float>.zeros([5, 3]))
    }
    let text = String(decoding: try #require(result).standardErrorContent, as: UTF8.self)
    #expect(text.contains("Linear(4 → 3):") && text.contains("[5, 3]") && text.contains("[3, 4]"), "\(text)")
    #expect(text.contains("called from"), "the caller is named: \(text)")
  }

  @Test func linearComputesXWTransposePlusB() throws {
    let w = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let layer = try Linear(weight: w, bias: Tensor<Double>([10, 20]))
    let y = layer(Tensor<Double>(shape: [1, 3], scalars: [1, 0, -1]))
    let expected: [Double] = [8, 18]
    #expect(y.scalars == expected)
  }

  @Test func sequentialNamesFollowPyTorch() throws {
    let model = try Sequential<Float>.mlp([4, 8, 8, 3], activation: .relu, dropout: 0.5, seed: 0)
    #expect(model.namedParameters.map(\.0) == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"])
    #expect(model.parameterCount == 4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3)
    #expect(LayerSpec.architectureString(model.architecture!) == "Linear(4,8),ReLU,Dropout(0.5),Linear(8,8),ReLU,Dropout(0.5),Linear(8,3)")
  }

  @Test func linearGradientCheck() throws {
    var g = SeededGenerator(seed: 2)
    let x = Tensor<Double>.randomNormal([5, 4], using: &g)
    let w = Tensor<Double>.randomNormal([3, 4], using: &g)
    let b = Tensor<Double>.randomNormal([3], using: &g)
    let result = try checkGradients(of: { xs in try Linear(weight: xs[1], bias: xs[2])(xs[0]) }, at: [x, w, b])
    #expect(result.passed, "\(result)")
    let noBias = checkGradients(of: { xs in Tensor.linear(xs[0], weight: xs[1], bias: nil) }, at: [x, w])
    #expect(noBias.passed, "\(noBias)")
  }

  @Test func linearSecondOrderGradients() throws {
    var g = SeededGenerator(seed: 3)
    let x = Tensor<Double>.randomNormal([3, 2], using: &g)
    let w = Tensor<Double>.randomNormal([2, 2], using: &g)
    let result = checkSecondOrderGradients(of: { xs in Tensor.linear(xs[0], weight: xs[1], bias: nil).tanh() }, at: [x, w])
    #expect(result.passed, "\(result)")
  }

  /// A whole `Sequential` in Double: every parameter's `.grad` from one backward pass against
  /// central differences of the loss, perturbing the parameter in place.
  @Test func sequentialParameterGradientsMatchFiniteDifferences() throws {
    let model = try Sequential<Double>(architecture: [
      .linear(inputSize: 3, outputSize: 5, bias: true), .tanh, .linear(inputSize: 5, outputSize: 4, bias: true), .gelu,
      .linear(inputSize: 4, outputSize: 3, bias: false),
    ], seed: 7)
    var g = SeededGenerator(seed: 8)
    let x = Tensor<Double>.randomNormal([6, 3], using: &g)
    let labels = [0, 2, 1, 1, 0, 2]
    func loss() throws -> Tensor<Double> { softmaxCrossEntropy(logits: model(x), labels: labels) }
    try loss().backward()
    let eps = 1e-6
    for (name, p) in model.namedParameters {
      let analytic = p.grad!.scalars
      var numeric = [Double](repeating: 0, count: p.count)
      for i in 0..<p.count {
        let saved = p.scalars[i]
        p.scalars[i] = saved + eps
        let plus = try withoutGradient { try loss().item }
        p.scalars[i] = saved - eps
        let minus = try withoutGradient { try loss().item }
        p.scalars[i] = saved
        numeric[i] = (plus - minus) / (2 * eps)
      }
      expectClose(analytic, numeric, .finiteDifference, name)
    }
  }

  static let activations: [(String, any Layer<Double>)] = [
    ("ReLU", ReLU()), ("LeakyReLU", LeakyReLU(slope: 0.1)), ("Sigmoid", Sigmoid()), ("Tanh", Tanh()),
    ("GELU", GELU()), ("Softmax", Softmax()), ("Flatten", Flatten()),
  ]

  @Test(arguments: 0..<activations.count)
  func activationGradientCheck(index: Int) throws {
    let (name, layer) = Self.activations[index]
    var g = SeededGenerator(seed: 4)
    // Values away from 0 so that ReLU's kink is never straddled by the finite difference.
    let raw = Tensor<Double>.randomUniform([3, 4], low: 0.1, high: 2, using: &g)
    let signs = Tensor<Double>.randomUniform([3, 4], low: 0, high: 1, using: &g)
    let x = Tensor<Double>(shape: [3, 4], scalars: zip(raw.scalars, signs.scalars).map { $1 < 0.5 ? -$0 : $0 })
    let result = checkGradients(of: { xs in layer(xs[0]) }, at: [x])
    #expect(result.passed, "\(name): \(result)")
    #expect(layer(x).shape == [3, 4], "\(name)")
  }

  @Test func activationsMatchPyTorch() throws {
    struct Values: Decodable { var x, relu, leaky_relu, sigmoid, tanh, gelu, softmax: [Double] }
    struct File: Decodable { var activations: Values }
    let v = try loadFixture("losses.json", as: File.self).activations
    let x = Tensor<Double>(v.x)
    let tolerance = Tolerance.pytorchFixture
    expectClose(ReLU<Double>()(x).scalars, v.relu, tolerance, "relu")
    expectClose(LeakyReLU<Double>()(x).scalars, v.leaky_relu, tolerance, "leaky relu")
    expectClose(Sigmoid<Double>()(x).scalars, v.sigmoid, tolerance, "sigmoid")
    expectClose(Tanh<Double>()(x).scalars, v.tanh, tolerance, "tanh")
    expectClose(GELU<Double>()(x).scalars, v.gelu, tolerance, "gelu")
    expectClose(Softmax<Double>()(x).scalars, v.softmax, tolerance, "softmax")
  }

  @Test func flattenKeepsTheBatchAxis() throws {
    #expect(Flatten<Float>()(Tensor<Float>.zeros([2, 3, 4])).shape == [2, 12])
  }

  @Test func dropoutIsSeededScaledAndOffInEvaluation() throws {
    let x = Tensor<Double>.ones([1000])
    let a = Dropout<Double>(probability: 0.25, seed: 9), b = Dropout<Double>(probability: 0.25, seed: 9)
    let ya = a(x), yb = b(x)
    #expect(ya.scalars == yb.scalars)
    #expect(Set(ya.scalars) == [0, 1 / 0.75])
    let kept = ya.scalars.filter { $0 != 0 }.count
    #expect((700...800).contains(kept))
    #expect(a(x).scalars != ya.scalars, "the next call draws a new mask")
    a.eval()
    #expect(a(x).scalars == x.scalars)
    // Gradient: the mask, scaled; checked numerically with the mask held fixed.
    let c = Dropout<Double>(probability: 0.5, seed: 1)
    let state = c.generator
    let result = checkGradients(of: { xs in c.generator = state; return c(xs[0]) }, at: [Tensor<Double>.ones([6])])
    #expect(result.passed, "\(result)")
  }

  @Test func modeSwitchReachesEveryLayer() throws {
    let model = try Sequential<Float>.mlp([2, 4, 2], dropout: 0.5, seed: 0)
    model.eval()
    #expect(model.layers.allSatisfy { !$0.isTraining || $0 is ReLU<Float> || $0 is Linear<Float> })
    #expect((model.layers[2] as! Dropout<Float>).isTraining == false)
    model.train()
    #expect((model.layers[2] as! Dropout<Float>).isTraining == true)
  }

  @Test func summaryListsShapesAndCounts() throws {
    let model = try Sequential<Float>.mlp([64, 128, 64, 10], seed: 0)
    let summary = try model.summary(inputShape: [64])
    #expect(summary.rows.map(\.outputShape) == [[1, 128], [1, 128], [1, 64], [1, 64], [1, 10]])
    #expect(summary.totalParameters == 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10)
    #expect(summary.description.contains("Linear(64 → 128)"))
    #expect(summary.description.contains("Total parameters: 17,226"))
  }

  @Test func architectureStringsRoundTrip() throws {
    let specs: [LayerSpec] = [.linear(inputSize: 3, outputSize: 4, bias: false), .leakyRelu(slope: 0.2), .dropout(probability: 0.1),
                              .gelu, .tanh, .sigmoid, .softmax, .flatten, .relu]
    #expect(try LayerSpec.parseArchitecture(LayerSpec.architectureString(specs)) == specs)
    #expect(throws: TensorError.self) { try LayerSpec.parseArchitecture("Linear(3),ReLU") }
    #expect(throws: TensorError.self) { try LayerSpec.parseArchitecture("Dropout(1.5)") }
  }
}
