import Foundation

/// The learning rate as a function of the step number (0 for the first step).
///
/// A training loop sets `optimizer.learningRate = schedule.learningRate(at: step)` before each
/// update. The closed forms match PyTorch's schedulers stepped once per step.
public protocol LearningRateSchedule: Sendable {
  /// The rate for step `step` (≥ 0).
  func learningRate(at step: Int) -> Double
}

/// The same rate at every step.
public struct ConstantLearningRate: LearningRateSchedule, Equatable {
  /// η.
  public var base: Double
  /// A constant schedule at `base`.
  public init(_ base: Double) { self.base = base }
  /// `base`.
  public func learningRate(at step: Int) -> Double { base }
}

/// `η_t = η · γ^⌊t / s⌋`: multiply by γ every `stepSize` steps (PyTorch's `StepLR`).
public struct StepDecay: LearningRateSchedule, Equatable {
  /// η.
  public var base: Double
  /// s, steps between decays.
  public var stepSize: Int
  /// γ, the factor applied at each decay.
  public var gamma: Double
  /// - Precondition: `stepSize > 0`.
  public init(base: Double, stepSize: Int, gamma: Double = 0.1) {
    precondition(stepSize > 0, "StepDecay needs stepSize > 0")
    (self.base, self.stepSize, self.gamma) = (base, stepSize, gamma)
  }
  /// `base · gamma^(step / stepSize)`.
  public func learningRate(at step: Int) -> Double { base * pow(gamma, Double(step / stepSize)) }
}

/// Cosine annealing from η to η_min over `totalSteps` (PyTorch's `CosineAnnealingLR`, closed form):
///
///     η_t = η_min + (η − η_min) · (1 + cos(π · t / T)) / 2,   t ≤ T;   η_min after T.
public struct CosineDecay: LearningRateSchedule, Equatable {
  /// η.
  public var base: Double
  /// T.
  public var totalSteps: Int
  /// η_min.
  public var minimum: Double
  /// - Precondition: `totalSteps > 0`.
  public init(base: Double, totalSteps: Int, minimum: Double = 0) {
    precondition(totalSteps > 0, "CosineDecay needs totalSteps > 0")
    (self.base, self.totalSteps, self.minimum) = (base, totalSteps, minimum)
  }
  /// The cosine curve at `step`.
  public func learningRate(at step: Int) -> Double {
    let t = Double(Swift.min(step, totalSteps))
    return minimum + (base - minimum) * (1 + cos(Double.pi * t / Double(totalSteps))) / 2
  }
}

/// A linear warm-up for `warmupSteps` steps, then `schedule` restarted at step 0 (PyTorch's
/// `SequentialLR([LinearLR(start_factor, total_iters: w), schedule], milestones: [w])`):
///
///     η_t = η₀ · (f + (1 − f) · t / w)   for t < w,   where η₀ = schedule(0)
///     η_t = schedule(t − w)              afterwards.
public struct LinearWarmup<Schedule: LearningRateSchedule>: LearningRateSchedule {
  /// w.
  public var warmupSteps: Int
  /// f, the fraction of η₀ used at step 0.
  public var startFactor: Double
  /// What follows the warm-up.
  public var schedule: Schedule
  /// Warm up over `warmupSteps` from `startFactor · schedule(0)`.
  public init(warmupSteps: Int, startFactor: Double = 1.0 / 3.0, then schedule: Schedule) {
    (self.warmupSteps, self.startFactor, self.schedule) = (warmupSteps, startFactor, schedule)
  }
  /// The warm-up ramp, then the wrapped schedule.
  public func learningRate(at step: Int) -> Double {
    guard step < warmupSteps else { return schedule.learningRate(at: step - warmupSteps) }
    let base = schedule.learningRate(at: 0)
    return base * (startFactor + (1 - startFactor) * Double(step) / Double(warmupSteps))
  }
}
