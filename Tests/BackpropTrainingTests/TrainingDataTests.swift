import BackpropData
import BackpropNN
import BackpropTraining
import Foundation
import Testing

/// The shipped data as the trainer sees it, and a saved model that applies its input scaler.
@Suite struct TrainingDataTests {
  @Test func digitsArePreparedAndScaled() throws {
    let data = try TrainingData.load("digits")
    #expect(data.train.count == 1437 && data.test.count == 360)
    #expect(data.featureCount == 64 && data.outputCount == 10)
    #expect(data.train.features.max()! == 1 && data.train.features.min()! == 0)
    #expect(data.defaultLayerSizes == [64, 128, 64, 10])
    #expect(throws: DataError.self) { try TrainingData.load("no-such-data-set.csv") }
  }

  @Test func savedModelAppliesItsScaler() throws {
    let data = try TrainingData.load("digits")
    var config = TrainingConfiguration()
    (config.epochs, config.batchSize) = (2, 64)
    let trainer = try Trainer(model: try Sequential<Float>.mlp([64, 16, 10], seed: 0), configuration: config)
    try trainer.fit(on: data.train)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("saved-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try TrainingCheckpoint.save(trainer, to: url, inputScaler: data.inputScaler, extraMetadata: [SavedModel.taskKey: "classification"])
    let saved = try SavedModel.load(contentsOf: url)
    #expect(saved.isClassifier && saved.inputSize == 64)
    let raw = try Dataset.digits(split: .test)
    let fromRaw = try saved.outputs(for: Array(raw.features.prefix(64 * 5)), rows: 5)
    let direct = withoutGradient { trainer.model(Tensor(shape: [5, 64], scalars: Array(data.test.features.prefix(64 * 5)))) }
    #expect(fromRaw.scalars == direct.scalars)
  }
}
