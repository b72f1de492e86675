import BackpropNN
import Testing
import _BackpropTestSupport

/// The CNN layers: shapes, PyTorch names and initialisation, gradients of whole stacks against
/// central differences (Double), and training/evaluation behaviour.
@Suite struct ConvolutionLayerTests {
  typealias D = Tensor<Double>

  /// Central differences of `loss` for every element of every parameter of `model`, against
  /// the gradients one backward pass leaves in `.grad`.
  static func expectParameterGradientsMatch(_ model: some Layer<Double>, _ loss: () -> D, _ label: String) {
    model.zeroGrad()
    loss().backward()
    let eps = 1e-6
    for (name, p) in model.namedParameters {
      let analytic = p.grad!.scalars
      for i in 0..<p.count {
        p.update { $0[i] += eps }
        let plus = loss().item
        p.update { $0[i] -= 2 * eps }
        let minus = loss().item
        p.update { $0[i] += eps }
        let numeric = (plus - minus) / (2 * eps)
        #expect(Swift.abs(numeric - analytic[i]) <= 1e-5 + 1e-4 * Swift.abs(numeric), "\(label) \(name)[\(i)]: \(analytic[i]) vs \(numeric)")
      }
    }
  }

  /// `Sequential` runs ReLU → MaxPool2d as pooling, then ReLU: the same bits forward and the
  /// same gradient (equal numbers; a zero may differ in sign, g·0 for a negative g) as the
  /// layers one after the other, with ties, all-negative windows, zeros and a NaN among the
  /// inputs, and with a padded, overlapping pool.
  @Test func reluThenMaxPoolGivesTheSameValuesAndGradientsAsTheLayersInTurn() {
    var values = Tensor<Float>.seeded([2, 3, 6, 6], .uniform(-1, 1), seed: 5).scalars
    values[0...3] = [0.5, 0.5, -1, 0.5]             // a tie: the first maximum takes δ
    values[6...9] = [-2, -1, -3, -0.5]              // an all-negative window
    values[12...15] = [0, -1, 0, 0]                 // zeros: relu′(0) = 0 on both paths
    values[40] = .nan
    let x = Tensor<Float>(shape: [2, 3, 6, 6], scalars: values)
    let upstream = Tensor<Float>.seeded([2, 3, 3, 3], .uniform(-1, 1), seed: 6)
    for pool in [MaxPool2d<Float>(kernelSize: 2), MaxPool2d<Float>(kernelSize: 3, stride: 2, padding: 1)] {
      let model = Sequential<Float>(ReLU(), pool)
      let (y, dx) = valueWithGradient(of: { (model($0) * upstream).sum() }, at: x)
      let (reference, referenceDx) = valueWithGradient(of: { (pool(ReLU<Float>()($0)) * upstream).sum() }, at: x)
      #expect(model(x).scalars.map(\.bitPattern) == pool(x.relu()).scalars.map(\.bitPattern), "\(pool.summaryName)")
      #expect(y.item.isNaN && reference.item.isNaN)
      #expect(dx.scalars == referenceDx.scalars, "\(pool.summaryName)")
    }
  }

  @Test func convolutionLayersHavePyTorchShapesNamesAndInitialisation() {
    var g = SeededGenerator(seed: 1)
    let conv = Conv2d<Float>(4, 6, kernelSize: [3, 2], padding: 1, groups: 2, using: &g)
    #expect(conv.weight.shape == [6, 2, 3, 2] && conv.bias?.shape == [6])
    #expect(conv.namedParameters.map(\.0) == ["weight", "bias"])
    let bound = Float(1 / (2.0 * 3 * 2).squareRoot())  // 1/√fanIn, fanIn = in/groups · kh · kw
    #expect(conv.weight.scalars.allSatisfy { Swift.abs($0) <= bound } && conv.bias!.scalars.allSatisfy { Swift.abs($0) <= bound })
    #expect(conv.weight.scalars.max()! > bound * 0.8, "drawn over the whole range")
    #expect(conv(Tensor<Float>.zeros([2, 4, 5, 5])).shape == [2, 6, 5, 6])

    let transposed = ConvTranspose2d<Float>(6, 4, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, using: &g)
    #expect(transposed.weight.shape == [6, 4, 3, 3])
    #expect(transposed(Tensor<Float>.zeros([1, 6, 4, 4])).shape == [1, 4, 8, 8])

    let conv1 = Conv1d<Float>(3, 5, kernelSize: 3, padding: .same, using: &g)
    #expect(conv1.weight.shape == [5, 3, 3] && conv1(Tensor<Float>.zeros([2, 3, 7])).shape == [2, 5, 7])
    #expect(Conv2d<Float>(2, 2, kernelSize: 1, bias: false, using: &g).namedParameters.map(\.0) == ["weight"])
  }

  @Test func poolingLayersShapes() {
    let x = Tensor<Float>.zeros([2, 3, 7, 6])
    #expect(MaxPool2d<Float>(kernelSize: 2)(x).shape == [2, 3, 3, 3])
    #expect(MaxPool2d<Float>(kernelSize: 3, stride: 1, padding: 1)(x).shape == [2, 3, 7, 6])
    #expect(AvgPool2d<Float>(kernelSize: [2, 3])(x).shape == [2, 3, 3, 2])
    #expect(AdaptiveAvgPool2d<Float>(outputSize: [3, 4])(x).shape == [2, 3, 3, 4])
    #expect(MaxPool1d<Float>(kernelSize: 2)(Tensor<Float>.zeros([2, 3, 9])).shape == [2, 3, 4])
    #expect(AvgPool1d<Float>(kernelSize: 3, stride: 1)(Tensor<Float>.zeros([2, 3, 9])).shape == [2, 3, 7])
  }

  @Test func cnnStackGradientsMatchFiniteDifferences() {
    var g = SeededGenerator(seed: 4)
    let model = Sequential<Double>(
      Conv2d(2, 3, kernelSize: 3, padding: 1, using: &g), BatchNorm2d(3), Tanh(),
      AvgPool2d(kernelSize: 2), Conv2d(3, 4, kernelSize: 2, stride: 1, groups: 1, using: &g), GroupNorm(2, 4), SiLU(),
      Flatten(), LayerNorm([4]), Linear(4, 2, using: &g))
    let x = D.randomNormal([3, 2, 4, 4], using: &g)
    let weights = D.randomNormal([3, 2], using: &g)
    Self.expectParameterGradientsMatch(model, { (model(x) * weights).sum() }, "conv stack")
    let inputCheck = checkGradients(of: { xs in (model(xs[0]) * weights).sum() }, at: [x])
    #expect(inputCheck.passed, "\(inputCheck)")
  }

  @Test func transposedAndOneDimensionalLayersGradients() {
    var g = SeededGenerator(seed: 5)
    let model = Sequential<Double>(
      ConvTranspose2d(2, 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, using: &g), ELU(),
      MaxPool2d(kernelSize: 2), Flatten(), Linear(12, 2, using: &g))
    let x = D.randomNormal([2, 2, 2, 2], using: &g)
    Self.expectParameterGradientsMatch(model, { model(x).squared().sum() }, "transposed")
    let conv1 = Sequential<Double>(Conv1d(2, 3, kernelSize: 3, stride: 2, padding: 1, using: &g), BatchNorm1d(3), GELU(approximate: .tanh))
    let x1 = D.randomNormal([4, 2, 5], using: &g)
    Self.expectParameterGradientsMatch(conv1, { conv1(x1).squared().sum() }, "conv1d")
  }

  @Test func batchNormTrainsOnBatchStatisticsAndEvaluatesOnRunningOnes() {
    let bn = BatchNorm2d<Double>(2, momentum: 0.5)
    #expect(bn.namedParameters.map(\.0) == ["weight", "bias"])
    #expect(bn.namedBuffers.map(\.0) == ["running_mean", "running_var", "num_batches_tracked"])
    // Channel 0: 0, 2, 4, 6 (mean 3, unbiased variance 20/3); channel 1: all 1.
    let x = D(shape: [2, 2, 1, 2], scalars: [0, 2, 1, 1, 4, 6, 1, 1])
    let y = bn(x)
    expectClose(bn.runningMean.scalars, [1.5, 0.5], .doubleReference, "running mean after one batch")
    expectClose(bn.runningVariance.scalars, [0.5 + 0.5 * 20 / 3, 0.5], .doubleReference, "running variance")
    #expect(bn.namedBuffers[2].1.item == 1)
    let batchOutput: Double = -3 / (5 + 1e-5).squareRoot()
    expectClose([y.scalars[0]], [batchOutput], .doubleReference, "training output uses the batch")
    bn.eval()
    let z = bn(x)
    let runningVariance: Double = 0.5 + 10.0 / 3
    let expected: Double = -1.5 / (runningVariance + 1e-5).squareRoot()
    expectClose([z.scalars[0]], [expected], .doubleReference, "evaluation uses running")
    expectClose(bn.runningMean.scalars, [1.5, 0.5], .doubleReference, "evaluation leaves the statistics alone")
    #expect(bn.namedBuffers[2].1.item == 1)
  }

  @Test func sequentialNamesBuffersLikeAStateDict() throws {
    var g = SeededGenerator(seed: 6)
    let model = Sequential<Float>(Conv2d(1, 4, kernelSize: 3, padding: 1, using: &g), BatchNorm2d(4), ReLU(),
                                  MaxPool2d(kernelSize: 2), Flatten(), Linear(4 * 4 * 4, 10, using: &g))
    #expect(model.namedParameters.map(\.0) == ["0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias"])
    #expect(model.namedBuffers.map(\.0) == ["1.running_mean", "1.running_var", "1.num_batches_tracked"])
    let summary = try model.summary(inputShape: [1, 8, 8])
    #expect(summary.rows.map(\.outputShape) == [[1, 4, 8, 8], [1, 4, 8, 8], [1, 4, 8, 8], [1, 4, 4, 4], [1, 64], [1, 10]])
    #expect(summary.rows.map(\.parameterCount) == [4 * 9 + 4, 8, 0, 0, 0, 64 * 10 + 10])
    #expect(summary.rows[0].name == "Conv2d(1 → 4, 3×3, padding 1)")
    #expect(model.isTraining, "summary restores the mode")
  }

  @Test func dropout2dZeroesWholeChannelsInTrainingOnly() {
    let layer = Dropout2d<Double>(probability: 0.5, seed: 3)
    let x = D(repeating: 1, shape: [4, 8, 3, 3])
    let y = layer(x)
    var dropped = 0
    for channel in 0..<32 {
      let values = Set(y.scalars[(channel * 9)..<(channel * 9 + 9)])
      #expect(values == [0] || values == [2], "channel \(channel): \(values)")
      if values == [0] { dropped += 1 }
    }
    #expect(dropped > 4 && dropped < 28, "about half the channels dropped: \(dropped)")
    layer.eval()
    #expect(layer(x).scalars == x.scalars)
  }
}
