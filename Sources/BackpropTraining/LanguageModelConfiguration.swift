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

  /// The defaults: a bigram model on a word list.
  public init() {}

  /// The architectures this build can train.
  public static let architectures = ["bigram", "transformer", "lstm", "gru"]

  /// Checks every field; the message names the CLI option.
  /// - Throws: `TensorError.invalidArgument` with `op` the option, e.g. `--batch-size`.
  public func validate() throws {
    func check(_ ok: Bool, _ option: String, _ message: String) throws {
      if !ok { throw TensorError.invalidArgument(op: option, message: message) }
    }
    try check(Self.architectures.contains(architecture), "--arch", "'\(architecture)' is not one of \(Self.architectures.joined(separator: ", "))")
    try check(layers > 0, "--layers", "must be positive, got \(layers)")
    try check(heads > 0 && embedding % heads == 0, "--heads", "must be positive and divide --embed \(embedding), got \(heads)")
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
  }

  /// A freshly initialised model of this configuration for `vocabularySize` tokens.
  public func makeModel(vocabularySize: Int, using generator: inout SeededGenerator) throws -> any LanguageModel<Float> {
    try validate()
    switch architecture {
    case "bigram": return BigramLanguageModel<Float>(vocabularySize: vocabularySize, contextLength: contextLength, using: &generator)
    case "transformer":
      Random.seed(seed)
      return GPT<Float>(GPTConfiguration(vocabularySize: vocabularySize, blockSize: contextLength, layers: layers, heads: heads, embedDimension: embedding))
    case "lstm", "gru":
      Random.seed(seed)
      return RecurrentLanguageModel<Float>(architecture: architecture, vocabularySize: vocabularySize, embedding: embedding, hidden: embedding,
                                           layers: layers, contextLength: contextLength, using: &generator)
    default: throw TensorError.invalidArgument(op: "--arch", message: "'\(architecture)' is not one of \(Self.architectures.joined(separator: ", "))")
    }
  }
}
