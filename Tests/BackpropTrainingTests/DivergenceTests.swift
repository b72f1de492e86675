import BackpropCore
import BackpropData
import BackpropNN
import BackpropTraining
import Foundation
import Testing

/// A run that diverges stops at the first non-finite loss, before that batch's step; counts
/// that would overflow are refused by validation, not trapped on.
@Suite struct DivergenceTests {
  @Test func firstNonFiniteLossStopsTrainingBeforeTheStep() throws {
    let data = try Dataset.twoMoons(count: 64, noise: 0.1, seed: 1)
    let model = try Sequential<Float>.mlp([2, 16, 2], seed: 1)
    var config = TrainingConfiguration()
    (config.epochs, config.batchSize, config.optimizer, config.learningRate) = (3, 8, .sgd, 1e30)
    let trainer = try Trainer(model: model, configuration: config)
    var caught: TrainingError?
    do { try trainer.fit(on: data) } catch let e as TrainingError { caught = e }
    guard case let .nonFiniteLoss(epoch, batch, loss, learningRate)? = caught else {
      Issue.record("expected TrainingError.nonFiniteLoss, got \(String(describing: caught))")
      return
    }
    #expect(epoch == 1 && batch >= 2 && !loss.isFinite && learningRate == 1e30)
    #expect(trainer.completedEpochs == 0 && trainer.history.isEmpty)
    #expect(caught!.description.contains("try a lower learning rate"))
  }

  @Test func hugeCountsAreRefused() throws {
    var config = TrainingConfiguration()
    config.epochs = 300_000_000_000_000_000
    #expect(throws: TensorError.self) { try config.validate() }
    config.epochs = 10
    config.warmupEpochs = Int.max
    #expect(throws: TensorError.self) { try config.validate() }
    config.warmupEpochs = 0
    config.weightDecay = .infinity
    #expect(throws: TensorError.self) { try config.validate() }
    config.weightDecay = nil
    config.batchSize = Int.max
    #expect(throws: TensorError.self) { try config.validate() }
  }

  @Test func checkpointsHoldNoTimings() throws {
    let data = try Dataset.twoMoons(count: 64, noise: 0.1, seed: 1)
    var config = TrainingConfiguration()
    (config.epochs, config.batchSize) = (2, 16)
    var files: [Data] = []
    for run in 0..<2 {
      let trainer = try Trainer(model: try Sequential<Float>.mlp([2, 8, 2], seed: 4), configuration: config)
      try trainer.fit(on: data, evaluatingOn: data)
      let url = FileManager.default.temporaryDirectory.appendingPathComponent("timings-\(run)-\(UUID().uuidString).safetensors")
      defer { try? FileManager.default.removeItem(at: url) }
      try TrainingCheckpoint.save(trainer, to: url)
      files.append(try Data(contentsOf: url))
      let restored = try TrainingCheckpoint.load(contentsOf: url).trainer.history
      #expect(restored.map(\.trainLoss) == trainer.history.map(\.trainLoss))
      #expect(restored.allSatisfy { $0.seconds == 0 && $0.evaluationSeconds == 0 && $0.samplesPerSecond == 0 })
    }
    #expect(files[0] == files[1], "two identical runs wrote different checkpoints")
  }
}
