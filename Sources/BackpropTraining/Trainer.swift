import BackpropCore
import BackpropData
import BackpropDistributed
import BackpropNN
import BackpropOptim
import Foundation

/// The training loop: epochs of seeded mini-batches, forward pass, loss, backward pass,
/// optional gradient clipping, optimizer step; with loss/accuracy tracking, per-epoch timings,
/// evaluation, and a progress callback. The command-line tool is a thin layer over this.
///
/// ```swift
/// let model = try Sequential<Float>.mlp([64, 128, 64, 10], seed: 0)
/// var config = TrainingConfiguration(); config.epochs = 20
/// let trainer = try Trainer(model: model, configuration: config)
/// let history = try trainer.fit(on: train, evaluatingOn: test) { event in print(event) }
/// ```
///
/// The optimizer is built at `configuration.resolvedLearningRate`; the configured schedule is
/// attached to it on the first epoch, and each `step()` advances it. The trainer never sets the
/// optimizer's rate itself.
///
/// Determinism: batch order and augmentation depend only on `configuration.seed` and the epoch, the schedule
/// only on the optimizer's step count (saved in checkpoints), and dropout on generators saved
/// with the model; so a run resumed from a checkpoint (`TrainingCheckpoint`) reproduces the
/// uninterrupted run bit for bit.
public final class Trainer {
  /// The network being trained.
  public let model: Sequential<Float>
  /// The settings of the run.
  public let configuration: TrainingConfiguration
  /// The optimizer over `model.parameters`.
  public let optimizer: any Optimizer<Float>
  /// Epochs completed so far (training continues from here).
  public internal(set) var completedEpochs = 0
  /// One record per completed epoch.
  public internal(set) var history: [EpochRecord] = []
  /// The batches per epoch the optimizer's schedule was laid out for (`nil`: not attached yet).
  private var scheduledBatchesPerEpoch: Int?
  /// The data-parallel group this trainer is one rank of (`nil`: a single process).
  public private(set) var dataParallel: DataParallel?
  /// After every step, check that all ranks hold bit-identical weights (`DataParallel.checkReplicasIdentical`).
  public var checksReplicasEveryStep = false
  /// When the ranks sum gradients in shared memory, the optimizer updates piecewise
  /// (`PiecewiseOptimizer`: SGD, Adam, AdamW) and no gradient clipping reads the gradients:
  /// shard the large parameters' optimizer step across the ranks (`DataParallel.shardsUpdates`,
  /// ZeRO stage 1: each rank sums and updates its shard, then they exchange the weights). Same
  /// weights and, after each epoch, the same optimizer state, bit for bit; `false` turns it off
  /// (to compare).
  public var shardsOptimizerStep = true
  /// Whether the last optimizer step was sharded across the ranks (`shardsOptimizerStep`, where
  /// it applies, and some bucket holds one parameter).
  public var shardedOptimizerStep: Bool { (dataParallel?.bucketsShardedLastStep ?? 0) > 0 }
  /// Optimizer steps taken by this trainer object (not saved in checkpoints).
  public private(set) var stepsTaken = 0
  /// Where each epoch's time went on this process, one record per epoch trained by this object
  /// (not saved in checkpoints).
  public private(set) var phaseSeconds: [StepPhaseSeconds] = []

  /// A trainer for `model` with a fresh optimizer.
  /// - Throws: `TensorError.invalidArgument` for an invalid configuration.
  public init(model: Sequential<Float>, configuration: TrainingConfiguration) throws {
    try configuration.validate()
    self.model = model
    self.configuration = configuration
    optimizer = configuration.makeOptimizer(for: model.parameters)
  }

  /// Makes this trainer one rank of `parallel`'s group: checks that every rank has the same
  /// `configurationText` (besides `configuration`, which is always compared), then gives every
  /// rank rank 0's weights. Each epoch then trains on this rank's shard of every global batch
  /// (`Batches.shard(rank:of:)`), averages gradients across ranks during backward, and reports
  /// metrics over all ranks.
  /// - Throws: `TensorError.invalidArgument` when `configuration.ranks` is not the group's size;
  ///   `DistributedError.configurationMismatch` on every rank when the ranks' settings differ;
  ///   `CommunicatorError` for a failed or timed-out collective.
  public func distribute(over parallel: DataParallel, configurationText: String = "") throws {
    guard configuration.ranks == parallel.size else {
      throw TensorError.invalidArgument(op: "distributed training",
        message: "the settings are for \(configuration.ranks) rank\(configuration.ranks == 1 ? "" : "s") but mpirun started \(parallel.size)")
    }
    try parallel.join(settings: configuration, configurationText: configurationText, position: "epoch \(completedEpochs)")
    dataParallel = parallel
  }

  /// Trains from `completedEpochs` up to `configuration.epochs` (or stops after epoch
  /// `stoppingAfter`, e.g. to checkpoint part-way: the schedule still spans all epochs),
  /// evaluating on `evaluationSet` after each epoch when given.
  /// Returns the records of the epochs run by this call.
  /// - Throws: `TrainingError` at the first non-finite loss (the run diverged); shape errors
  ///   when the data does not fit the model.
  @discardableResult
  public func fit(
    on trainingSet: Dataset, evaluatingOn evaluationSet: Dataset? = nil, stoppingAfter lastEpoch: Int? = nil,
    progress: ((TrainingEvent) -> Void)? = nil
  ) throws -> [EpochRecord] {
    var records: [EpochRecord] = []
    while completedEpochs < min(configuration.epochs, lastEpoch ?? .max) {
      var record = try trainEpoch(on: trainingSet, progress: progress)
      // After sharded steps each rank's optimizer state is whole only on its shard: a
      // checkpoint of this epoch needs all of it (a collective, on every rank alike).
      try dataParallel?.completeState(of: optimizer)
      if let evaluationSet {
        let e = try evaluateModel(on: evaluationSet)
        (record.evaluationLoss, record.evaluationAccuracy, record.evaluationSeconds) = (e.loss, e.accuracy, e.seconds)
        guard e.loss.isFinite else { throw TrainingError.nonFiniteEvaluation(epoch: record.epoch, loss: e.loss) }
      }
      history[history.count - 1] = record
      records.append(record)
      progress?(.epoch(record))
    }
    return records
  }

  /// The loss used for `dataset`: the configured one, else cross-entropy for classification and
  /// mean squared error for regression.
  public func lossKind(for dataset: Dataset) -> LossKind {
    configuration.loss ?? (dataset.task == .classification ? .crossEntropy : .meanSquaredError)
  }

  /// Runs one epoch (number `completedEpochs + 1`) over `trainingSet` in training mode.
  /// - Throws: `TrainingError.nonFiniteLoss` at the first batch whose loss is NaN or infinite
  ///   (before its optimizer step); shape errors when the data does not fit the model.
  public func trainEpoch(on trainingSet: Dataset, progress: ((TrainingEvent) -> Void)? = nil) throws -> EpochRecord {
    try checkInputWidth(of: model, fits: trainingSet)
    if let augmentation = configuration.augmentation { try augmentation.check(sampleShape: trainingSet.sampleShape) }
    let epochIndex = completedEpochs
    // The global batches are the same for any number of ranks; each rank takes its shard.
    let sampler = try BatchSampler(sampleCount: trainingSet.count, batchSize: configuration.globalBatchSize, seed: configuration.seed)
    let batches = sampler.batches(epoch: epochIndex)
    let shards = try dataParallel.map { try batches.shard(rank: $0.rank, of: $0.size) }
    if scheduledBatchesPerEpoch != batches.count {
      // The schedule is laid out in steps, so it needs the epoch's batch count: attach it once.
      optimizer.schedule = configuration.makeSchedule(batchesPerEpoch: batches.count)
      scheduledBatchesPerEpoch = batches.count
    }
    let parameters = model.parameters
    try dataParallel?.allowShardedUpdates(for: optimizer, enabled: shardsOptimizerStep, clips: configuration.clipNorm != nil)
    let lossKind = self.lossKind(for: trainingSet)
    model.train()
    let start = monotonicSeconds()
    var lossSum = 0.0, correct = 0, seen = 0
    var learningRate = optimizer.currentLearningRate
    var phases = StepPhaseSeconds(), clock = PhaseClock()
    for b in batches.indices {
      learningRate = optimizer.currentLearningRate  // what this batch's step() applies
      let indices = shards?[b] ?? Array(batches[b])
      dataParallel?.beginStep(sampleShare: Float(indices.count) / Float(batches[b].count))
      optimizer.zeroGrad()
      var lossValue = 0.0, batchCorrect = 0
      var loss: Tensor<Float>?
      clock.lap(&phases.other)
      if !indices.isEmpty {  // an empty shard (short last batch, many ranks) contributes zeros
        var batch = trainingSet.batch(indices)
        if let augmentation = configuration.augmentation {
          augmentation.apply(to: &batch.features, sampleShape: trainingSet.sampleShape, seed: configuration.seed, epoch: epochIndex, samples: indices)
        }
        let input = Tensor(shape: [batch.count, batch.featureCount], scalars: batch.features)
        clock.lap(&phases.data)
        let output = model(input)
        loss = try batchLoss(output, batch, kind: lossKind)
        lossValue = Double(loss!.item)
        batchCorrect = try correctCount(output, batch, kind: lossKind)
        clock.lap(&phases.forward)
      }
      // Every rank must see the same loss (and stop at the same NaN): summed over ranks while
      // backward runs.
      try dataParallel?.shareMetrics([lossValue * Double(indices.count), Double(batchCorrect), Double(indices.count)])
      clock.lap(&phases.other)
      if let loss {
        // Seeded with this rank's share: the gradients need no scaling before they are reduced.
        if let parallel = dataParallel { parallel.backward(loss) } else { loss.backward() }
      }
      clock.lap(&phases.backward)
      var batchCount = indices.count
      if let parallel = dataParallel {
        let totals = try parallel.finishGradients()
        (batchCount, batchCorrect) = (Int(totals[2]), Int(totals[1]))
        lossValue = totals[0] / max(totals[2], 1)
        clock.lap(&phases.allreduceWait)
      }
      do {
        try throwIfAnomalyDetected()  // --detect-anomaly: stop at this step, naming the op, before the update
        guard lossValue.isFinite else {
          // Stop before the step: NaN weights would be useless, and no checkpoint must hold them.
          throw TrainingError.nonFiniteLoss(epoch: epochIndex + 1, batch: b + 1, loss: lossValue, learningRate: learningRate)
        }
      } catch {
        dataParallel?.discardShardedUpdates()
        throw error
      }
      if let maxNorm = configuration.clipNorm { clipGradientNorm(parameters, maxNorm: maxNorm) }
      try optimizer.step(in: dataParallel)
      clock.lap(&phases.optimizer)
      stepsTaken += 1
      if checksReplicasEveryStep, let parallel = dataParallel { try parallel.checkReplicasIdentical() }
      lossSum += lossValue * Double(batchCount)
      correct += batchCorrect
      seen += batchCount
      if let progress {
        let elapsed = monotonicSeconds() - start
        let rate = Double(seen) / max(elapsed, 1e-9)
        let remaining = Double(trainingSet.count - seen + (configuration.epochs - epochIndex - 1) * trainingSet.count)
        progress(.batch(TrainingProgress(
          epoch: epochIndex + 1, epochs: configuration.epochs, batch: b + 1, batchesPerEpoch: batches.count,
          samples: seen, loss: lossSum / Double(seen), accuracy: lossKind == .meanSquaredError ? nil : Double(correct) / Double(seen),
          elapsed: elapsed, samplesPerSecond: rate, secondsRemaining: remaining / rate)))
      }
      clock.lap(&phases.other)
    }
    var seconds = monotonicSeconds() - start
    phases.steps = batches.count
    if let parallel = dataParallel { seconds = try parallel.maximum([seconds])[0] }  // the slowest rank's time
    clock.lap(&phases.epochEnd)
    phaseSeconds.append(phases)
    let record = EpochRecord(
      epoch: epochIndex + 1, trainLoss: lossSum / Double(max(seen, 1)),
      trainAccuracy: lossKind == .meanSquaredError ? nil : Double(correct) / Double(max(seen, 1)),
      evaluationLoss: nil, evaluationAccuracy: nil, seconds: seconds, evaluationSeconds: 0,
      samplesPerSecond: Double(seen) / max(seconds, 1e-9), learningRate: learningRate)
    completedEpochs += 1
    history.append(record)
    return record
  }
}

/// The loss of one batch's `output` for `kind`: softmax cross-entropy against the labels,
/// binary cross-entropy against 0/1 labels, or mean squared error against the targets (or the
/// labels as numbers).
public func batchLoss(_ output: Tensor<Float>, _ batch: Batch, kind: LossKind) throws -> Tensor<Float> {
  switch kind {
  case .crossEntropy:
    return softmaxCrossEntropy(logits: output, labels: batch.labels)
  case .meanSquaredError:
    let target = Tensor<Float>(shape: output.shape, scalars: batch.targets.isEmpty ? batch.labels.map(Float.init) : batch.targets)
    return meanSquaredError(predicted: output, target: target)
  case .binaryCrossEntropy:
    let target = Tensor<Float>(shape: output.shape, scalars: batch.labels.map(Float.init))
    return binaryCrossEntropy(logits: output, targets: target)
  }
}

/// How many rows of `output` predict their label (0 for regression).
func correctCount(_ output: Tensor<Float>, _ batch: Batch, kind: LossKind) throws -> Int {
  switch kind {
  case .crossEntropy:
    return zip(output.argmax(alongAxis: 1), batch.labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
  case .binaryCrossEntropy:
    return zip(output.scalars, batch.labels).reduce(0) { $0 + (($1.0 > 0 ? 1 : 0) == $1.1 ? 1 : 0) }
  case .meanSquaredError:
    return 0
  }
}

/// The mean loss and accuracy of `model` on `dataset`, in evaluation mode, without recording a
/// graph; the model's mode is restored afterwards.
/// - Throws: shape errors when the data does not fit the model.
public func evaluate(_ model: Sequential<Float>, on dataset: Dataset, loss kind: LossKind, batchSize: Int = 512) throws -> Evaluation {
  let start = monotonicSeconds()
  let (lossSum, correct) = try evaluationSums(model, on: dataset, samples: 0..<dataset.count, loss: kind, batchSize: batchSize)
  let n = max(dataset.count, 1)
  return Evaluation(loss: lossSum / Double(n), accuracy: kind == .meanSquaredError ? nil : Double(correct) / Double(n),
                    count: dataset.count, seconds: monotonicSeconds() - start)
}

/// The summed loss and the correct predictions of `model` on `samples` of `dataset` (evaluation
/// mode, no graph): a rank's part of a distributed evaluation, or the whole set's.
func evaluationSums(_ model: Sequential<Float>, on dataset: Dataset, samples: Range<Int>, loss kind: LossKind, batchSize: Int)
  throws -> (lossSum: Double, correct: Int)
{
  try checkInputWidth(of: model, fits: dataset)
  let wasTraining = model.isTraining
  model.eval()
  defer { model.isTraining = wasTraining }
  var lossSum = 0.0, correct = 0
  guard !samples.isEmpty else { return (0, 0) }
  let batches = try Batches(order: Array(samples), batchSize: batchSize)
  try withoutGradient {
    for indices in batches {
      let batch = dataset.batch(indices)
      let output = model(Tensor(shape: [batch.count, batch.featureCount], scalars: batch.features))
      lossSum += Double(try batchLoss(output, batch, kind: kind).item) * Double(batch.count)
      correct += try correctCount(output, batch, kind: kind)
    }
  }
  return (lossSum, correct)
}

/// Throws unless `dataset`'s samples fit `model` (see `Sequential.checkInput(shape:)`): the
/// data comes from outside, so a mismatch is reported before any layer runs.
/// - Throws: `TensorError.shapeMismatch` naming the layer and the widths.
public func checkInputWidth(of model: Sequential<Float>, fits dataset: Dataset) throws {
  try model.checkInput(shape: [dataset.featureCount])
}

/// Seconds on a monotonic clock (for durations only).
public func monotonicSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
