/// Where one epoch's training time went on this process, phase by phase (`Trainer.phaseSeconds`):
/// the same breakdown for one process and for every rank of a data-parallel group, so that a
/// rank's extra costs show against the single-process step.
///
/// The phases add up to the epoch's own time on this process (before the maximum over ranks):
/// `data + forward + backward + allreduceWait + optimizer + other`; `epochEnd` is the wait for
/// the slowest rank at the end of the epoch, not in that sum.
public struct StepPhaseSeconds: Codable, Sendable, Equatable {
  /// Gathering the batch's samples into a tensor (and augmenting them).
  public var data = 0.0
  /// Forward pass, loss, and the loss value and correct count read back.
  public var forward = 0.0
  /// `backward()`, with the gradient hooks of data parallelism inside it (packing buckets,
  /// starting their allreduces).
  public var backward = 0.0
  /// `DataParallel.finishGradients()`: waiting for the allreduces backward did not hide, and
  /// putting the reduced gradients back (0 for one process).
  public var allreduceWait = 0.0
  /// Gradient clipping and the optimizer's step.
  public var optimizer = 0.0
  /// The rest of the step: zeroing gradients, starting a step's metric reduction, progress.
  public var other = 0.0
  /// Waiting at the end of the epoch for the other ranks (the maximum of the epoch's seconds).
  public var epochEnd = 0.0
  /// Optimizer steps in the epoch.
  public var steps = 0

  /// An empty record.
  public init() {}

  /// The phases in the order of `names`, as numbers (for a reduction over ranks).
  public var values: [Double] { [data, forward, backward, allreduceWait, optimizer, other, epochEnd, Double(steps)] }

  /// The names of `values`, in their order.
  public static let names = ["data", "forward", "backward", "allreduce_wait", "optimizer", "other", "epoch_end", "steps"]

  /// A record from `values` (`names`' order).
  public init(values v: ArraySlice<Double>) {
    precondition(v.count == Self.names.count, "StepPhaseSeconds(values:): \(Self.names.count) values expected, got \(v.count)")
    let v = Array(v)
    (data, forward, backward, allreduceWait, optimizer, other, epochEnd, steps) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6], Int(v[7]))
  }
}

/// A stopwatch over consecutive phases: `lap(&x)` adds the time since the previous lap to `x`.
struct PhaseClock {
  private var last = monotonicSeconds()
  mutating func lap(_ phase: inout Double) {
    let now = monotonicSeconds()
    phase += now - last
    last = now
  }
}
