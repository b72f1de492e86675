import BackpropData
import BackpropNN
import BackpropOptim
import BackpropTraining
import Foundation
import Testing

/// The training loop: it converges, it is deterministic, and a resumed run is bit-identical to
/// an uninterrupted one.
@Suite struct TrainingTests {
  static func moons() throws -> (Dataset, Dataset) {
    (try Dataset.twoMoons(count: 400, noise: 0.1, seed: 1), try Dataset.twoMoons(count: 200, noise: 0.1, seed: 2))
  }

  @Test func trainingOnMoonsConverges() throws {
    let (train, test) = try Self.moons()
    let model = try Sequential<Float>.mlp([2, 16, 16, 2], activation: .tanh, seed: 3)
    var config = TrainingConfiguration()
    config.epochs = 40
    config.batchSize = 32
    config.learningRate = 0.01
    let trainer = try Trainer(model: model, configuration: config)
    var batchEvents = 0, epochEvents = 0
    let records = try trainer.fit(on: train, evaluatingOn: test) { event in
      switch event {
      case .batch: batchEvents += 1
      case .epoch: epochEvents += 1
      }
    }
    #expect(records.count == 40 && epochEvents == 40 && batchEvents == 40 * 13)
    #expect(records.last!.trainLoss < records.first!.trainLoss / 4)
    #expect(records.last!.evaluationAccuracy! > 0.97, "\(records.last!)")
    #expect(records.allSatisfy { $0.seconds > 0 && $0.samplesPerSecond > 0 })
    // One phase record per epoch: every step counted, and the phases, timed back to back inside
    // the epoch, add up to no more than its seconds (one process: no allreduce wait).
    #expect(trainer.phaseSeconds.count == 40 && trainer.phaseSeconds.allSatisfy { $0.steps == 13 && $0.allreduceWait == 0 })
    for (phases, record) in zip(trainer.phaseSeconds, records) {
      let sum = phases.data + phases.forward + phases.backward + phases.optimizer + phases.other
      #expect(phases.forward > 0 && phases.backward > 0 && sum <= record.seconds, "\(phases) \(record.seconds)")
    }
  }

  @Test func everyOptimizerAndScheduleLearns() throws {
    let (train, test) = try Self.moons()
    for kind in OptimizerKind.allCases {
      for schedule in ScheduleKind.allCases {
        var config = TrainingConfiguration()
        (config.epochs, config.batchSize, config.optimizer, config.schedule) = (25, 32, kind, schedule)
        config.stepEpochs = 10
        config.warmupEpochs = schedule == .cosine ? 2 : 0
        config.clipNorm = kind == .sgd ? 5 : nil
        config.learningRate = kind == .adam || kind == .adamw ? 0.01 : nil
        let trainer = try Trainer(model: try Sequential<Float>.mlp([2, 16, 2], seed: 4), configuration: config)
        try trainer.fit(on: train)
        let e = try evaluate(trainer.model, on: test, loss: .crossEntropy)
        #expect(e.accuracy! > 0.85, "\(kind) \(schedule): \(e)")
      }
    }
  }

  @Test func regressionUsesMeanSquaredError() throws {
    var g = SeededGenerator(seed: 9)
    let x = Tensor<Float>.randomNormal([200, 3], using: &g)
    let y = x.scalars.enumerated().compactMap { i, _ in i % 3 == 0 ? 2 * x.scalars[i] - x.scalars[i + 1] + 0.5 * x.scalars[i + 2] : nil }
    let data = try Dataset(name: "linear", features: x.scalars, featureCount: 3, targets: y)
    var config = TrainingConfiguration()
    (config.epochs, config.batchSize, config.learningRate) = (30, 20, 0.02)
    let trainer = try Trainer(model: try Sequential<Float>.mlp([3, 1], seed: 0), configuration: config)
    let records = try trainer.fit(on: data)
    #expect(records.last!.trainAccuracy == nil)
    #expect(records.last!.trainLoss < 1e-3, "\(records.last!)")
  }

  /// Train 6 epochs straight; separately train 3, save, load, train 3 more: identical bits.
  @Test(arguments: [OptimizerKind.adam, .momentum, .rmsprop])
  func resumeReproducesUninterruptedTraining(optimizer: OptimizerKind) throws {
    let (train, _) = try Self.moons()
    var config = TrainingConfiguration()
    (config.epochs, config.batchSize, config.optimizer, config.seed) = (6, 16, optimizer, 77)
    (config.schedule, config.warmupEpochs) = (.cosine, 1)
    func model() throws -> Sequential<Float> { try .mlp([2, 12, 12, 2], dropout: 0.2, seed: 5) }

    let straight = try Trainer(model: try model(), configuration: config)
    try straight.fit(on: train)

    let first = try Trainer(model: try model(), configuration: config)
    try first.fit(on: train, stoppingAfter: 3)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try TrainingCheckpoint.save(first, to: url)
    let resumed = try TrainingCheckpoint.load(contentsOf: url).trainer
    #expect(resumed.completedEpochs == 3)
    #expect(resumed.optimizer.stepCount == first.optimizer.stepCount && first.optimizer.stepCount == 3 * 25)
    try resumed.fit(on: train)

    #expect(resumed.completedEpochs == 6 && resumed.history.count == 6)
    for ((name, a), (_, b)) in zip(straight.model.namedParameters, resumed.model.namedParameters) {
      #expect(a.scalars == b.scalars, "\(optimizer): \(name) differs after resuming")
    }
    #expect(straight.history.map(\.trainLoss) == resumed.history.map(\.trainLoss))
  }

  /// The trainer leaves the rate to the optimizer: the configured rate is the schedule's base,
  /// each step advances the schedule, and a rate changed between epochs is the one used.
  @Test func trainerFollowsTheOptimizersRateAndSchedule() throws {
    let (train, _) = try Self.moons()  // 400 samples: 25 batches of 16
    var config = TrainingConfiguration()
    (config.epochs, config.batchSize, config.optimizer, config.learningRate, config.schedule) = (4, 16, .sgd, 0.2, .cosine)
    let trainer = try Trainer(model: try .mlp([2, 8, 2], seed: 1), configuration: config)
    #expect(trainer.optimizer.learningRate == 0.2 && trainer.optimizer.stepCount == 0)
    let records = try trainer.fit(on: train, stoppingAfter: 2)
    #expect(trainer.optimizer.stepCount == 50)
    // The record holds the rate of the epoch's last batch: step 24, then step 49, of 100.
    let cosine = CosineDecay(totalSteps: 100)
    #expect(records.map(\.learningRate) == [cosine.learningRate(at: 24, base: 0.2), cosine.learningRate(at: 49, base: 0.2)])
    #expect(trainer.optimizer.learningRate == 0.2, "the trainer must not overwrite the base rate")
    trainer.optimizer.learningRate = 0.1
    let third = try trainer.trainEpoch(on: train)
    #expect(third.learningRate == cosine.learningRate(at: 74, base: 0.1))
  }

  /// Data that does not fit the model is a thrown error naming the widths, before any layer
  /// runs (a layer called on the wrong width would stop the program).
  @Test func dataOfTheWrongWidthIsAThrownError() throws {
    let (train, _) = try Self.moons()  // 2 features
    let trainer = try Trainer(model: try .mlp([3, 4, 2], seed: 0), configuration: TrainingConfiguration())
    #expect(throws: TensorError.self) { try trainer.fit(on: train) }
    #expect(throws: TensorError.self) { _ = try evaluate(trainer.model, on: train, loss: .crossEntropy) }
    #expect(trainer.completedEpochs == 0 && trainer.optimizer.stepCount == 0)
    do {
      try trainer.fit(on: train)
    } catch let error as TensorError {
      #expect(error.description.contains("takes 3 features"), "\(error)")
    }
  }

  /// Pixels kept as bytes train and evaluate bit for bit like the same pixels as `Float`s.
  @Test func byteFeaturesTrainExactlyLikeFloatFeatures() throws {
    var g = SeededGenerator(seed: 12)
    let (n, d) = (96, 16)
    let pixels = (0..<n * d).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    let labels = (0..<n).map { i in Int(pixels[i * d..<(i + 1) * d].prefix(4).reduce(0) { $0 + Int($1) } % 3) }
    let bytes = try Dataset(name: "p", pixels: pixels, featureCount: d, labels: labels, classCount: 3)
    let floats = try Dataset(name: "p", features: pixels.map { Float($0) / 255 }, featureCount: d, labels: labels, classCount: 3)
    #expect(bytes.storesFeaturesAsBytes)
    var config = TrainingConfiguration()
    (config.epochs, config.batchSize, config.seed) = (3, 10, 5)
    var results: [([Double], Evaluation, [[Float]])] = []
    for data in [bytes, floats] {
      let trainer = try Trainer(model: try .mlp([d, 8, 3], seed: 2), configuration: config)
      let records = try trainer.fit(on: data)
      let evaluation = try evaluate(trainer.model, on: data, loss: .crossEntropy, batchSize: 7)
      results.append((records.map(\.trainLoss), evaluation, trainer.model.parameters.map(\.scalars)))
    }
    #expect(results[0].0 == results[1].0)
    #expect(results[0].1.loss == results[1].1.loss && results[0].1.accuracy == results[1].1.accuracy)
    #expect(results[0].2 == results[1].2)
  }

  @Test func plainModelFileIsNotACheckpoint() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("plain-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try ModelFile.save(try Sequential<Float>.mlp([2, 3], seed: 0), to: url)
    let error = #expect(throws: DataError.self) { try TrainingCheckpoint.load(contentsOf: url) }
    #expect(error?.description.contains(url.path) == true && error?.description.contains("not a training checkpoint") == true)
  }
}
