import Backprop
import Foundation

/// W2: MLP training on Fashion-MNIST (784-256-128-10 ReLU, softmax cross-entropy, batch 128,
/// SGD lr 0.1, inputs in [0, 1]), through the same `Trainer` that `backprop train` uses.
public enum MLPTrainingBenchmark {
  /// Trains for `epochs` epochs and reports seconds per epoch (median of the epochs after the
  /// first, which is warm-up), samples per second, test accuracy and peak resident memory.
  public static func run(epochs: Int, dataDirectory: String?, seed: UInt64 = 0) throws -> [BenchmarkResult] {
    let data = try TrainingData.load("fashion-mnist", dataDirectory: dataDirectory.map { URL(fileURLWithPath: $0) })
    let model = try Sequential<Float>.mlp([784, 256, 128, 10], activation: .relu, seed: seed)
    var configuration = TrainingConfiguration()
    configuration.epochs = Swift.max(epochs, 2)
    configuration.batchSize = 128
    configuration.optimizer = .sgd
    configuration.learningRate = 0.1
    configuration.momentum = 0
    configuration.seed = seed
    let trainer = try Trainer(model: model, configuration: configuration)
    let settings = ComputeSettings.current  // what the training loop below runs under
    let records = try trainer.fit(on: data.train)
    let timed = records.dropFirst().map(\.seconds).sorted()
    let median = timed.count % 2 == 1 ? timed[timed.count / 2] : (timed[timed.count / 2 - 1] + timed[timed.count / 2]) / 2
    let test = try evaluate(model, on: data.test, loss: .crossEntropy)
    let extra = [
      "test_accuracy": String(format: "%.4f", test.accuracy ?? .nan),
      "peak_rss_mib": String(format: "%.0f", peakResidentMiB()),
      "epochs": "\(records.count)",
    ]
    return [
      BenchmarkResult(workload: "W2", case: "mlp", settings: settings, metric: "epoch_seconds", value: median, unit: "s",
                      lowerIsBetter: true, extra: extra),
      BenchmarkResult(workload: "W2", case: "mlp", settings: settings, metric: "samples_per_second",
                      value: Double(data.train.count) / median, unit: "samples/s", lowerIsBetter: false, extra: extra),
    ]
  }
}
