import BackpropCore

/// RMSProp (Hinton's lecture 6e), exactly as PyTorch's `torch.optim.RMSprop` (defaults η = 0.01,
/// α = 0.99, ε = 1e-8, no momentum, not centred):
///
///     g ← ∇θ + λθ
///     s ← αs + (1 − α)g²
///     a ← g̅ + (1 − α)(g − g̅)  and  d ← √(s − a²) + ε     (centred)
///     d ← √s + ε                                        (otherwise)
///     b ← μb + g/d,  θ ← θ − ηb                         (momentum μ > 0)
///     θ ← θ − η g/d                                     (otherwise)
public final class RMSProp<Scalar: TensorScalar>: Optimizer {
  /// The parameters being trained.
  public let parameters: [Tensor<Scalar>]
  /// η, the base learning rate (the schedule's starting point when there is one).
  public var learningRate: Double
  /// The schedule `step()` follows (`nil`: the constant `learningRate`).
  public var schedule: (any LearningRateSchedule)?
  /// How many times `step()` has run: the schedule's position.
  public var stepCount = 0
  /// α, the decay of the running mean of g².
  public let alpha: Double
  /// ε, added to the denominator.
  public let epsilon: Double
  /// λ, the L2 coefficient added to the gradient.
  public let weightDecay: Double
  /// μ (0: no momentum buffer).
  public let momentum: Double
  /// Whether to divide by an estimate of the variance (`s − g̅²`) instead of the raw second moment.
  public let centered: Bool
  private var steps: [Int]
  private var squareAverages: [[Scalar]?]
  private var gradientAverages: [[Scalar]?]
  private var momentumBuffers: [[Scalar]?]

  /// An RMSProp optimizer over `parameters` with PyTorch's defaults, following `schedule` from
  /// `learningRate` when one is given.
  public init(
    _ parameters: [Tensor<Scalar>], learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8,
    weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false, schedule: (any LearningRateSchedule)? = nil
  ) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.alpha = alpha
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.momentum = momentum
    self.centered = centered
    self.schedule = schedule
    let none = [[Scalar]?](repeating: nil, count: parameters.count)
    steps = Array(repeating: 0, count: parameters.count)
    (squareAverages, gradientAverages, momentumBuffers) = (none, none, none)
  }

  /// One update of every parameter with a gradient.
  public func step() {
    let lr = Scalar(advanceSchedule()), a = Scalar(alpha), oneMinusA = Scalar(1 - alpha), eps = Scalar(epsilon)
    let wd = Scalar(weightDecay), mu = Scalar(momentum), centered = self.centered, useMomentum = momentum > 0
    for (k, p) in parameters.enumerated() {
      guard let grad = p.grad, p.count > 0 else { continue }
      steps[k] += 1
      let n = p.count
      var square = squareAverages[k].take() ?? [Scalar](repeating: 0, count: n)
      square.withUnsafeMutableBufferPointer { s in
        withParameter(p, grad, &gradientAverages[k], &momentumBuffers[k], wantA: centered, wantB: useMomentum) { theta, g, ga, b in
          rmspropKernel(theta, g, s.baseAddress!, ga, b, count: n, lr: lr, alpha: a, oneMinusAlpha: oneMinusA,
                        epsilon: eps, weightDecay: wd, momentum: mu)
        }
      }
      squareAverages[k] = square
    }
  }

  /// `square_avg`, plus `grad_avg` (centred) and `momentum_buffer` (momentum > 0).
  public var state: OptimizerState<Scalar> {
    var slots = ["square_avg": squareAverages]
    if centered { slots["grad_avg"] = gradientAverages }
    if momentum > 0 { slots["momentum_buffer"] = momentumBuffers }
    return OptimizerState(steps: steps, slots: slots, stepCount: stepCount)
  }

  /// Restores `state`.
  public func loadState(_ state: OptimizerState<Scalar>) throws {
    let names = ["square_avg"] + (centered ? ["grad_avg"] : []) + (momentum > 0 ? ["momentum_buffer"] : [])
    try state.validate(for: parameters, names: names)
    steps = state.steps
    stepCount = state.stepCount
    squareAverages = state.slots["square_avg"]!
    if centered { gradientAverages = state.slots["grad_avg"]! }
    if momentum > 0 { momentumBuffers = state.slots["momentum_buffer"]! }
  }
}
