import Backprop
import BackpropBenchmarks
import Foundation
import Testing

/// The benchmark workloads' own arithmetic and bookkeeping (their timings are not tested).
@Suite("bench workloads")
struct BenchmarkWorkloadTests {
  /// Per sample: forward 2·(784·256 + 256·128 + 128·10), the same for the weight gradients, and
  /// 2·(256·128 + 128·10) for the input gradients of layers 2 and 3 (not of the images).
  @Test func w2FloorCountsTheEpochsFlops() {
    let perSample = 2 * (784 * 256 + 256 * 128 + 128 * 10) * 2 + 2 * (256 * 128 + 128 * 10)
    #expect(MLPGemmFloor.flopsPerEpoch() == Double(60_000 * perSample))
    #expect(MLPGemmFloor.flopsPerEpoch(samples: 256, batch: 128) == Double(256 * perSample))
  }

  /// Per image: conv1 forward and weight gradient 2·2·(32·9·784); conv2 forward, weight gradient
  /// and input columns 3·2·(64·288·196); the linear layers 3·2·(3136·128 + 128·10).
  @Test func w6FloorCountsTheEpochsFlops() {
    let perSample = 2 * 2 * (32 * 9 * 784) + 3 * 2 * (64 * 288 * 196) + 3 * 2 * (3136 * 128 + 128 * 10)
    #expect(CNNGemmFloor.flopsPerEpoch() == Double(60_000 * perSample))
    #expect(CNNGemmFloor.flopsPerEpoch(samples: 300) == Double(300 * perSample))
  }

  static let fashionMNISTInstalled = FileManager.default.fileExists(
    atPath: FashionMNIST.defaultDirectory.appendingPathComponent("train-labels-idx1-ubyte.gz").path)

  /// A 256-image W6 run: every row present, the loss finite (timings themselves are not tested).
  @Test(.enabled(if: fashionMNISTInstalled, "needs `apt-get install dataset-fashion-mnist`"))
  func cnnEpochOnAFewImagesReportsEveryFigure() throws {
    let results = try BenchmarkSuite.run("W6", runs: 1, epochs: 1, dataDirectory: nil, limit: 256)
    let figures = Dictionary(uniqueKeysWithValues: results.map { ("\($0.case)/\($0.metric)", $0) })
    #expect(Set(figures.keys) == ["cnn/epoch_seconds", "cnn/samples_per_second", "cnn_gemm_floor/epoch_seconds",
                                  "cnn/ratio_to_gemm_floor", "cnn/peak_rss_mib"])
    let epoch = try #require(figures["cnn/epoch_seconds"])
    #expect(epoch.extra["samples"] == "256")
    #expect(Float(epoch.extra["last_loss"] ?? "")?.isFinite == true)
    let ratio = try #require(figures["cnn/ratio_to_gemm_floor"]).value
    #expect(ratio.isFinite && ratio > 0)
    #expect(try #require(figures["cnn_gemm_floor/epoch_seconds"]).extra["gflop"] == String(format: "%.1f", CNNGemmFloor.flopsPerEpoch(samples: 256) / 1e9))
    #expect(try #require(figures["cnn/peak_rss_mib"]).value > 0)
  }

  @Test func cnnEpochWithoutTheDataSetThrowsTheInstallHint() throws {
    let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-fashion-\(UUID().uuidString)").path
    #expect {
      try BenchmarkSuite.run("W6", runs: 1, epochs: 1, dataDirectory: missing, limit: 16)
    } throws: { "\($0)".contains("apt-get install dataset-fashion-mnist") }
  }

  @Test func elementwiseReportsOneAndTwoThreadsPerCase() throws {
    let results = try ElementwiseBenchmark.run(runs: 1, sizes: [64])
    #expect(results.count == 8)
    #expect(results.allSatisfy { $0.value > 0 && $0.workload == "E1" })
    #expect(results.filter { $0.threads == 2 }.allSatisfy { $0.extra["speedup_vs_1_thread"] != nil })
  }

  @Test func microgradStepOnValuesRuns() throws {
    let (seconds, nodes, loss, accuracy) = try ScalarGraphBenchmark.microgradMLPOnValues(runs: 1)
    #expect(seconds > 0)
    #expect(nodes > 60_000)  // 100 points × ~650 nodes, plus the regularisation
    #expect(loss.isFinite && loss > 0 && (0...1).contains(accuracy))  // after two steps; training itself: MicrogradDemoTests
  }

  /// W7's models have the references' sizes exactly: PyTorch's 1×150 `nn.LSTM` model (189,327,
  /// two biases per gate as ours) and its GPT (204,571: an untied head with bias, `--untied-head`).
  @Test func w7ModelsHaveTheReferenceSizes() {
    let models = LanguageModelBenchmark.models(seed: 0)
    #expect(models.map(\.name) == ["transformer", "lstm"])
    #expect(models[0].model.parameterCount == 204_571)
    #expect(models[1].model.parameterCount == 189_327)
    #expect(models.allSatisfy { $0.model.vocabularySize == 27 && $0.model.contextLength == 16 })
  }
}
