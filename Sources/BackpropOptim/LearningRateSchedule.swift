import BackpropCore
import Foundation

/// How the learning rate changes with the step number, relative to the optimizer's rate.
///
/// A schedule holds no base rate: the optimizer's `learningRate` is the base, and the schedule
/// gives the rate at each step from it. Pass one to an optimizer and `step()` follows it:
///
/// ```swift
/// let optimizer = SGD(model.parameters, learningRate: 0.05, momentum: 0.9, schedule: CosineDecay(totalSteps: 300))
/// optimizer.step()   // uses 0.05 · (1 + cos(π · 0 / 300)) / 2, then moves the schedule to step 1
/// ```
///
/// The closed forms match PyTorch's schedulers stepped once per step.
public protocol LearningRateSchedule: Sendable {
  /// The rate at step `step` (≥ 0; 0 for the first step) of an optimizer whose rate is `base`.
  func learningRate(at step: Int, base: Double) -> Double
}

/// The optimizer's rate at every step.
public struct ConstantLearningRate: LearningRateSchedule, Equatable {
  /// A constant schedule.
  public init() {}
  /// `base`.
  public func learningRate(at step: Int, base: Double) -> Double { base }
}

/// `η_t = η · γ^⌊t / s⌋`: multiply by γ every `stepSize` steps (PyTorch's `StepLR`).
public struct StepDecay: LearningRateSchedule, Equatable {
  /// s, steps between decays.
  public var stepSize: Int
  /// γ, the factor applied at each decay.
  public var gamma: Double
  /// - Precondition: `stepSize > 0`.
  public init(stepSize: Int, gamma: Double = 0.1) {
    require(stepSize > 0, "StepDecay needs stepSize > 0")
    (self.stepSize, self.gamma) = (stepSize, gamma)
  }
  /// `base · gamma^(step / stepSize)`.
  public func learningRate(at step: Int, base: Double) -> Double { base * pow(gamma, Double(step / stepSize)) }
}

/// Cosine annealing from the optimizer's rate η to η_min over `totalSteps` (PyTorch's
/// `CosineAnnealingLR`, closed form):
///
///     η_t = η_min + (η − η_min) · (1 + cos(π · t / T)) / 2,   t ≤ T;   η_min after T.
public struct CosineDecay: LearningRateSchedule, Equatable {
  /// T.
  public var totalSteps: Int
  /// η_min, the rate reached at step T (an absolute rate, as PyTorch's `eta_min`).
  public var minimum: Double
  /// - Precondition: `totalSteps > 0`.
  public init(totalSteps: Int, minimum: Double = 0) {
    require(totalSteps > 0, "CosineDecay needs totalSteps > 0")
    (self.totalSteps, self.minimum) = (totalSteps, minimum)
  }
  /// The cosine curve at `step`.
  public func learningRate(at step: Int, base: Double) -> Double {
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
  public func learningRate(at step: Int, base: Double) -> Double {
    guard step < warmupSteps else { return schedule.learningRate(at: step - warmupSteps, base: base) }
    let start = schedule.learningRate(at: 0, base: base)
    return start * (startFactor + (1 - startFactor) * Double(step) / Double(warmupSteps))
  }
}

extension LinearWarmup where Schedule == ConstantLearningRate {
  /// A warm-up to the optimizer's constant rate.
  public init(warmupSteps: Int, startFactor: Double = 1.0 / 3.0) {
    self.init(warmupSteps: warmupSteps, startFactor: startFactor, then: ConstantLearningRate())
  }
}

/// A type-erased schedule, so that `LinearWarmup` can wrap whichever one was chosen at run time.
public struct AnySchedule: LearningRateSchedule {
  private let wrapped: any LearningRateSchedule
  /// Wraps `schedule`.
  public init(_ schedule: any LearningRateSchedule) { wrapped = schedule }
  /// The wrapped schedule's rate.
  public func learningRate(at step: Int, base: Double) -> Double { wrapped.learningRate(at: step, base: base) }
}
