import BackpropCore
import Foundation

/// Adam (Kingma & Ba, 2015), exactly as PyTorch's `torch.optim.Adam` (defaults β₁ = 0.9,
/// β₂ = 0.999, ε = 1e-8, no weight decay):
///
///     g ← ∇θ + λθ                      (λ: L2 weight decay, added to the gradient)
///     m ← m + (1 − β₁)(g − m)          (= β₁m + (1 − β₁)g)
///     v ← β₂v + (1 − β₂)g²
///     θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
public final class Adam<Scalar: TensorScalar>: PiecewiseOptimizer {
  /// The parameters being trained.
  public let parameters: [Tensor<Scalar>]
  /// η, the base learning rate (the schedule's starting point when there is one).
  public var learningRate: Double
  /// The schedule `step()` follows (`nil`: the constant `learningRate`).
  public var schedule: (any LearningRateSchedule)?
  /// How many times `step()` has run: the schedule's position.
  public var stepCount = 0
  /// β₁, the decay of the first-moment (mean) estimate.
  public let beta1: Double
  /// β₂, the decay of the second-moment (uncentred variance) estimate.
  public let beta2: Double
  /// ε, added to the denominator for stability.
  public let epsilon: Double
  /// λ: for `Adam` an L2 term added to the gradient; for `AdamW` the decoupled decay rate.
  public let weightDecay: Double
  /// Whether weight decay is decoupled (`AdamW`: `θ ← θ(1 − ηλ)` before the Adam step).
  public let decoupledWeightDecay: Bool
  private var steps: [Int]
  private var firstMoments: [[Scalar]?]
  private var secondMoments: [[Scalar]?]

  /// An Adam optimizer over `parameters` with PyTorch's defaults, following `schedule` from
  /// `learningRate` when one is given.
  public convenience init(
    _ parameters: [Tensor<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
    epsilon: Double = 1e-8, weightDecay: Double = 0, schedule: (any LearningRateSchedule)? = nil
  ) {
    self.init(parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
              weightDecay: weightDecay, decoupled: false, schedule: schedule)
  }

  init(_ parameters: [Tensor<Scalar>], learningRate: Double, beta1: Double, beta2: Double, epsilon: Double,
       weightDecay: Double, decoupled: Bool, schedule: (any LearningRateSchedule)?) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    decoupledWeightDecay = decoupled
    self.schedule = schedule
    steps = Array(repeating: 0, count: parameters.count)
    firstMoments = Array(repeating: nil, count: parameters.count)
    secondMoments = Array(repeating: nil, count: parameters.count)
  }

  /// One update of every parameter with a gradient.
  public func step() { _ = step(deferring: []) }

  /// `step()` for every parameter with a gradient outside `deferred`; the update of the
  /// `deferred` ones, piece by piece (see `PiecewiseOptimizer`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func step(deferring deferred: Set<Int>) -> PiecewiseUpdate<Scalar> {
    let learningRate = advanceSchedule()
    let oneMinusB1 = Scalar(1 - beta1), b2 = Scalar(beta2), oneMinusB2 = Scalar(1 - beta2)
    let eps = Scalar(epsilon), wd = Scalar(weightDecay)
    let decay = decoupledWeightDecay ? Scalar(1 - learningRate * weightDecay) : 1
    let l2 = decoupledWeightDecay ? 0 : wd
    // Bias corrections in Double, rounded once, as PyTorch computes them in Python floats.
    func corrections(_ k: Int) -> (stepSize: Scalar, correction2: Scalar) {
      let t = Double(steps[k])
      return (Scalar(learningRate / (1 - pow(beta1, t))), Scalar((1 - pow(beta2, t)).squareRoot()))
    }
    var deferredCorrections: [Int: (stepSize: Scalar, correction2: Scalar)] = [:]
    for (k, p) in parameters.enumerated() {
      if deferred.contains(k) {
        steps[k] += 1
        deferredCorrections[k] = corrections(k)
        continue
      }
      guard let grad = p.grad, p.count > 0 else { continue }
      steps[k] += 1
      let (stepSize, correction2) = corrections(k), n = p.count
      withParameter(p, grad, &firstMoments[k], &secondMoments[k], wantA: true, wantB: true) { theta, g, m, v in
        adamKernel(theta, g, m!, v!, count: n, stepSize: stepSize, correction2: correction2,
                   oneMinusBeta1: oneMinusB1, beta2: b2, oneMinusBeta2: oneMinusB2, epsilon: eps, l2: l2, decay: decay)
      }
    }
    return PiecewiseUpdate { [self] k, elements, gradient, updated in
      let (stepSize, correction2) = deferredCorrections[k]!
      withParameterState(parameters[k], &firstMoments[k], &secondMoments[k], wantA: true, wantB: true) { theta, m, v in
        PiecewiseUpdate.pieces(of: elements, theta: theta, gradient, updated) { piece, g in
          let lower = piece.lowerBound
          adamKernel(theta + lower, g, m! + lower, v! + lower, count: piece.count, stepSize: stepSize,
                     correction2: correction2, oneMinusBeta1: oneMinusB1, beta2: b2, oneMinusBeta2: oneMinusB2,
                     epsilon: eps, l2: l2, decay: decay)
        }
      }
    }
  }

  /// `exp_avg` and `exp_avg_sq` per parameter.
  public var state: OptimizerState<Scalar> {
    OptimizerState(steps: steps, slots: ["exp_avg": firstMoments, "exp_avg_sq": secondMoments], stepCount: stepCount)
  }

  /// Restores `state`.
  public func loadState(_ state: OptimizerState<Scalar>) throws {
    try state.validate(for: parameters, names: ["exp_avg", "exp_avg_sq"])
    steps = state.steps
    stepCount = state.stepCount
    firstMoments = state.slots["exp_avg"]!
    secondMoments = state.slots["exp_avg_sq"]!
  }
}

/// AdamW (Loshchilov & Hutter, 2019): Adam with *decoupled* weight decay, as PyTorch's
/// `torch.optim.AdamW` (default λ = 0.01):
///
///     θ ← θ(1 − ηλ)      then the Adam step with the plain gradient.
///
/// Unlike L2 in `Adam`, the decay is not rescaled by the adaptive denominator.
public final class AdamW<Scalar: TensorScalar>: PiecewiseOptimizer {
  private let adam: Adam<Scalar>
  /// The parameters being trained.
  public var parameters: [Tensor<Scalar>] { adam.parameters }
  /// η, the base learning rate (the schedule's starting point when there is one).
  public var learningRate: Double {
    get { adam.learningRate }
    set { adam.learningRate = newValue }
  }
  /// The schedule `step()` follows (`nil`: the constant `learningRate`).
  public var schedule: (any LearningRateSchedule)? {
    get { adam.schedule }
    set { adam.schedule = newValue }
  }
  /// How many times `step()` has run: the schedule's position.
  public var stepCount: Int {
    get { adam.stepCount }
    set { adam.stepCount = newValue }
  }
  /// λ, the decoupled decay rate.
  public var weightDecay: Double { adam.weightDecay }

  /// An AdamW optimizer over `parameters` with PyTorch's defaults, following `schedule` from
  /// `learningRate` when one is given.
  public init(
    _ parameters: [Tensor<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
    epsilon: Double = 1e-8, weightDecay: Double = 1e-2, schedule: (any LearningRateSchedule)? = nil
  ) {
    adam = Adam(parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                weightDecay: weightDecay, decoupled: true, schedule: schedule)
  }

  /// One update of every parameter with a gradient.
  public func step() { adam.step() }
  /// `step()` except for `deferred`, whose update it returns (see `PiecewiseOptimizer`).
  public func step(deferring deferred: Set<Int>) -> PiecewiseUpdate<Scalar> { adam.step(deferring: deferred) }
  /// `exp_avg` and `exp_avg_sq` per parameter.
  public var state: OptimizerState<Scalar> { adam.state }
  /// Restores `state`.
  public func loadState(_ state: OptimizerState<Scalar>) throws { try adam.loadState(state) }
}
