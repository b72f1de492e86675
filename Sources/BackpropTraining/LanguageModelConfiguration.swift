import BackpropCore
import BackpropData
import BackpropNN
import Foundation

/// Everything that defines a language-model run: architecture, sizes, optimisation and data.
/// Stored as JSON in checkpoints, so `sample`, `eval` and `--resume` need only the file.
public struct LanguageModelConfiguration: Codable, Sendable, Equatable {
  /// `bigram` (and, where built, `transformer`, `lstm`, `gru`).
  public var architecture = "bigram"
  /// Transformer blocks or recurrent layers.
  public var layers = 4
  /// Attention heads.
  public var heads = 4
  /// Embedding (model) width.
  public var embedding = 64
  /// Tokens per training window.
  public var contextLength = 16
  /// Optimiser steps in the whole run.
  public var steps = 1000
  /// Windows per step.
  public var batchSize = 32
  /// Peak learning rate of AdamW.
  public var learningRate = 5e-3
  /// AdamW's decoupled weight decay.
  public var weightDecay = 0.01
  /// Global gradient-norm clip (0: none).
  public var gradientClipNorm = 1.0
  /// `constant` or `cosine` (cosine decay to 10 % over `steps`).
  public var schedule = "cosine"
  /// Seed of the split, the initial weights and the batches.
  public var seed: UInt64 = 0
  /// Validation loss every this many steps (and at the end).
  public var evaluateEvery = 200
  /// The corpus file, and whether it is a word list or running text.
  public var corpusPath = ""
  /// `words` or `text`.
  public var corpusKind = TextCorpus.Kind.words.rawValue
  /// Transformer only: a head of its own with a bias (`lm_head.weight`, `lm_head.bias`, as
  /// PyTorch's `nn.Linear(E, V)`) instead of one tied to the token embedding.
  public var untiedHead = false
  /// How the weights start: `nanogpt` (transformer only) or `pytorch` (PyTorch's module
  /// defaults); `nil` is the architecture's default, `nanogpt` for the transformer and
  /// `pytorch` (the only one) for the others.
  public var initialization: String?

  /// The defaults: a bigram model on a word list.
  public init() {}

  /// The architectures this build can train.
  public static let architectures = ["bigram", "transformer", "lstm", "gru"]
  /// The values of `initialization` (`--init`).
  public static let initializations = GPTInitialization.allCases.map(\.rawValue)

  /// `initialization`, or the architecture's default when it is `nil`.
  public var resolvedInitialization: String {
    initialization ?? (architecture == "transformer" ? GPTInitialization.nanoGPT.rawValue : GPTInitialization.pytorch.rawValue)
  }

  /// Checks every field; the message names the CLI option.
  /// - Throws: `TensorError.invalidArgument` with `op` the option, e.g. `--batch-size`.
  public func validate() throws {
    func check(_ ok: Bool, _ option: String, _ message: String) throws {
      if !ok { throw TensorError.invalidArgument(op: option, message: message) }
    }
    try check(Self.architectures.contains(architecture), "--arch", "'\(architecture)' is not one of \(Self.architectures.joined(separator: ", "))")
    try check(layers > 0, "--layers", "must be positive, got \(layers)")
    try check(heads > 0 && (architecture != "transformer" || embedding % heads == 0), "--heads",
              "must be positive and divide --embed \(embedding), got \(heads)")
    try check(embedding > 0, "--embed", "must be positive, got \(embedding)")
    try check(contextLength > 0 && contextLength <= 4096, "--context", "must be in 1…4096, got \(contextLength)")
    try check(steps >= 0, "--steps", "must be ≥ 0, got \(steps)")
    try check(batchSize > 0, "--batch-size", "must be positive, got \(batchSize)")
    try check(learningRate > 0 && learningRate.isFinite, "--lr", "must be positive, got \(learningRate)")
    try check(weightDecay >= 0, "--weight-decay", "must be ≥ 0, got \(weightDecay)")
    try check(gradientClipNorm >= 0, "--clip", "must be ≥ 0, got \(gradientClipNorm)")
    try check(["constant", "cosine"].contains(schedule), "--schedule", "'\(schedule)' is not constant or cosine")
    try check(evaluateEvery > 0, "--eval-every", "must be positive, got \(evaluateEvery)")
    try check(TextCorpus.Kind(rawValue: corpusKind) != nil, "--corpus", "kind '\(corpusKind)' is not words or text")
    try check(!untiedHead || architecture == "transformer", "--untied-head",
              "only the transformer has a head to untie (\(architecture) has \(architecture == "bigram" ? "no head" : "its own head with a bias"))")
    try check(Self.initializations.contains(resolvedInitialization), "--init",
              "'\(resolvedInitialization)' is not one of \(Self.initializations.joined(separator: ", "))")
    try check(architecture == "transformer" || resolvedInitialization == GPTInitialization.pytorch.rawValue, "--init",
              "nanogpt is the transformer's initialisation; \(architecture) has only pytorch")
  }

  /// A freshly initialised model of this configuration for `vocabularySize` tokens.
  public func makeModel(vocabularySize: Int, using generator: inout SeededGenerator) throws -> any LanguageModel<Float> {
    try validate()
    switch architecture {
    case "bigram": return BigramLanguageModel<Float>(vocabularySize: vocabularySize, contextLength: contextLength, using: &generator)
    case "transformer":
      Random.seed(seed)
      return GPT<Float>(GPTConfiguration(vocabularySize: vocabularySize, blockSize: contextLength, layers: layers, heads: heads,
                                         embedDimension: embedding, tiedHead: !untiedHead, headBias: untiedHead),
                        initialization: GPTInitialization(rawValue: resolvedInitialization)!)
    case "lstm", "gru":
      Random.seed(seed)
      return RecurrentLanguageModel<Float>(architecture: architecture, vocabularySize: vocabularySize, embedding: embedding, hidden: embedding,
                                           layers: layers, contextLength: contextLength, using: &generator)
    default: throw TensorError.invalidArgument(op: "--arch", message: "'\(architecture)' is not one of \(Self.architectures.joined(separator: ", "))")
    }
  }
}

extension LanguageModelConfiguration {
  private enum CodingKeys: String, CodingKey {
    case architecture, layers, heads, embedding, contextLength, steps, batchSize, learningRate, weightDecay, gradientClipNorm
    case schedule, seed, evaluateEvery, corpusPath, corpusKind, untiedHead, initialization
  }

  /// Decodes the JSON of `encode(to:)`; `untiedHead` and `initialization`, which checkpoints
  /// written before them lack, default to a tied head and the architecture's initialisation.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    architecture = try c.decode(String.self, forKey: .architecture)
    layers = try c.decode(Int.self, forKey: .layers)
    heads = try c.decode(Int.self, forKey: .heads)
    embedding = try c.decode(Int.self, forKey: .embedding)
    contextLength = try c.decode(Int.self, forKey: .contextLength)
    steps = try c.decode(Int.self, forKey: .steps)
    batchSize = try c.decode(Int.self, forKey: .batchSize)
    learningRate = try c.decode(Double.self, forKey: .learningRate)
    weightDecay = try c.decode(Double.self, forKey: .weightDecay)
    gradientClipNorm = try c.decode(Double.self, forKey: .gradientClipNorm)
    schedule = try c.decode(String.self, forKey: .schedule)
    seed = try c.decode(UInt64.self, forKey: .seed)
    evaluateEvery = try c.decode(Int.self, forKey: .evaluateEvery)
    corpusPath = try c.decode(String.self, forKey: .corpusPath)
    corpusKind = try c.decode(String.self, forKey: .corpusKind)
    untiedHead = try c.decodeIfPresent(Bool.self, forKey: .untiedHead) ?? false
    initialization = try c.decodeIfPresent(String.self, forKey: .initialization)
  }
}
