import BackpropCore

/// Updates parameters in place from their gradients (`.grad`), PyTorch style:
///
/// ```swift
/// let optimizer = SGD(model.parameters, learningRate: 0.05, momentum: 0.9, schedule: CosineDecay(totalSteps: 300))
/// optimizer.zeroGrad()
/// loss.backward()
/// optimizer.step()   // also advances the schedule
/// ```
///
/// Every optimizer takes its parameters unlabeled, its base rate as `learningRate`, and an
/// optional `LearningRateSchedule`: `step()` applies the schedule's rate at `stepCount` (from
/// `learningRate`), then adds one to `stepCount`. Without a schedule the rate is `learningRate`.
///
/// Optimizers hold the same `Tensor` objects as the model, and write into their storage, so a
/// step allocates nothing after the first one (which creates the per-parameter state). A
/// parameter whose `.grad` is `nil` is skipped, as in PyTorch.
///
/// State (momentum buffers, moment estimates, step counts, the schedule's position) can be read
/// and restored exactly through `state` / `loadState(_:)`, which is what checkpoints use to
/// resume bit for bit.
public protocol Optimizer<Scalar>: AnyObject {
  /// The element type of the parameters.
  associatedtype Scalar: TensorScalar
  /// The parameters updated by `step()`, in a fixed order (state is indexed by position).
  var parameters: [Tensor<Scalar>] { get }
  /// The base learning rate η: the rate of every step without a schedule, the rate the
  /// schedule starts from with one.
  var learningRate: Double { get set }
  /// The schedule `step()` follows, or `nil` for a constant `learningRate`.
  var schedule: (any LearningRateSchedule)? { get set }
  /// How many times `step()` has run: the schedule's position (0 before the first step).
  var stepCount: Int { get set }
  /// Applies one update to every parameter that has a gradient, at `currentLearningRate`, and
  /// advances the schedule.
  func step()
  /// The optimizer's state: a copy, to save in a checkpoint.
  var state: OptimizerState<Scalar> { get }
  /// Restores a state produced by `state` for the same parameters.
  /// - Throws: `TensorError.invalidArgument` when a slot has the wrong size.
  func loadState(_ state: OptimizerState<Scalar>) throws
}

/// An optimizer whose update of each element reads only that element: its gradient, its value
/// and its state (SGD, Adam, AdamW). A parameter can then be updated piece by piece, as the pieces
/// of its gradient are produced, without the gradient ever being stored whole, and a part of it
/// alone: `DataParallel` shards the step across the ranks (ZeRO stage 1), each rank adding the
/// ranks' gradients over its shard a few thousand elements at a time and updating those weights
/// from each piece, instead of writing the sum into `.grad` and reading it back in `step()`
/// (PyTorch's DDP runs an optimizer the same way in a communication hook). The elements updated
/// come out with the bits of `step()`.
public protocol PiecewiseOptimizer<Scalar>: Optimizer {
  /// One step: updates every parameter that has a `.grad` and is not in `deferred`, exactly as
  /// `step()` (the schedule advances once, and so does every deferred parameter's step count),
  /// and returns the update of the `deferred` ones at the same rate, to apply to each of their
  /// elements at most once, before the next step. Elements it is not applied to keep their
  /// values and their state (which then lags the step count: a sharded rank's view of the
  /// other ranks' shards, until `DataParallel` brings their state in).
  func step(deferring deferred: Set<Int>) -> PiecewiseUpdate<Scalar>
}

/// The update of deferred parameters (`PiecewiseOptimizer.step(deferring:)`): each call applies
/// the step to `elements` of parameter `parameter` (its index in `parameters`), as `step()` would
/// have from `.grad`, asking `gradient` for the gradient of `pieceLength` elements at a time (a
/// range within `elements`, written to the memory given, in cache while it is used), and handing
/// each piece's updated weights to `updated` while they are still in cache (`DataParallel` copies
/// them to the other ranks from there).
public struct PiecewiseUpdate<Scalar: TensorScalar> {
  /// The elements of one piece (the last may be shorter): 8 KiB of Float.
  public static var pieceLength: Int { 2048 }
  /// Applies the step to some elements of one deferred parameter.
  public let apply: (_ parameter: Int, _ elements: Range<Int>,
                     _ gradient: (_ piece: Range<Int>, _ into: UnsafeMutablePointer<Scalar>) -> Void,
                     _ updated: (_ piece: Range<Int>, _ weights: UnsafePointer<Scalar>) -> Void) -> Void

  /// Runs `body` for each piece of `elements` with the piece's gradient, in a buffer of
  /// `pieceLength` elements that `gradient` fills, then hands `updated` the piece of `theta`
  /// (the parameter's values, which `body` updates).
  static func pieces(of elements: Range<Int>, theta: UnsafeMutablePointer<Scalar>,
                     _ gradient: (Range<Int>, UnsafeMutablePointer<Scalar>) -> Void,
                     _ updated: (Range<Int>, UnsafePointer<Scalar>) -> Void,
                     _ body: (Range<Int>, UnsafePointer<Scalar>) -> Void) {
    withUnsafeTemporaryAllocation(of: Scalar.self, capacity: pieceLength) { buffer in
      for start in stride(from: elements.lowerBound, to: elements.upperBound, by: pieceLength) {
        let piece = start..<min(start + pieceLength, elements.upperBound)
        gradient(piece, buffer.baseAddress!)
        body(piece, UnsafePointer(buffer.baseAddress!))
        updated(piece, UnsafePointer(theta + start))
      }
    }
  }
}

extension Optimizer {
  /// Clears every parameter's `.grad` (PyTorch's `zero_grad(set_to_none=True)`).
  public func zeroGrad() { for p in parameters { p.zeroGrad() } }

  /// The rate the next `step()` applies: the schedule's rate at `stepCount` from
  /// `learningRate`, or `learningRate` without a schedule.
  public var currentLearningRate: Double {
    schedule?.learningRate(at: stepCount, base: learningRate) ?? learningRate
  }

  /// The rate for this step; moves the schedule on by one. Called once at the start of `step()`.
  func advanceSchedule() -> Double {
    let rate = currentLearningRate
    stepCount += 1
    return rate
  }
}

/// A snapshot of an optimizer's state: per-parameter step counts, named buffers and the
/// schedule's position.
///
/// `slots[name][i]` is buffer `name` (PyTorch's names: `momentum_buffer`, `exp_avg`,
/// `exp_avg_sq`, `square_avg`, `grad_avg`) of parameter `i`, or `nil` if it was not created yet.
public struct OptimizerState<Scalar: TensorScalar>: Equatable {
  /// Steps taken by each parameter (they differ only when some `.grad` was `nil`).
  public var steps: [Int]
  /// Named per-parameter buffers, flat row-major like the parameter.
  public var slots: [String: [[Scalar]?]]
  /// The optimizer's `stepCount`: where its schedule stands.
  public var stepCount: Int

  /// A state with the given step counts, buffers and schedule position.
  public init(steps: [Int], slots: [String: [[Scalar]?]], stepCount: Int = 0) {
    self.steps = steps
    self.slots = slots
    self.stepCount = stepCount
  }

  /// Checks that `slots` fit `parameters` (counts and element counts).
  func validate(for parameters: [Tensor<Scalar>], names: [String]) throws {
    guard stepCount >= 0 else {
      throw TensorError.invalidArgument(op: "loadState", message: "step count \(stepCount) is negative")
    }
    guard steps.count == parameters.count else {
      throw TensorError.invalidArgument(op: "loadState", message: "\(steps.count) step counts for \(parameters.count) parameters")
    }
    for name in names {
      guard let buffers = slots[name], buffers.count == parameters.count else {
        throw TensorError.invalidArgument(op: "loadState", message: "slot '\(name)' is missing or has the wrong count")
      }
      for (b, p) in zip(buffers, parameters) where b != nil && b!.count != p.count {
        throw TensorError.invalidArgument(op: "loadState", message: "slot '\(name)' has \(b!.count) values for a parameter of \(p.count)")
      }
    }
  }
}
