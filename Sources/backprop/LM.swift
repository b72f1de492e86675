import ArgumentParser
import Backprop
import Foundation

/// `backprop lm`: character-level language models (train, sample, eval).
struct LMCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lm",
    abstract: "Train character-level language models on a word list or a text file, sample from them, evaluate them.",
    subcommands: [LMTrainCommand.self, LMSampleCommand.self, LMEvalCommand.self])
}

/// Where Debian's `wamerican` puts the word list that `--corpus words` reads.
let systemWordList = "/usr/share/dict/american-english"

/// The corpus named by `--corpus` (`words` or a path) and `--corpus-kind`.
func loadCorpus(_ corpus: String, kind: String?, seed: UInt64) throws -> TextCorpus {
  let path = corpus == "words" ? systemWordList : corpus
  if corpus == "words", !FileManager.default.fileExists(atPath: path) {
    throw DataError.datasetMissing(name: "word list", reason: "\(path) does not exist", hint: "apt-get install wamerican, or pass --corpus PATH")
  }
  let kindName = kind ?? (corpus == "words" ? "words" : "text")
  guard let k = TextCorpus.Kind(rawValue: kindName) else { throw CommandError("--corpus-kind: '\(kindName)' is not words or text") }
  return try TextCorpus(contentsOf: URL(fileURLWithPath: path), kind: k, seed: seed)
}

/// `backprop lm train`.
struct LMTrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "Train a character-level language model; --save writes a checkpoint that sample/eval/--resume read.")

  @Option(help: "'words' (the system word list, \(systemWordList)) or the path of a UTF-8 file.") var corpus: String = "words"
  @Option(help: "How to read the file: words (one sequence per line) or text (one stream); default words for 'words', else text.")
  var corpusKind: String?
  @Option(help: "Architecture: \(LanguageModelConfiguration.architectures.joined(separator: ", ")).") var arch: String = "bigram"
  @Option(help: "Transformer blocks or recurrent layers.") var layers: Int = 4
  @Option(help: "Attention heads.") var heads: Int = 4
  @Option(help: "Embedding width.") var embed: Int = 64
  @Option(help: "Context length (tokens per training window).") var context: Int = 16
  @Flag(help: "Transformer: an output head of its own with a bias (lm_head.weight, lm_head.bias), as PyTorch's nn.Linear, instead of one tied to the token embedding.")
  var untiedHead = false
  @Option(name: .customLong("init"), help: "Initial weights: nanogpt (N(0, 0.02²), the transformer's default) or pytorch (PyTorch's module defaults; the only one for lstm, gru, bigram).")
  var initialization: String?
  @Option(help: "Optimiser steps (default 1000 unless --epochs is given).") var steps: Int?
  @Option(help: "Passes over the training sequences, converted to steps.") var epochs: Double?
  @Option(help: "Windows per step (per rank with --distributed: N ranks take N times as many).") var batchSize: Int = 32
  @Option(help: "Peak learning rate (AdamW).") var lr: Double = 5e-3
  @Option(help: "AdamW weight decay.") var weightDecay: Double = 0.01
  @Option(help: "Gradient-norm clip (0: none).") var clip: Double = 1.0
  @Option(help: "Learning-rate schedule: cosine or constant.") var schedule: String = "cosine"
  @Option(help: "Validation loss every this many steps.") var evalEvery: Int = 200
  @Option(help: "Seed of the split, the weights and the batches.") var seed: UInt64 = 0
  @Option(help: "Write the checkpoint here (after every evaluation and at the end).") var save: String?
  @Option(help: "Continue the run saved in this checkpoint (--steps may raise its total).") var resume: String?
  @Option(help: "Write a self-contained HTML report: loss curves, samples at each evaluation, attention maps per layer and head.")
  var report: String?
  @OptionGroup var threading: ThreadOptions
  @Flag(help: "Print no progress.") var quiet = false
  @Flag(help: "Print one JSON object instead of text.") var json = false
  @OptionGroup var parallel: DistributedOptions

  struct Report: Encodable {
    /// Under `--distributed`: ranks, the weights' digest (equal on all) and how ranks waited.
    var ranks: Int?
    var weightsDigest: String?
    var mpiWait: String?
    /// Whether the last step's optimizer step was sharded across the ranks (`BACKPROP_SHARDED_UPDATE`).
    var shardedUpdate: Bool?
    var architecture: String
    var parameters: Int
    var steps: Int
    var vocabulary: Int
    var history: [LanguageModelRecord]
    var validationLoss: Double
    var validationPerplexity: Double
    var seconds: Double
    var stepsPerSecond: Double
  }

  func run() throws {
    try threading.apply()
    try parallel.validate()
    if parallel.gradientBlocks != nil {
      // Its first parameter is the embedding (tied to the head in a transformer): no blocks.
      throw CommandError("--gradient-blocks applies to train (an MLP's first layer), not to lm train")
    }
    guard let world = try parallel.join() else { return try train(world: nil) }
    do {
      try train(world: world)
    } catch let error as DistributedError {
      // As `train --distributed`: one line per rank, MPI ended cleanly unless a rank is lost.
      FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
      if case .rankLost = error {} else { world.finalize() }
      Foundation.exit(1)
    }
    world.finalize()
  }

  /// Trains, as one rank of `world` when given: `--batch-size` windows per rank, the global
  /// batch (saved as the configuration's) N times larger; only rank 0 prints and saves.
  func train(world: Communicator?) throws {
    let ranks = world?.size ?? 1, isRoot = (world?.rank ?? 0) == 0
    if let report { try checkOutputPath(report, option: "--report") }
    if steps != nil && epochs != nil { throw CommandError("--steps and --epochs: give one, not both") }
    if let epochs, !(epochs > 0) { throw CommandError("--epochs: must be positive, got \(epochs)") }
    let trainer: LanguageModelTrainer
    if let resume {
      if parallel.scaleLr { throw CommandError("--scale-lr: --resume keeps the checkpoint's learning rate") }
      trainer = try LanguageModelCheckpoint.loadTrainer(contentsOf: URL(fileURLWithPath: resume))
      let saved = trainer.configuration
      if untiedHead && !saved.untiedHead { throw CommandError("--untied-head: \(resume) was trained with a tied head; a resumed run keeps its model") }
      if let initialization, initialization != saved.resolvedInitialization {
        throw CommandError("--init: \(resume) was initialised with \(saved.resolvedInitialization), not \(initialization); a resumed run keeps its model")
      }
      if let steps { try trainer.extend(toSteps: steps) }
    } else {
      var c = LanguageModelConfiguration()
      (c.architecture, c.layers, c.heads, c.embedding, c.contextLength) = (arch, layers, heads, embed, context)
      (c.batchSize, c.learningRate, c.weightDecay, c.gradientClipNorm, c.schedule) = (batchSize * ranks, lr, weightDecay, clip, schedule)
      if parallel.scaleLr { c.learningRate *= Double(ranks) }
      (c.evaluateEvery, c.seed) = (evalEvery, seed)
      c.untiedHead = untiedHead
      c.initialization = initialization
      try c.validate()
      c.initialization = c.resolvedInitialization  // the checkpoint names it
      let data = try loadCorpus(corpus, kind: corpusKind, seed: seed)
      c.corpusPath = data.path
      c.corpusKind = data.kind.rawValue
      c.steps = steps ?? epochs.map { Int((Double(data.sequences[.train]!.count) * $0 / Double(c.batchSize)).rounded(.up)) } ?? 1000
      try c.validate()
      trainer = try LanguageModelTrainer(corpus: data, configuration: c)
    }
    if let world {
      try trainer.distribute(over: try parallel.group(parameters: trainer.model.parameters, world), configurationText: "corpus \(trainer.corpus.path)")
      trainer.checksReplicasEveryStep = parallel.checkReplicas
      trainer.shardsOptimizerStep = parallel.shardedUpdate
    }
    let save = isRoot ? self.save : nil, reportPath = isRoot ? self.report : nil
    let c = trainer.configuration
    let command = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    let reportBuilder = reportPath.map { LanguageModelReportBuilder(trainer: trainer, command: command, path: $0) }
    let bar = ProgressBar(quiet: quiet || json || !isRoot)
    let start = monotonicSeconds()
    let firstStep = trainer.completedSteps
    var segmentStart = start, segmentFirst = firstStep, lossSum = 0.0
    if bar.verbose {
      print("\(c.architecture): \(groupedThousands(trainer.model.parameterCount)) parameters, \(trainer.corpus.vocabulary.count) tokens, "
        + "\(trainer.corpus.sequences[.train]!.count) training sequences from \(trainer.corpus.path); steps \(trainer.completedSteps + 1)…\(c.steps)")
    }
    try trainer.train(progress: { step, loss in
      lossSum += loss
      bar.handle(.batch(TrainingProgress(
        languageModelStep: step, intervalStart: segmentFirst, configuration: c, meanLoss: lossSum / Double(step - segmentFirst),
        elapsed: monotonicSeconds() - segmentStart)))
    }, onRecord: { r in
      bar.finish()
      if bar.verbose {
        print("step \(String(r.step).leftPadded(6))  loss \(String(format: "%.4f", r.trainLoss))  val loss \(String(format: "%.4f", r.validationLoss)) nats/char"
          + "  val ppl \(String(format: "%.3f", r.validationPerplexity))  lr \(String(format: "%.2e", r.learningRate))")
        fflush(stdout)
      }
      if let save { try LanguageModelCheckpoint.save(trainer, to: URL(fileURLWithPath: save)) }
      try reportBuilder?.record(r, trainer: trainer)
      segmentStart = monotonicSeconds()
      segmentFirst = r.step
      lossSum = 0
    })
    if trainer.history.last?.step != trainer.completedSteps {
      let r = try trainer.record()  // on every rank: a distributed evaluation is a collective
      try reportBuilder?.record(r, trainer: trainer)
    }
    if let save { try LanguageModelCheckpoint.save(trainer, to: URL(fileURLWithPath: save)) }
    if let reportBuilder {
      let line = try reportBuilder.write(trainer)
      if !quiet && !json { print(line) }
    }
    var digest: String?
    if let group = trainer.dataParallel {
      try group.checkReplicasIdentical()
      digest = hex(group.weightDigest())
    }
    guard isRoot else { return }
    let seconds = monotonicSeconds() - start
    let last = trainer.history.last!
    let report = Report(
      ranks: world?.size, weightsDigest: digest, mpiWait: world.map { _ in Communicator.waitMode },
      shardedUpdate: world.map { _ in trainer.shardedOptimizerStep },
      architecture: c.architecture, parameters: trainer.model.parameterCount, steps: trainer.completedSteps,
      vocabulary: trainer.corpus.vocabulary.count, history: trainer.history, validationLoss: last.validationLoss,
      validationPerplexity: last.validationPerplexity, seconds: seconds,
      stepsPerSecond: Double(trainer.completedSteps - firstStep) / max(seconds, 1e-9))
    if json { return try printJSON(report) }
    if !quiet { print("validation loss \(String(format: "%.4f", last.validationLoss)) nats/char, perplexity \(String(format: "%.3f", last.validationPerplexity))" + (save.map { "; saved \($0)" } ?? "")) }
  }
}

/// `backprop lm sample`.
struct LMSampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "sample", abstract: "Print samples from a language-model checkpoint.")

  @Option(help: "The checkpoint written by `lm train --save`.") var model: String
  @Option(help: "How many samples.") var count: Int = 20
  @Option(help: "Softmax temperature (lower: more conservative).") var temperature: Double = 0.8
  @Option(help: "Seed of the draws.") var seed: UInt64 = 1
  @Option(help: "Start every sample with this text.") var prompt: String = ""
  @Option(help: "Most characters per sample.") var maxLength: Int = 100
  @Flag(help: "Print one JSON object instead of text.") var json = false

  struct Report: Encodable { var model: String; var samples: [String] }

  func run() throws {
    guard maxLength > 0 else { throw CommandError("--max-length: must be positive, got \(maxLength)") }
    let loaded = try LanguageModelCheckpoint.loadModel(contentsOf: URL(fileURLWithPath: model))
    let samples = try LanguageModelCheckpoint.sample(
      loaded.model, vocabulary: loaded.vocabulary, kind: TextCorpus.Kind(rawValue: loaded.configuration.corpusKind)!, count: count,
      temperature: temperature, prompt: prompt, maxLength: maxLength, seed: seed)
    if json { return try printJSON(Report(model: model, samples: samples)) }
    for s in samples { print(s) }
  }
}

/// `backprop lm eval`.
struct LMEvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval", abstract: "Test loss (nats per character) and perplexity of a language-model checkpoint on its corpus's test split.")

  @Option(help: "The checkpoint written by `lm train --save`.") var model: String
  @Option(help: "Read the corpus from this path instead of the one the checkpoint names.") var corpus: String?
  @OptionGroup var threading: ThreadOptions
  @Flag(help: "Print one JSON object instead of text.") var json = false

  struct Report: Encodable {
    var model: String
    var corpus: String
    var characters: Int
    var testLoss: Double
    var testPerplexity: Double
    var novelSamples: Double?
  }

  func run() throws {
    try threading.apply()
    let trainer = try LanguageModelCheckpoint.loadTrainer(contentsOf: URL(fileURLWithPath: model), corpusPath: corpus)
    let loss = try trainer.evaluate(.test)
    var novel: Double?
    if trainer.corpus.kind == .words {
      let samples = try trainer.sample(count: 1000, temperature: 1, seed: 0)
      novel = Double(samples.filter { !trainer.corpus.trainingWords.contains($0) }.count) / 1000
    }
    let report = Report(model: model, corpus: trainer.corpus.path, characters: trainer.corpus.tokenCount(.test), testLoss: loss,
                        testPerplexity: exp(loss), novelSamples: novel)
    if json { return try printJSON(report) }
    print("\(model) on \(trainer.corpus.path) test split (\(report.characters) characters): loss \(String(format: "%.4f", loss)) nats/char, perplexity \(String(format: "%.3f", exp(loss)))"
      + (novel.map { "; \(percent($0)) of 1,000 samples (temperature 1) are not training words" } ?? ""))
  }
}
