import BackpropCore

/// Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay,
/// exactly as PyTorch's `torch.optim.SGD`:
///
///     g ← ∇θ + λθ                                  (weight decay λ, "L2")
///     b ← g                       on the first step
///     b ← μb + (1 − τ)g           afterwards        (momentum μ, dampening τ)
///     g ← g + μb  (Nesterov)  or  g ← b
///     θ ← θ − ηg
///
/// With `momentum == 0` this is plain `θ ← θ − η(∇θ + λθ)`.
public final class SGD<Scalar: TensorScalar>: PiecewiseOptimizer {
  /// The parameters being trained.
  public let parameters: [Tensor<Scalar>]
  /// η, the base learning rate (the schedule's starting point when there is one).
  public var learningRate: Double
  /// The schedule `step()` follows (`nil`: the constant `learningRate`).
  public var schedule: (any LearningRateSchedule)?
  /// How many times `step()` has run: the schedule's position.
  public var stepCount = 0
  /// μ (0: no momentum).
  public let momentum: Double
  /// τ, the share of the new gradient *not* added to the buffer (PyTorch's `dampening`).
  public let dampening: Double
  /// λ, the L2 penalty's coefficient added to the gradient.
  public let weightDecay: Double
  /// Whether to use Nesterov momentum (look ahead along the buffer).
  public let nesterov: Bool
  private var steps: [Int]
  private var buffers: [[Scalar]?]

  /// SGD over `parameters` (PyTorch's `torch.optim.SGD(params, lr, momentum, …)`), following
  /// `schedule` from `learningRate` when one is given.
  /// - Precondition: `nesterov` needs `momentum > 0` and `dampening == 0` (as in PyTorch).
  public init(
    _ parameters: [Tensor<Scalar>], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
    weightDecay: Double = 0, nesterov: Bool = false, schedule: (any LearningRateSchedule)? = nil
  ) {
    require(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires momentum > 0 and zero dampening")
    self.parameters = parameters
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.weightDecay = weightDecay
    self.nesterov = nesterov
    self.schedule = schedule
    steps = Array(repeating: 0, count: parameters.count)
    buffers = Array(repeating: nil, count: parameters.count)
  }

  /// One update of every parameter with a gradient.
  public func step() { _ = step(deferring: []) }

  /// `step()` for every parameter with a gradient outside `deferred`; the update of the
  /// `deferred` ones, piece by piece (see `PiecewiseOptimizer`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func step(deferring deferred: Set<Int>) -> PiecewiseUpdate<Scalar> {
    let lr = Scalar(advanceSchedule()), mu = Scalar(momentum), wd = Scalar(weightDecay), keep = Scalar(1 - dampening)
    let useMomentum = momentum != 0, nesterov = self.nesterov
    var unused: [Scalar]? = nil
    // Whether each deferred parameter takes its first momentum step (its buffer starts as g).
    var first: [Int: Bool] = [:]
    for (k, p) in parameters.enumerated() {
      if deferred.contains(k) {
        first[k] = buffers[k] == nil
        steps[k] += 1
        continue
      }
      guard let grad = p.grad, p.count > 0 else { continue }
      let firstStep = buffers[k] == nil, n = p.count
      steps[k] += 1
      withParameter(p, grad, &buffers[k], &unused, wantA: useMomentum, wantB: false) { theta, g, buf, _ in
        sgdKernel(theta, g, buf, count: n, lr: lr, momentum: mu, keep: keep, weightDecay: wd,
                  nesterov: nesterov, firstStep: firstStep)
      }
    }
    return PiecewiseUpdate { [self] k, elements, gradient, updated in
      var unused: [Scalar]? = nil
      let firstStep = first[k]!
      withParameterState(parameters[k], &buffers[k], &unused, wantA: useMomentum, wantB: false) { theta, buf, _ in
        PiecewiseUpdate.pieces(of: elements, theta: theta, gradient, updated) { piece, g in
          sgdKernel(theta + piece.lowerBound, g, buf.map { $0 + piece.lowerBound }, count: piece.count, lr: lr,
                    momentum: mu, keep: keep, weightDecay: wd, nesterov: nesterov, firstStep: firstStep)
        }
      }
    }
  }

  /// `momentum_buffer` per parameter (absent without momentum).
  public var state: OptimizerState<Scalar> {
    OptimizerState(steps: steps, slots: momentum != 0 ? ["momentum_buffer": buffers] : [:], stepCount: stepCount)
  }

  /// Restores `state`.
  public func loadState(_ state: OptimizerState<Scalar>) throws {
    try state.validate(for: parameters, names: momentum != 0 ? ["momentum_buffer"] : [])
    steps = state.steps
    stepCount = state.stepCount
    if momentum != 0 { buffers = state.slots["momentum_buffer"]! }
  }
}
