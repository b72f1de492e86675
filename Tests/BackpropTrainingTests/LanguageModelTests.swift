import BackpropCore
import BackpropData
import BackpropIO
import BackpropNN
import Foundation
import Testing

@testable import BackpropTraining

@Suite struct LanguageModelTests {
  static let names = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail",
                      "emily", "ella", "elizabeth", "camila", "luna", "sofia", "avery", "mila", "aria", "scarlett"]
  let corpus = try! TextCorpus(text: (0..<5).flatMap { i in names.map { $0 + String(repeating: "a", count: i % 2) } }.joined(separator: "\n"),
                               kind: .words, path: "names.txt", seed: 1)

  func configuration(steps: Int = 60) -> LanguageModelConfiguration {
    var c = LanguageModelConfiguration()
    c.steps = steps
    c.batchSize = 16
    c.contextLength = 12
    c.learningRate = 0.1
    c.evaluateEvery = 20
    c.corpusPath = "names.txt"
    return c
  }

  func temporaryFile(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("backprop-lm-\(UUID().uuidString)-\(name)")
  }

  /// The loss is −log softmax at the target, averaged over the positions that are not ignored.
  @Test func lossSkipsIgnoredTargetsAndMatchesTheDefinition() {
    let logits = Tensor<Double>(shape: [1, 3, 2], scalars: [0.5, -1, 2, 0, 0.3, 0.3])
    let loss = languageModelLoss(logits: logits, targets: [1, -1, 0])
    let expected = ((log(exp(0.5) + exp(-1)) + 1) + log(2.0)) / 2
    #expect(abs(loss.item - expected) < 1e-12)
    var g = SeededGenerator(seed: 0)
    let model = BigramLanguageModel<Double>(vocabularySize: 3, contextLength: 4, using: &g)
    languageModelLoss(logits: model.logits([0, 1, 2, 1], batchSize: 2), targets: [1, -1, 2, 0]).backward()
    // Row 1 of the table scores the ignored position and the last one: only the latter adds gradient.
    let w = model.weight.scalars, grad = model.weight.grad!.scalars
    let p = (0..<3).map { exp(w[3 + $0]) / (0..<3).map { exp(w[3 + $0]) }.reduce(0, +) }
    #expect(zip(grad[3..<6], [p[0] - 1, p[1], p[2]]).allSatisfy { abs($0 - $1 / 3) < 1e-12 })
  }

  @Test func bigramTrainingLowersTheValidationLoss() throws {
    let trainer = try LanguageModelTrainer(corpus: corpus, configuration: configuration(steps: 150))
    let before = try trainer.evaluate(.validation)
    try trainer.train()
    let after = trainer.history.last!.validationLoss
    #expect(trainer.history.map(\.step) == [20, 40, 60, 80, 100, 120, 140, 150])
    #expect(before > 3 && after < 2.4, "validation loss \(before) → \(after) nats/char")
    #expect(abs(trainer.history.last!.validationPerplexity - exp(after)) < 1e-9)
  }

  @Test func resumingGivesTheSameRunAsNotStopping() throws {
    let straight = try LanguageModelTrainer(corpus: corpus, configuration: configuration(steps: 40))
    try straight.train()
    let url = temporaryFile("run.safetensors")
    let words = temporaryFile("names.txt")
    defer { try? FileManager.default.removeItem(at: url); try? FileManager.default.removeItem(at: words) }
    try (0..<5).flatMap { i in Self.names.map { $0 + String(repeating: "a", count: i % 2) } }.joined(separator: "\n")
      .write(to: words, atomically: true, encoding: .utf8)
    var c = configuration(steps: 40)
    c.corpusPath = words.path
    let first = try LanguageModelTrainer(corpus: try TextCorpus(contentsOf: words, kind: .words, seed: 1), configuration: c)
    while first.completedSteps < 25 { try first.step() }
    try LanguageModelCheckpoint.save(first, to: url)
    let resumed = try LanguageModelCheckpoint.loadTrainer(contentsOf: url)
    #expect(resumed.completedSteps == 25)
    #expect(resumed.model.parameters[0].scalars == first.model.parameters[0].scalars, "weights")
    #expect(resumed.optimizer.state == first.optimizer.state, "optimizer")
    #expect(resumed.batchGenerator == first.batchGenerator, "batches")
    #expect(resumed.corpus.sequences == corpus.sequences, "the corpus is re-split with the saved seed")
    try resumed.train()
    #expect(resumed.model.parameters[0].scalars == straight.model.parameters[0].scalars)
    let loaded = try LanguageModelCheckpoint.loadModel(contentsOf: url)
    #expect(loaded.configuration == c && loaded.vocabulary == corpus.vocabulary)
  }

  @Test func samplesAreWordsAndDependOnTheSeed() throws {
    let trainer = try LanguageModelTrainer(corpus: corpus, configuration: configuration(steps: 100))
    try trainer.train()
    let a = try trainer.sample(count: 10, temperature: 0.8, seed: 3)
    #expect(a == (try trainer.sample(count: 10, temperature: 0.8, seed: 3)))
    #expect(a != (try trainer.sample(count: 10, temperature: 0.8, seed: 4)))
    #expect(a.allSatisfy { !$0.contains("\n") && !$0.contains("\u{0}") })
    let prompted = try trainer.sample(count: 3, temperature: 1, prompt: "em", seed: 0)
    #expect(prompted.allSatisfy { $0.hasPrefix("em") })
    #expect(throws: TensorError.invalidArgument(op: "--prompt", message: "character \"Q\" is not in the model's vocabulary of \(corpus.vocabulary.count - 1) characters")) {
      _ = try trainer.sample(count: 1, temperature: 1, prompt: "eQ", seed: 0)
    }
    #expect(throws: TensorError.self) { _ = try trainer.sample(count: 1, temperature: 1, prompt: String(repeating: "a", count: 12), seed: 0) }
  }

  @Test func aFileThatIsNotALanguageModelIsRejectedNamingIt() throws {
    let url = temporaryFile("plain.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafeTensorsFile(tensors: ["weight": try SafeTensor(floats: [1], shape: [1])]).write(to: url)
    #expect(throws: DataError.malformed(path: url.path, reason: "is not a language-model checkpoint (no 'format: backprop-lm' metadata; `backprop train` files are used with `backprop eval`)")) {
      _ = try LanguageModelCheckpoint.loadModel(contentsOf: url)
    }
    var c = configuration()
    c.architecture = "bigram"
    let t = try LanguageModelTrainer(corpus: corpus, configuration: c)
    try LanguageModelCheckpoint.save(t, to: url)
    var file = try SafeTensorsFile(contentsOf: url)
    file.tensors["weight"] = try SafeTensor(floats: [1, 2], shape: [1, 2])
    try file.write(to: url)
    let v = corpus.vocabulary.count
    #expect(throws: DataError.malformed(path: url.path, reason: "tensor 'weight' has shape [1, 2]; the bigram model needs [\(v), \(v)]")) {
      _ = try LanguageModelCheckpoint.loadModel(contentsOf: url)
    }
  }

  /// `untiedHead` and `initialization` round-trip through a checkpoint and rebuild the same model.
  @Test func untiedHeadAndInitializationRoundTrip() throws {
    var c = configuration(steps: 3)
    (c.architecture, c.layers, c.heads, c.embedding) = ("transformer", 1, 2, 8)
    let tied = try LanguageModelTrainer(corpus: corpus, configuration: c)
    c.untiedHead = true
    c.initialization = "pytorch"
    let trainer = try LanguageModelTrainer(corpus: corpus, configuration: c)
    let v = corpus.vocabulary.count
    #expect(trainer.model.parameterCount == tied.model.parameterCount + 8 * v + v)
    #expect(trainer.model.namedParameters.suffix(2).map(\.0) == ["lm_head.weight", "lm_head.bias"])
    try trainer.train()
    let url = temporaryFile("untied.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try LanguageModelCheckpoint.save(trainer, to: url)
    let loaded = try LanguageModelCheckpoint.loadModel(contentsOf: url)
    #expect(loaded.configuration == c)
    #expect(zip(loaded.model.namedParameters, trainer.model.namedParameters).allSatisfy { $0.0 == $1.0 && $0.1.scalars == $1.1.scalars })
    // A checkpoint written before the two settings existed decodes as a tied, default-initialised model.
    var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as! [String: Any]
    json["untiedHead"] = nil
    json["initialization"] = nil
    let old = try JSONDecoder().decode(LanguageModelConfiguration.self, from: JSONSerialization.data(withJSONObject: json))
    #expect(!old.untiedHead && old.initialization == nil && old.resolvedInitialization == "nanogpt")
  }

  /// PyTorch's initialisation draws embeddings from N(0, 1), nanoGPT's from N(0, 0.02²).
  @Test func pytorchInitializationDiffersFromNanoGPT() throws {
    func std(_ t: Tensor<Float>) -> Double {
      let x = t.scalars.map(Double.init), m = x.reduce(0, +) / Double(x.count)
      return (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count)).squareRoot()
    }
    var c = configuration()
    (c.architecture, c.layers, c.heads, c.embedding) = ("transformer", 1, 2, 16)
    let nano = try LanguageModelTrainer(corpus: corpus, configuration: c).model as! GPT<Float>
    c.initialization = "pytorch"
    c.untiedHead = true
    let torch = try LanguageModelTrainer(corpus: corpus, configuration: c).model as! GPT<Float>
    #expect(abs(std(nano.tokenEmbedding.weight) - 0.02) < 0.005 && abs(std(torch.tokenEmbedding.weight) - 1) < 0.2)
    // nn.Linear(4E, E): U(±1/√(4E)), std 1/√(3·4E); the bias is drawn too (nanoGPT's is zero).
    let mlpOut = torch.blocks[0].mlpOut
    #expect(abs(std(mlpOut.weight) - 1 / (3.0 * 64).squareRoot()) < 0.01 && mlpOut.bias!.scalars.contains { $0 != 0 })
    #expect(nano.blocks[0].mlpOut.bias!.scalars.allSatisfy { $0 == 0 })
    #expect(torch.blocks[0].attentionProjection.bias!.scalars.allSatisfy { $0 == 0 }, "nn.MultiheadAttention zeroes in_proj_bias")
  }

  /// The two settings are refused where they mean nothing, naming the option.
  @Test func untiedHeadAndInitializationAreRefusedForOtherArchitectures() throws {
    var c = configuration()
    c.architecture = "lstm"
    #expect(c.resolvedInitialization == "pytorch")
    try c.validate()
    c.untiedHead = true
    #expect(throws: TensorError.invalidArgument(op: "--untied-head", message: "only the transformer has a head to untie (lstm has its own head with a bias)")) {
      try c.validate()
    }
    c.untiedHead = false
    c.initialization = "nanogpt"
    #expect(throws: TensorError.invalidArgument(op: "--init", message: "nanogpt is the transformer's initialisation; lstm has only pytorch")) {
      try c.validate()
    }
    c.architecture = "transformer"
    try c.validate()
    c.initialization = "xavier"
    #expect(throws: TensorError.invalidArgument(op: "--init", message: "'xavier' is not one of nanogpt, pytorch")) { try c.validate() }
  }

  /// --heads must divide --embed only for the transformer (an LSTM of 150 units keeps the default 4 heads).
  @Test func headsMustDivideTheWidthOnlyForTheTransformer() throws {
    var c = configuration()
    c.architecture = "lstm"
    c.embedding = 150
    try c.validate()
    c.architecture = "transformer"
    #expect(throws: TensorError.invalidArgument(op: "--heads", message: "must be positive and divide --embed 150, got \(c.heads)")) {
      try c.validate()
    }
  }
}
