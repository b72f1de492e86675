import BackpropCore
import BackpropData
import BackpropIO
import BackpropNN
import BackpropOptim
import Foundation

/// A language-model run in one safetensors file: the parameters under their state-dict names,
/// AdamW's buffers as `optimizer.<parameter>.<slot>`, and metadata
///
/// | key                 | value                                                  |
/// |---------------------|--------------------------------------------------------|
/// | `format`            | `backprop-lm`                                          |
/// | `lm`                | the `LanguageModelConfiguration`, as JSON (arch, sizes, corpus) |
/// | `vocabulary`        | the characters after the boundary token, in token order |
/// | `step`              | steps completed                                        |
/// | `corpus.seed`, `corpus.fractions` | the split: seed, validation and test shares |
/// | `optimizer.steps`, `optimizer.step_count` | AdamW's counters             |
/// | `batch_generator`   | the batch sampler's state, four words                  |
/// | `history`           | the `LanguageModelRecord`s, as JSON                    |
///
/// so `sample` and `eval` need only the file. Writes are atomic (`AtomicFile`).
public enum LanguageModelCheckpoint {
  /// The `format` metadata value.
  public static let format = "backprop-lm"

  /// Saves `trainer` to `url` atomically.
  /// - Throws: `DataError.ioFailed` naming the file.
  public static func save(_ trainer: LanguageModelTrainer, to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var metadata: [String: String] = [
      "format": format,
      "lm": String(decoding: try encoder.encode(trainer.configuration), as: UTF8.self),
      "vocabulary": trainer.corpus.vocabulary.encodedCharacters,
      "step": String(trainer.completedSteps),
      "corpus.seed": String(trainer.corpus.seed),
      "corpus.fractions": "\(trainer.corpus.validationFraction),\(trainer.corpus.testFraction)",
      "batch_generator": trainer.batchGenerator.stateWords.map(String.init).joined(separator: ","),
      "history": String(decoding: try encoder.encode(trainer.history), as: UTF8.self),
    ]
    precondition(trainer.dataParallel?.shardedStateIsStale != true,
                 "LanguageModelCheckpoint.save: after sharded steps each rank's optimizer state is current only on its shards; "
                   + "call dataParallel.completeState(of: optimizer) on every rank first")
    let state = trainer.optimizer.state
    metadata["optimizer.steps"] = state.steps.map(String.init).joined(separator: ",")
    metadata["optimizer.step_count"] = String(state.stepCount)
    var tensors: [String: SafeTensor] = [:]
    let named = trainer.model.namedParameters
    for (name, p) in named { tensors[name] = try SafeTensor(floats: p.scalars, shape: p.shape) }
    for (slot, buffers) in state.slots {
      for (k, buffer) in buffers.enumerated() {
        guard let buffer else { continue }
        tensors["optimizer.\(named[k].0).\(slot)"] = try SafeTensor(floats: buffer, shape: named[k].1.shape)
      }
    }
    try SafeTensorsFile(tensors: tensors, metadata: metadata).write(to: url)
  }

  /// A checkpoint's model, configuration, vocabulary and raw file.
  public struct Loaded {
    /// The model with the saved weights.
    public var model: any LanguageModel<Float>
    /// The saved run settings.
    public var configuration: LanguageModelConfiguration
    /// The saved vocabulary.
    public var vocabulary: CharacterVocabulary
    /// The file, for training state.
    public var file: SafeTensorsFile
  }

  /// Loads the model of a checkpoint, checking every field first; one line naming the file
  /// for anything wrong (another format, unknown architecture, missing or misshapen tensor).
  public static func loadModel(contentsOf url: URL) throws -> Loaded {
    let file = try SafeTensorsFile(contentsOf: url)
    func bad(_ reason: String) -> DataError { .malformed(path: url.path, reason: reason) }
    guard file.metadata["format"] == format else {
      throw bad("is not a language-model checkpoint (no 'format: \(format)' metadata; `backprop train` files are used with `backprop eval`)")
    }
    guard let text = file.metadata["lm"], let configuration = try? JSONDecoder().decode(LanguageModelConfiguration.self, from: Data(text.utf8))
    else { throw bad("the 'lm' metadata is missing or not valid settings") }
    do { try configuration.validate() } catch let e as TensorError { throw bad("'lm' metadata: \(e)") }
    guard let characters = file.metadata["vocabulary"] else { throw bad("has no 'vocabulary' metadata") }
    let vocabulary = CharacterVocabulary(characters: characters)
    guard vocabulary.count == characters.count + 1 else { throw bad("the 'vocabulary' metadata repeats a character") }
    var generator = SeededGenerator(seed: 0)
    let model = try configuration.makeModel(vocabularySize: vocabulary.count, using: &generator)
    for (name, p) in model.namedParameters {
      guard let t = file.tensors[name] else { throw bad("has no tensor '\(name)' that a \(configuration.architecture) model needs") }
      guard t.shape == p.shape else { throw bad("tensor '\(name)' has shape \(t.shape); the \(configuration.architecture) model needs \(p.shape)") }
      let values = try t.floats()
      guard values.allSatisfy(\.isFinite) else { throw bad("tensor '\(name)' holds NaN or infinity") }
      p.update { $0 = values }
    }
    return Loaded(model: model, configuration: configuration, vocabulary: vocabulary, file: file)
  }

  /// Loads a checkpoint ready to continue training on its corpus (re-read and re-split with the
  /// saved seed; it must give the saved vocabulary).
  /// - Parameter corpusPath: read this file instead of the saved path (same contents expected).
  public static func loadTrainer(contentsOf url: URL, corpusPath: String? = nil) throws -> LanguageModelTrainer {
    let loaded = try loadModel(contentsOf: url)
    let c = loaded.configuration
    func bad(_ reason: String) -> DataError { .malformed(path: url.path, reason: reason) }
    let m = loaded.file.metadata
    let fractions = (m["corpus.fractions"] ?? "").split(separator: ",").compactMap { Double($0) }
    guard let seed = UInt64(m["corpus.seed"] ?? ""), fractions.count == 2 else {
      throw bad("'corpus.seed' or 'corpus.fractions' metadata is missing or malformed")
    }
    let corpus = try TextCorpus(contentsOf: URL(fileURLWithPath: corpusPath ?? c.corpusPath), kind: TextCorpus.Kind(rawValue: c.corpusKind)!,
                                seed: seed, validationFraction: fractions[0], testFraction: fractions[1])
    guard corpus.vocabulary == loaded.vocabulary else {
      throw bad("its vocabulary differs from the one \(corpus.path) gives now; the corpus has changed")
    }
    let trainer = try LanguageModelTrainer(model: loaded.model, corpus: corpus, configuration: c)
    guard let step = Int(m["step"] ?? ""), step >= 0, step <= c.steps else { throw bad("'step' metadata is missing or outside 0…\(c.steps)") }
    trainer.completedSteps = step
    let words = (m["batch_generator"] ?? "").split(separator: ",").compactMap { UInt64($0) }
    guard words.count == 4 else { throw bad("'batch_generator' metadata must be four whole numbers") }
    trainer.batchGenerator = SeededGenerator(stateWords: words)
    if let h = m["history"] {
      guard let history = try? JSONDecoder().decode([LanguageModelRecord].self, from: Data(h.utf8)) else { throw bad("'history' metadata is not a list of records") }
      trainer.history = history
    }
    let named = trainer.model.namedParameters
    let steps = (m["optimizer.steps"] ?? "").split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
    guard steps.count == named.count, steps.allSatisfy({ ($0 ?? -1) >= 0 }), let stepCount = Int(m["optimizer.step_count"] ?? "") else {
      throw bad("'optimizer.steps' or 'optimizer.step_count' metadata is missing or malformed")
    }
    var slots: [String: [[Float]?]] = [:]
    for slot in trainer.optimizer.state.slots.keys {
      slots[slot] = try named.enumerated().map { k, np in
        guard let t = loaded.file.tensors["optimizer.\(np.0).\(slot)"] else {
          if steps[k]! > 0 { throw bad("has no tensor 'optimizer.\(np.0).\(slot)' though that parameter took \(steps[k]!) steps") }
          return nil
        }
        let values = try t.floats()
        guard values.count == np.1.count, values.allSatisfy(\.isFinite) else { throw bad("tensor 'optimizer.\(np.0).\(slot)' has the wrong size or non-finite values") }
        return values
      }
    }
    do { try trainer.optimizer.loadState(OptimizerState(steps: steps.map { $0! }, slots: slots, stepCount: stepCount)) } catch let e as TensorError {
      throw bad("optimizer state: \(e)")
    }
    return trainer
  }

  /// `count` samples from `model`: each starts at the boundary token followed by `prompt` and
  /// runs to the next boundary token or `maxLength` new characters; the prompt is included.
  /// - Throws: `TensorError.invalidArgument` (op `--prompt`) for a character outside the
  ///   vocabulary, or a prompt longer than the model's context.
  public static func sample(
    _ model: any LanguageModel<Float>, vocabulary: CharacterVocabulary, kind: TextCorpus.Kind, count: Int, temperature: Double,
    prompt: String, maxLength: Int, seed: UInt64
  ) throws -> [String] {
    guard temperature > 0, temperature.isFinite else { throw TensorError.invalidArgument(op: "--temperature", message: "must be positive, got \(temperature)") }
    guard count >= 0 else { throw TensorError.invalidArgument(op: "--count", message: "must be ≥ 0, got \(count)") }
    let tokens = try vocabulary.encode(prompt, source: "--prompt")
    guard tokens.count < model.contextLength else {
      throw TensorError.invalidArgument(op: "--prompt", message: "\(tokens.count) characters do not fit the model's context of \(model.contextLength) (with the start token)")
    }
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
      let new = model.sample(prompt: [CharacterVocabulary.boundary] + tokens, maxNewTokens: maxLength, temperature: temperature,
                             stopToken: kind == .words ? CharacterVocabulary.boundary : nil, using: &generator)
      return prompt + vocabulary.decode(new)
    }
  }
}
