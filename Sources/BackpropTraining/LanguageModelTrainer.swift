import BackpropCore
import BackpropData
import BackpropDistributed
import BackpropNN
import BackpropOptim
import Foundation

/// One evaluation of a language model during training.
public struct LanguageModelRecord: Codable, Sendable, Equatable {
  /// Optimiser steps completed.
  public var step: Int
  /// Mean training loss (nats per character) since the previous record.
  public var trainLoss: Double
  /// Validation loss in nats per character.
  public var validationLoss: Double
  /// The learning rate of the last step.
  public var learningRate: Double
  /// `exp(validationLoss)`.
  public var validationPerplexity: Double { exp(validationLoss) }
}

/// Trains a `LanguageModel` on a `TextCorpus` with AdamW, an optional cosine schedule and
/// gradient-norm clipping; evaluates the exact mean loss per character on a part.
public final class LanguageModelTrainer {
  /// The model being trained.
  public let model: any LanguageModel<Float>
  /// AdamW over the model's parameters.
  public let optimizer: AdamW<Float>
  /// The data.
  public let corpus: TextCorpus
  /// The run's settings.
  public private(set) var configuration: LanguageModelConfiguration
  /// Steps completed (also after a resume).
  public internal(set) var completedSteps = 0
  /// Draws the training windows; saved in checkpoints so a resumed run sees the same batches.
  public internal(set) var batchGenerator: SeededGenerator
  /// Evaluations so far.
  public internal(set) var history: [LanguageModelRecord] = []
  private var lossSinceRecord = 0.0, stepsSinceRecord = 0
  /// The data-parallel group this trainer is one rank of (`nil`: a single process).
  public internal(set) var dataParallel: DataParallel?
  /// After every step, check that all ranks hold bit-identical weights.
  public var checksReplicasEveryStep = false
  /// Shard the large parameters' optimizer step across the ranks where it applies (see
  /// `Trainer.shardsOptimizerStep`; never with gradient clipping, the default here).
  public var shardsOptimizerStep = true
  /// Whether the last optimizer step was sharded across the ranks (`shardsOptimizerStep`).
  public var shardedOptimizerStep: Bool { (dataParallel?.bucketsShardedLastStep ?? 0) > 0 }

  /// A trainer for `model` on `corpus`.
  /// - Throws: `TensorError.invalidArgument` naming the option when `configuration` is invalid
  ///   or the model's vocabulary differs from the corpus's.
  public init(model: any LanguageModel<Float>, corpus: TextCorpus, configuration: LanguageModelConfiguration) throws {
    try configuration.validate()
    guard model.vocabularySize == corpus.vocabulary.count else {
      throw TensorError.invalidArgument(op: "--corpus", message: "\(corpus.path) has \(corpus.vocabulary.count) tokens; the model has \(model.vocabularySize)")
    }
    guard configuration.contextLength <= model.contextLength else {
      throw TensorError.invalidArgument(op: "--context", message: "\(configuration.contextLength) is longer than the model's context of \(model.contextLength)")
    }
    self.model = model
    self.corpus = corpus
    self.configuration = configuration
    optimizer = AdamW(model.parameters, learningRate: configuration.learningRate, weightDecay: configuration.weightDecay)
    if configuration.schedule == "cosine" {
      optimizer.schedule = CosineDecay(totalSteps: max(configuration.steps, 1), minimum: 0.1 * configuration.learningRate)
    }
    batchGenerator = SeededGenerator(seed: configuration.seed &+ 0x5EED)
  }

  /// A new model of `configuration` (weights from its seed) on `corpus`, ready to train.
  public convenience init(corpus: TextCorpus, configuration: LanguageModelConfiguration) throws {
    var generator = SeededGenerator(seed: configuration.seed)
    let model = try configuration.makeModel(vocabularySize: corpus.vocabulary.count, using: &generator)
    try self.init(model: model, corpus: corpus, configuration: configuration)
  }

  /// Sets a new total number of steps (to train further than planned on `--resume`).
  public func extend(toSteps steps: Int) throws {
    guard steps >= completedSteps else {
      throw TensorError.invalidArgument(op: "--steps", message: "\(steps) is fewer than the \(completedSteps) steps already taken")
    }
    configuration.steps = steps
    if configuration.schedule == "cosine" { optimizer.schedule = CosineDecay(totalSteps: max(steps, 1), minimum: 0.1 * configuration.learningRate) }
  }

  /// One optimiser step on a random batch; returns its loss (nats per character). Under data
  /// parallelism (`distribute(over:)`) every rank draws the same global batch and trains on its
  /// rows; the loss returned is the global batch's.
  /// - Throws: `DistributedError.rankLost` when another rank does not answer (never without one).
  @discardableResult
  public func step() throws -> Double {
    model.isTraining = true
    let batch = corpus.randomBatch(.train, batchSize: configuration.batchSize, contextLength: configuration.contextLength,
                                   using: &batchGenerator)
    optimizer.zeroGrad()
    let value: Double
    if let parallel = dataParallel {
      value = try distributedGradients(of: batch, over: parallel)
    } else {
      let loss = languageModelLoss(logits: model.logits(batch.inputs, batchSize: batch.batchSize), targets: batch.targets)
      loss.backward()
      value = Double(loss.item)
    }
    if configuration.gradientClipNorm > 0 { clipGradientNorm(model.parameters, maxNorm: configuration.gradientClipNorm) }
    try optimizer.step(in: dataParallel)
    completedSteps += 1
    if checksReplicasEveryStep, let parallel = dataParallel { try parallel.checkReplicasIdentical() }
    lossSinceRecord += value
    stepsSinceRecord += 1
    return value
  }

  /// Mean loss per predicted character over all of `part` (padding excluded), in nats. Under
  /// data parallelism each rank scores every N-th batch and the sums are reduced.
  /// - Throws: `DistributedError.rankLost` when another rank does not answer (never without one).
  public func evaluate(_ part: TextCorpus.Part, batchSize: Int = 256) throws -> Double {
    model.isTraining = false
    defer { model.isTraining = true }
    var total = 0.0, count = 0
    let (rank, ranks) = (dataParallel?.rank ?? 0, dataParallel?.size ?? 1)
    withoutGradient {
      for (i, batch) in corpus.evaluationBatches(part, batchSize: batchSize, contextLength: configuration.contextLength).enumerated()
      where i % ranks == rank {
        let scored = batch.targets.filter { $0 != LanguageModelBatch.ignored }.count
        guard scored > 0 else { continue }
        total += Double(languageModelLoss(logits: model.logits(batch.inputs, batchSize: batch.batchSize), targets: batch.targets,
                                          reduction: .sum).item)
        count += scored
      }
    }
    if let parallel = dataParallel {
      let sums = try parallel.sum([total, Double(count)])
      (total, count) = (sums[0], Int(sums[1]))
    }
    return count == 0 ? .nan : total / Double(count)
  }

  /// Evaluates on the validation part and appends a record of the steps since the last one.
  @discardableResult
  public func record() throws -> LanguageModelRecord {
    // After sharded steps each rank's optimizer state is whole only on its shard: a checkpoint
    // written after this record needs all of it (a collective, as the evaluation is).
    try dataParallel?.completeState(of: optimizer)
    let r = LanguageModelRecord(
      step: completedSteps, trainLoss: stepsSinceRecord == 0 ? .nan : lossSinceRecord / Double(stepsSinceRecord),
      validationLoss: try evaluate(.validation), learningRate: optimizer.currentLearningRate)
    history.append(r)
    lossSinceRecord = 0
    stepsSinceRecord = 0
    return r
  }

  /// Trains to `configuration.steps`, recording every `evaluateEvery` steps and at the end;
  /// `progress` is called after each step with (step, loss) and `onRecord` after each record.
  /// - Throws: what `onRecord` throws; `DistributedError.rankLost` when another rank is lost.
  public func train(progress: (Int, Double) -> Void = { _, _ in }, onRecord: (LanguageModelRecord) throws -> Void = { _ in }) throws {
    while completedSteps < configuration.steps {
      let loss = try step()
      progress(completedSteps, loss)
      if completedSteps % configuration.evaluateEvery == 0 || completedSteps == configuration.steps {
        try onRecord(try record())
      }
    }
  }

  /// Words (or text) sampled from the model: each starts at the boundary token (or `prompt`)
  /// and ends at the next boundary or after `maxLength` characters.
  public func sample(count: Int, temperature: Double, prompt: String = "", maxLength: Int = 100, seed: UInt64) throws -> [String] {
    try LanguageModelCheckpoint.sample(model, vocabulary: corpus.vocabulary, kind: corpus.kind, count: count,
                                       temperature: temperature, prompt: prompt, maxLength: maxLength, seed: seed)
  }
}

extension TrainingProgress {
  /// Progress of a language-model run for the same progress bar as `Trainer`'s: the steps
  /// between two evaluations play the part of an epoch's batches.
  ///
  /// - Parameters:
  ///   - step: steps completed; `intervalStart`: the step the current interval began after;
  ///   - meanLoss: mean loss of the interval so far; `elapsed`: seconds since it began.
  public init(languageModelStep step: Int, intervalStart: Int, configuration c: LanguageModelConfiguration, meanLoss: Double, elapsed: Double) {
    let done = step - intervalStart
    let rate = Double(done * c.batchSize) / Swift.max(elapsed, 1e-9)
    self.init(
      epoch: (step - 1) / c.evaluateEvery + 1, epochs: (c.steps + c.evaluateEvery - 1) / c.evaluateEvery, batch: done,
      batchesPerEpoch: Swift.min(c.evaluateEvery, c.steps - intervalStart), samples: done * c.batchSize, loss: meanLoss, accuracy: nil,
      elapsed: elapsed, samplesPerSecond: rate, secondsRemaining: Double((c.steps - step) * c.batchSize) / Swift.max(rate, 1e-9))
  }
}
