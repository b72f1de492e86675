/// What one epoch of training produced.
public struct EpochRecord: Codable, Sendable, Equatable {
  /// The epoch number, from 1.
  public var epoch: Int
  /// Mean training loss over the epoch's samples (as computed during training).
  public var trainLoss: Double
  /// Training accuracy over the epoch (classification), else `nil`.
  public var trainAccuracy: Double?
  /// Loss on the evaluation set after the epoch, if one was given.
  public var evaluationLoss: Double?
  /// Accuracy on the evaluation set after the epoch (classification).
  public var evaluationAccuracy: Double?
  /// Seconds spent training (forward, backward, update), without evaluation.
  public var seconds: Double
  /// Seconds spent evaluating after the epoch.
  public var evaluationSeconds: Double
  /// Training samples processed per second.
  public var samplesPerSecond: Double
  /// The learning rate of the epoch's last step.
  public var learningRate: Double

  /// The record with its wall-clock fields (`seconds`, `evaluationSeconds`,
  /// `samplesPerSecond`) set to 0: what checkpoints store, so that identical runs write
  /// identical files.
  public var withoutTimings: EpochRecord {
    var r = self
    (r.seconds, r.evaluationSeconds, r.samplesPerSecond) = (0, 0, 0)
    return r
  }
}

/// Progress inside an epoch, reported after every batch.
public struct TrainingProgress: Sendable, Equatable {
  /// Current epoch, from 1.
  public var epoch: Int
  /// Total epochs of the run.
  public var epochs: Int
  /// Batches done in this epoch, from 1.
  public var batch: Int
  /// Batches in an epoch.
  public var batchesPerEpoch: Int
  /// Samples done in this epoch.
  public var samples: Int
  /// Mean loss so far this epoch.
  public var loss: Double
  /// Accuracy so far this epoch (classification).
  public var accuracy: Double?
  /// Seconds since the epoch started.
  public var elapsed: Double
  /// Training throughput so far this epoch.
  public var samplesPerSecond: Double
  /// Estimated seconds until the whole run ends (at the current throughput, without evaluation).
  public var secondsRemaining: Double
}

/// A `Trainer` event: a finished batch or a finished epoch.
public enum TrainingEvent: Sendable {
  /// After each batch.
  case batch(TrainingProgress)
  /// After each epoch (and its evaluation).
  case epoch(EpochRecord)
}

/// Loss and accuracy of a model on a data set.
public struct Evaluation: Codable, Sendable, Equatable {
  /// Mean loss over the samples.
  public var loss: Double
  /// Fraction of samples classified correctly (classification), else `nil`.
  public var accuracy: Double?
  /// Number of samples.
  public var count: Int
  /// Seconds taken.
  public var seconds: Double
}
