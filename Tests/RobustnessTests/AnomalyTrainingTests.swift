import Backprop
import Foundation
import Testing

/// Anomaly mode (`withAnomalyDetection { }`) at the level of training: a run that blows up stops
/// at the first non-finite value, names the op and its input shapes, and the step that would
/// have written NaN into the weights never happens.
@Suite struct AnomalyTrainingTests {
  /// 64 samples of 4 features in 3 classes.
  static func data() throws -> Dataset {
    var g = SeededGenerator(seed: 11)
    let x = Tensor<Float>.randomNormal([64, 4], using: &g)
    return try Dataset(name: "blobs", features: x.scalars, featureCount: 4, labels: (0..<64).map { $0 % 3 }, classCount: 3)
  }

  static func allFinite(_ model: Sequential<Float>) -> Bool {
    model.parameters.allSatisfy { $0.scalars.allSatisfy(\.isFinite) }
  }

  /// SGD with η = 1e30: the first step makes the weights ~1e30, so the next forward pass
  /// overflows to infinity in the second layer.
  @Test func hugeLearningRateStopsAtTheForwardOpThatOverflows() throws {
    let model = try Sequential<Float>.mlp([4, 16, 3], seed: 1)
    var config = TrainingConfiguration()
    (config.epochs, config.batchSize, config.optimizer, config.learningRate) = (3, 8, .sgd, 1e30)
    let trainer = try Trainer(model: model, configuration: config)
    var caught: TensorError?
    do { try withAnomalyDetection { try trainer.fit(on: Self.data()) } } catch let e as TensorError { caught = e }
    guard case let .nonFinite(op, phase, location, shapes)? = caught else {
      Issue.record("expected a non-finite anomaly, got \(String(describing: caught))")
      return
    }
    print("anomaly mode stopped training: \(caught!)")
    #expect(phase == "forward")
    // The second layer's affine map is the first result to overflow: linear(x[8,16], W[3,16], b[3]).
    #expect(["linear", "matmul", "add"].contains(op), "named op '\(op)'")
    #expect(shapes.first == [8, 16], "input shapes \(shapes)")
    // Where the op was recorded (file:line, from the call stack in debug builds): the first
    // frame outside BackpropCore, here the Linear layer's code in BackpropNN.
    #expect(location.contains(".swift:"), "location '\(location)'")
    #expect(caught!.description.contains(op) && caught!.description.contains("forward"))
    // It stopped before the optimizer could write the overflowed gradients into the weights.
    #expect(Self.allFinite(model))
    #expect(trainer.completedEpochs == 0)
  }

  /// A finite forward pass whose gradient is infinite: the loss is sqrt(MSE) and the prediction
  /// is exact, so d sqrt(u)/du = 1/(2·0). The anomaly names `sqrt` in the backward pass.
  @Test func infiniteGradientIsNamedInTheBackwardPass() throws {
    let model = try Sequential<Float>.mlp([4, 3], seed: 2)
    for p in model.parameters { p.update { $0 = Array(repeating: 0, count: $0.count) } }
    let optimizer = SGD(model.parameters, learningRate: 0.1)
    let x = Tensor<Float>(shape: [8, 4], scalars: (0..<32).map { Float($0) / 10 })
    let target = Tensor<Float>.zeros([8, 3])
    func step() throws {
      let loss = meanSquaredError(predicted: model(x), target: target).sqrt()
      #expect(loss.item == 0)
      optimizer.zeroGrad()
      loss.backward()
      optimizer.step()
    }
    var caught: TensorError?
    do { try withAnomalyDetection { try step() } } catch let e as TensorError { caught = e }
    guard case let .nonFinite(op, phase, location, shapes)? = caught else {
      Issue.record("expected a non-finite anomaly, got \(String(describing: caught))")
      return
    }
    print("anomaly mode stopped the step: \(caught!)")
    #expect(op == "sqrt" && phase == "backward", "\(caught!)")
    #expect(location.contains("AnomalyTrainingTests.swift:"), "sqrt was created in step() above, not at '\(location)'")
    #expect(shapes == [[]], "sqrt's input is the scalar loss: \(shapes)")
    #expect(Self.allFinite(model), "the step must not have run")

    // Without anomaly mode the same step silently poisons the weights: what the mode is for.
    try step()
    #expect(!Self.allFinite(model))
  }

  /// A user-defined op (`Tensor.customOp`) whose forward returns NaN is named by its own name.
  @Test func customOpProducingNaNIsNamed() throws {
    let model = try Sequential<Float>.mlp([4, 5, 3], seed: 3)
    let optimizer = SGD(model.parameters, learningRate: 0.1)
    let data = try Self.data()
    let batch = data.batch(Array(0..<8))
    let x = Tensor<Float>(shape: [8, 4], scalars: batch.features)
    var caught: TensorError?
    do {
      try withAnomalyDetection {
        let h = model(x)
        let bad = Tensor.customOp(
          "myBrokenActivation", inputs: [h],
          forward: { xs in Tensor(shape: xs[0].shape, scalars: xs[0].scalars.map { $0 * .nan }) },
          pullback: { g, _ in [g] })
        let loss = softmaxCrossEntropy(logits: bad, labels: batch.labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
      }
    } catch let e as TensorError { caught = e }
    guard case let .nonFinite(op, phase, location, shapes)? = caught else {
      Issue.record("expected a non-finite anomaly, got \(String(describing: caught))")
      return
    }
    #expect(op == "myBrokenActivation" && phase == "forward" && shapes == [[8, 3]], "\(caught!)")
    #expect(location.contains("AnomalyTrainingTests.swift:"), "location '\(location)'")
    #expect(Self.allFinite(model))
  }
}
