/// Why a training run stopped before its last epoch.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The loss of a batch was NaN or infinite: the run diverged (or the data holds non-finite
  /// values). The weights of that step are not kept by a checkpoint: the last one saved is
  /// from the epoch before.
  case nonFiniteLoss(epoch: Int, batch: Int, loss: Double, learningRate: Double)
  /// The evaluation after an epoch gave a non-finite loss (the weights hold NaN or infinity).
  case nonFiniteEvaluation(epoch: Int, loss: Double)

  /// `NaN`, `infinity` or `-infinity` (not Glibc's `-nan`).
  static func name(_ x: Double) -> String { x.isNaN ? "NaN" : x > 0 ? "infinity" : x < 0 ? "-infinity" : "\(x)" }

  /// One line saying where the run diverged and what to try.
  public var description: String {
    switch self {
    case let .nonFiniteLoss(epoch, batch, loss, learningRate):
      return "training diverged: the loss became \(Self.name(loss)) at epoch \(epoch), batch \(batch) (learning rate \(learningRate)); "
        + "try a lower learning rate, gradient clipping, or check the data for NaN or infinity"
    case let .nonFiniteEvaluation(epoch, loss):
      return "training diverged: the evaluation loss after epoch \(epoch) is \(Self.name(loss)); try a lower learning rate or gradient clipping"
    }
  }
}
