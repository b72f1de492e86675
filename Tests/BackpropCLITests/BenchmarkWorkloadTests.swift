import BackpropBenchmarks
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

  /// W7's models have the references' sizes: PyTorch's `nn.LSTM` model exactly (36,763, two
  /// biases per gate as ours), the GPT PyTorch's 204,571 less the 27 head biases (our head is a
  /// bias-free `lm_head` as nanoGPT's).
  @Test func w7ModelsHaveTheReferenceSizes() {
    let models = LanguageModelBenchmark.models(seed: 0)
    #expect(models.map(\.name) == ["transformer", "lstm"])
    #expect(models[0].model.parameterCount == 204_571 - 27)
    #expect(models[1].model.parameterCount == 36_763)
    #expect(models.allSatisfy { $0.model.vocabularySize == 27 && $0.model.contextLength == 16 })
  }
}
