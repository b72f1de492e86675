import Backprop
import Foundation

/// W7: character language-model training steps and sampling, the shapes of
/// `bench/ref_pytorch.py --workload W7` and `bench/ref_jax.py --workload W7`.
///
/// One step is what `LanguageModelTrainer.step()` does: logits of a seeded `64 × 16` batch of
/// random ids over 27 tokens, mean cross-entropy, backward, global-norm clip at 1, AdamW
/// (lr 5e-4, weight decay 0.01). Models: (a) a 4-layer, 4-head, 64-dim pre-LayerNorm GPT
/// with an untied head with bias and PyTorch's initialisation (as the references' `nn.Linear`
/// head: the same 204,571 parameters), (b) a 1-layer LSTM of 150 units with embedding 150 and
/// a linear head (189,327 parameters: the 1×150 LSTM whose accuracy BENCHMARKS.md compares with
/// PyTorch's, at W7's 27 tokens). Sampling: tokens per second of `LanguageModel.sample`
/// (batch 1, temperature 1, 15 new tokens after one start token: the whole 16-token context).
public enum LanguageModelBenchmark {
  static let vocabulary = 27, context = 16, batchSize = 64, embed = 64, lstmWidth = 150, sampledTokens = 15

  /// The transformer and LSTM models of W7, freshly initialised from `seed`.
  public static func models(seed: UInt64) -> [(name: String, model: any LanguageModel<Float>)] {
    Random.seed(seed)
    let gpt = GPT<Float>(GPTConfiguration(vocabularySize: vocabulary, blockSize: context, layers: 4, heads: 4,
                                          embedDimension: embed, tiedHead: false, headBias: true),
                          initialization: .pytorch)
    Random.seed(seed)
    var generator = SeededGenerator(seed: seed)
    let lstm = RecurrentLanguageModel<Float>(architecture: "lstm", vocabularySize: vocabulary, embedding: lstmWidth, hidden: lstmWidth,
                                             layers: 1, contextLength: context, using: &generator)
    return [("transformer", gpt), ("lstm", lstm)]
  }

  /// Median steps per second (warm-up 3, at least 20 timed steps) and sampled tokens per second
  /// for each model; the loss after the timed steps is reported so runs can be checked for sanity.
  public static func run(runs: Int, seed: UInt64 = 0) throws -> [BenchmarkResult] {
    let settings = ComputeSettings.current
    var generator = SeededGenerator(seed: seed &+ 1)
    let rows = (0..<batchSize).map { _ in (0...context).map { _ in Int.random(in: 0..<vocabulary, using: &generator) } }
    let inputs = rows.flatMap { $0.dropLast() }, targets = rows.flatMap { $0.dropFirst() }
    var results: [BenchmarkResult] = []
    for (name, model) in models(seed: seed) {
      let optimizer = AdamW(model.parameters, learningRate: 5e-4, weightDecay: 0.01)
      var lastLoss: Float = .nan
      func step() {
        optimizer.zeroGrad()
        let loss = languageModelLoss(logits: model.logits(inputs, batchSize: batchSize), targets: targets)
        loss.backward()
        _ = clipGradientNorm(model.parameters, maxNorm: 1)
        optimizer.step()
        lastLoss = loss.item
      }
      let seconds = Stopwatch.median(warmup: 3, runs: Swift.max(runs, 20), step)
      let extra = ["parameters": "\(model.parameterCount)", "batch": "\(batchSize)", "context": "\(context)",
                   "loss_after": String(format: "%.4f", lastLoss), "dtype": "float32"]
      results.append(BenchmarkResult(workload: "W7", case: "\(name)_step", settings: settings, metric: "steps_per_second",
                                     value: 1 / seconds, unit: "steps/s", lowerIsBetter: false, extra: extra))
      model.isTraining = false
      var sampler = SeededGenerator(seed: seed)
      var produced = 0
      let sampleSeconds = Stopwatch.median(warmup: 3, runs: Swift.max(runs, 20)) {
        produced = model.sample(prompt: [0], maxNewTokens: sampledTokens, temperature: 1, stopToken: nil, using: &sampler).count
      }
      results.append(BenchmarkResult(workload: "W7", case: "\(name)_sample", settings: settings, metric: "tokens_per_second",
                                     value: Double(produced) / sampleSeconds, unit: "tokens/s", lowerIsBetter: false,
                                     extra: ["parameters": "\(model.parameterCount)", "tokens": "\(produced)", "batch": "1"]))
    }
    return results
  }
}
