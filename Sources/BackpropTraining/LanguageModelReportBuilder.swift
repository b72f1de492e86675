import BackpropCore
import BackpropData
import BackpropIO
import BackpropNN
import BackpropViz
import Foundation

/// Collects what `backprop lm train --report FILE` shows while a `LanguageModelTrainer` runs
/// (losses and samples at each evaluation) and, at the end, adds the attention maps of one
/// test sequence and writes the HTML file.
///
/// ```swift
/// let builder = LanguageModelReportBuilder(trainer: trainer, command: "backprop lm train …", path: "r.html")
/// try trainer.train(onRecord: { try builder.record($0, trainer: trainer) })
/// print(try builder.write(trainer))
/// ```
public final class LanguageModelReportBuilder {
  /// The report so far.
  public private(set) var report: LanguageModelReport
  /// Where `write` puts it.
  public let path: String
  /// Samples drawn at each evaluation point.
  public let samplesPerPoint: Int

  /// A report for `trainer`'s run; evaluations already in its history (a resumed run) come first,
  /// without samples (the model that made them is gone).
  public init(trainer: LanguageModelTrainer, command: String, path: String, samplesPerPoint: Int = 8) {
    let c = trainer.configuration
    report = LanguageModelReport(
      title: "Language model report: \(c.architecture) on \(URL(fileURLWithPath: trainer.corpus.path).lastPathComponent)",
      subtitle: "\(c.architecture), \(groupedThousands(trainer.model.parameterCount)) parameters, "
        + "\(trainer.corpus.vocabulary.count) tokens, context \(c.contextLength)",
      command: command, seed: c.seed)
    report.notes = [
      "AdamW, learning rate \(c.learningRate) (\(c.schedule)), weight decay \(c.weightDecay), batch size \(c.batchSize), "
        + "\(c.steps) steps" + (c.gradientClipNorm > 0 ? ", gradient norm clipped at \(c.gradientClipNorm)" : ""),
      "Corpus \(trainer.corpus.path) (\(trainer.corpus.kind.rawValue)): \(trainer.corpus.sequences[.train]!.count) training sequences",
      "Samples: temperature 1, seed \(c.seed) plus the step",
    ]
    self.path = path
    self.samplesPerPoint = samplesPerPoint
    for r in trainer.history { report.points.append(Self.point(r)) }
  }

  static func point(_ r: LanguageModelRecord) -> LanguageModelReport.Point {
    LanguageModelReport.Point(step: r.step, trainLoss: r.trainLoss, validationLoss: r.validationLoss)
  }

  /// Adds an evaluation and `samplesPerPoint` samples drawn from the model now.
  public func record(_ r: LanguageModelRecord, trainer: LanguageModelTrainer) throws {
    report.points.append(Self.point(r))
    let texts = try trainer.sample(count: samplesPerPoint, temperature: 1, maxLength: 4 * trainer.configuration.contextLength,
                                   seed: trainer.configuration.seed &+ UInt64(r.step))
    report.samples.append(LanguageModelReport.Samples(step: r.step, texts: texts))
  }

  /// The sequence whose attention the report shows: the first test sequence (else the first
  /// training one), from its start, cut to the context. Returns tokens and their labels
  /// (`·` for the boundary token).
  public static func attentionSequence(_ corpus: TextCorpus, contextLength: Int) -> (tokens: [Int], labels: [String]) {
    let source = corpus.sequences[.test]?.first ?? corpus.sequences[.train]?.first ?? [CharacterVocabulary.boundary]
    let tokens = Array(source.prefix(contextLength))
    let labels = tokens.map { $0 == CharacterVocabulary.boundary ? "·" : corpus.vocabulary.decode([$0]) }
    return (tokens, labels)
  }

  /// The attention maps of `tokens` for every layer and head of `model` (empty for a model
  /// without attention): `GPT.attentionWeights`, copied into the report's rows.
  public static func attentionMaps(_ model: any LanguageModel<Float>, tokens: [Int]) -> [LanguageModelReport.AttentionMap] {
    guard let gpt = model as? GPT<Float> else { return [] }
    var maps: [LanguageModelReport.AttentionMap] = []
    for (layer, weights) in gpt.attentionWeights(tokens).enumerated() {
      let (heads, t) = (weights.shape[0], weights.shape[1])
      let values = weights.scalars.map(Double.init)
      for head in 0..<heads {
        let rows = (0..<t).map { i in Array(values[(head * t + i) * t..<(head * t + i + 1) * t]) }
        maps.append(LanguageModelReport.AttentionMap(layer: layer, head: head, weights: rows))
      }
    }
    return maps
  }

  /// Adds the attention maps of the attention sequence and writes the report atomically.
  /// - Returns: a line saying where it went.
  /// - Throws: `DataError.ioFailed`-style errors from `AtomicFile` naming the path.
  public func write(_ trainer: LanguageModelTrainer) throws -> String {
    let (tokens, labels) = Self.attentionSequence(trainer.corpus, contextLength: trainer.configuration.contextLength)
    report.attentionTokens = labels
    report.attentionMaps = Self.attentionMaps(trainer.model, tokens: tokens)
    try AtomicFile.write(Data(report.html().utf8), to: URL(fileURLWithPath: path))
    return "report written to \(path)"
  }
}
