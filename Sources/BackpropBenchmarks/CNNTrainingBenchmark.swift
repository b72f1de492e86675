import Backprop
import BackpropKernels
import Foundation

/// W6: one training epoch of the issue-11 CNN on Fashion-MNIST —
/// Conv2d(1,32,3,pad 1)–ReLU–MaxPool(2)–Conv2d(32,64,3,pad 1)–ReLU–MaxPool(2)–Flatten–
/// Linear(3136,128)–ReLU–Linear(128,10) (the `cnn` preset of `ArchitectureGrammar`), softmax
/// cross-entropy, batch 128, SGD lr 0.05 momentum 0.9, inputs (N, 1, 28, 28) in [0, 1].
///
/// Beside the epoch time it reports the epoch's GEMM floor (`CNNGemmFloor`) and peak RSS.
public enum CNNTrainingBenchmark {
  /// The network, in `ArchitectureGrammar`'s text.
  public static let architecture = "cnn"
  /// Mini-batch size.
  public static let batchSize = 128
  /// SGD's learning rate and momentum.
  public static let learningRate = 0.05, momentum = 0.9

  /// Trains `epochs` epochs on the first `limit` training images (all 60,000 when `nil`) after
  /// two untimed warm-up steps, and reports the median seconds per epoch, the epoch's GEMM floor
  /// at the GEMM rate measured in this run, their ratio, and peak RSS.
  /// - Throws: `DataError.datasetMissing` (one line with the install hint) when Fashion-MNIST is
  ///   absent; `TensorError.invalidArgument` for a `limit` below 1.
  public static func run(epochs: Int, limit: Int?, runs: Int, dataDirectory: String?, seed: UInt64 = 0) throws -> [BenchmarkResult] {
    if let limit, limit < 1 { throw TensorError.invalidArgument(op: "bench W6", message: "--limit must be ≥ 1, got \(limit)") }
    var train = try Dataset.fashionMNIST(split: .train, directory: dataDirectory.map { URL(fileURLWithPath: $0) })
    if let limit, limit < train.count { train = try train.subset(indices: Array(0..<limit)) }
    let specs = try ArchitectureGrammar.parse(architecture, inputShape: [1, 28, 28])
    let model = try Sequential<Float>(architecture: specs, seed: seed)
    let optimizer = SGD(model.parameters, learningRate: learningRate, momentum: momentum)
    let settings = ComputeSettings.current

    func step(_ indices: ArraySlice<Int>) -> Float {
      let batch = train.batch(indices)
      let x = Tensor<Float>(shape: [batch.count, 1, 28, 28], scalars: batch.features)
      let loss = softmaxCrossEntropy(logits: model(x), labels: batch.labels)
      optimizer.zeroGrad()
      loss.backward()
      optimizer.step()
      return loss.item
    }
    // Two untimed warm-up steps (first-call allocations, thread pool start), as the references do.
    let sampler = try BatchSampler(sampleCount: train.count, batchSize: batchSize, seed: seed)
    for indices in sampler.batches(epoch: 1_000).prefix(2) { _ = step(indices) }

    var times: [Double] = [], lastLoss: Float = .nan
    for epoch in 0..<Swift.max(epochs, 1) {
      let start = Stopwatch.now()
      for indices in sampler.batches(epoch: epoch) { lastLoss = step(indices) }
      times.append(Stopwatch.now() - start)
    }
    times.sort()
    let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    let rss = peakResidentMiB()
    let floor = CNNGemmFloor.seconds(samples: train.count, batch: batchSize, runs: runs)
    let extra = [
      "samples": "\(train.count)", "epochs": "\(times.count)", "peak_rss_mib": String(format: "%.0f", rss),
      "last_loss": String(format: "%.4f", lastLoss),
      "gemm_floor_s": String(format: "%.3f", floor.seconds),
      "gemm_gflops": String(format: "%.1f", floor.flops / floor.seconds / 1e9),
    ]
    return [
      BenchmarkResult(workload: "W6", case: "cnn", settings: settings, metric: "epoch_seconds", value: median, unit: "s",
                      lowerIsBetter: true, extra: extra),
      BenchmarkResult(workload: "W6", case: "cnn", settings: settings, metric: "samples_per_second",
                      value: Double(train.count) / median, unit: "samples/s", lowerIsBetter: false, extra: extra),
      BenchmarkResult(workload: "W6", case: "cnn_gemm_floor", settings: floor.settings, metric: "epoch_seconds",
                      value: floor.seconds, unit: "s", lowerIsBetter: true,
                      extra: ["gflop": String(format: "%.1f", floor.flops / 1e9),
                              "gflops": String(format: "%.1f", floor.flops / floor.seconds / 1e9)]),
      BenchmarkResult(workload: "W6", case: "cnn", settings: settings, metric: "ratio_to_gemm_floor",
                      value: median / floor.seconds, unit: "×", lowerIsBetter: true),
      BenchmarkResult(workload: "W6", case: "cnn", settings: settings, metric: "peak_rss_mib", value: rss, unit: "MiB",
                      lowerIsBetter: true),
    ]
  }
}
