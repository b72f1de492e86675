import BackpropKernels
import BackpropNN
import BackpropOptim
import Testing
import _BackpropTestSupport

/// Optimizers replayed against PyTorch trajectories (Tools/make_nn_fixtures.py, float64):
/// same problem, same initial values, six steps, every parameter compared after every step.
@Suite struct OptimizerTests {
  struct Config: Decodable {
    var kind: String
    var lr: Double
    var momentum, dampening, weight_decay, alpha, eps, clip: Double?
    var betas: [Double]?
    var nesterov, centered: Bool?
  }
  struct Step: Decodable { var weight, bias: [Double] }
  struct Case: Decodable { var config: Config; var steps: [Step] }
  struct Problem: Decodable { var weight, bias, x: [Double]; var labels: [Int] }
  struct File: Decodable { var problem: Problem; var cases: [String: Case]; var float32_adam: Case }

  static let file: File = try! loadFixture("optimizers.json")
  static let caseNames = file.cases.keys.sorted()

  /// `cross_entropy(x·Wᵀ + b, labels) + 0.1·mean((x·Wᵀ + b)²)`, the fixture's loss.
  static func loss<S: TensorScalar>(_ w: Tensor<S>, _ b: Tensor<S>, _ p: Problem) throws -> Tensor<S> {
    let x = Tensor<S>(shape: [5, 4], scalars: p.x.map { S($0) })
    let logits = Tensor.linear(x, weight: w, bias: b)
    return softmaxCrossEntropy(logits: logits, labels: p.labels) + logits.squared().mean() * S(0.1)
  }

  static func makeOptimizer<S: TensorScalar>(_ c: Config, _ parameters: [Tensor<S>]) -> any Optimizer<S> {
    switch c.kind {
    case "sgd":
      return SGD(parameters, learningRate: c.lr, momentum: c.momentum ?? 0, dampening: c.dampening ?? 0,
                 weightDecay: c.weight_decay ?? 0, nesterov: c.nesterov ?? false)
    case "adam":
      return Adam(parameters, learningRate: c.lr, beta1: c.betas?[0] ?? 0.9, beta2: c.betas?[1] ?? 0.999,
                  epsilon: c.eps ?? 1e-8, weightDecay: c.weight_decay ?? 0)
    case "adamw":
      return AdamW(parameters, learningRate: c.lr, weightDecay: c.weight_decay ?? 1e-2)
    case "rmsprop":
      return RMSProp(parameters, learningRate: c.lr, alpha: c.alpha ?? 0.99, epsilon: c.eps ?? 1e-8,
                     weightDecay: c.weight_decay ?? 0, momentum: c.momentum ?? 0, centered: c.centered ?? false)
    default: fatalError("unknown optimizer \(c.kind)")
    }
  }

  static func replay<S: TensorScalar>(_ c: Case, as _: S.Type, tolerance: Tolerance, name: String) throws {
    let p = file.problem
    let w = Tensor<S>(shape: [3, 4], scalars: p.weight.map { S($0) }, requiresGrad: true)
    let b = Tensor<S>(shape: [3], scalars: p.bias.map { S($0) }, requiresGrad: true)
    let optimizer = makeOptimizer(c.config, [w, b])
    for (t, expected) in c.steps.enumerated() {
      optimizer.zeroGrad()
      try loss(w, b, p).backward()
      if let clip = c.config.clip { clipGradientNorm([w, b], maxNorm: clip) }
      optimizer.step()
      expectClose(w.scalars.map { Double($0) }, expected.weight, tolerance, "\(name) step \(t + 1) weight")
      expectClose(b.scalars.map { Double($0) }, expected.bias, tolerance, "\(name) step \(t + 1) bias")
    }
  }

  @Test(arguments: caseNames)
  func matchesPyTorchTrajectory(name: String) throws {
    try Self.replay(Self.file.cases[name]!, as: Double.self, tolerance: .pytorchFixture, name: name)
  }

  @Test func float32AdamMatchesPyTorch() throws {
    let tolerance = Tolerance(rtol: 1e-5, atol: 1e-6, rationale: "float32 on both sides; summation order in the loss differs")
    try Self.replay(Self.file.float32_adam, as: Float.self, tolerance: tolerance, name: "float32 adam")
  }

  @Test func stateRoundTripContinuesIdentically() throws {
    for name in Self.caseNames {
      let c = Self.file.cases[name]!
      let p = Self.file.problem
      func fresh() throws -> (Tensor<Double>, Tensor<Double>) {
        (Tensor<Double>(shape: [3, 4], scalars: p.weight, requiresGrad: true), Tensor<Double>(shape: [3], scalars: p.bias, requiresGrad: true))
      }
      let (w1, b1) = try fresh(), (w2, b2) = try fresh()
      let o1 = Self.makeOptimizer(c.config, [w1, b1]), o2 = Self.makeOptimizer(c.config, [w2, b2])
      for _ in 0..<3 {
        o1.zeroGrad(); try Self.loss(w1, b1, p).backward(); o1.step()
      }
      // Copy parameters and state into the second optimizer, then both take three more steps.
      w2.update { $0 = w1.scalars }; b2.update { $0 = b1.scalars }
      try o2.loadState(o1.state)
      for _ in 0..<3 {
        o1.zeroGrad(); try Self.loss(w1, b1, p).backward(); o1.step()
        o2.zeroGrad(); try Self.loss(w2, b2, p).backward(); o2.step()
      }
      #expect(w1.scalars == w2.scalars, "\(name)")
      #expect(b1.scalars == b2.scalars, "\(name)")
    }
  }

  /// Large parameters are updated on both kernel threads: the result must not depend on that.
  @Test func largeUpdatesAreTheSameOnOneAndTwoThreads() throws {
    let n = 200_000
    let makers: [(String, ([Tensor<Float>]) -> any Optimizer<Float>)] = [
      ("sgd", { SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true) }),
      ("adamw", { AdamW($0, learningRate: 0.01, weightDecay: 1e-2) }),
      ("rmsprop", { RMSProp($0, learningRate: 0.01, weightDecay: 1e-3, momentum: 0.5, centered: true) }),
    ]
    for (name, make) in makers {
      func run() throws -> [Float] {
        var rng = SeededGenerator(seed: 5)
        let w = Tensor<Float>(shape: [n], scalars: (0..<n).map { _ in Float(rng.nextUniform() - 0.5) }, requiresGrad: true)
        let optimizer = make([w])
        for _ in 0..<3 {
          optimizer.zeroGrad()
          (w * w * w).sum().backward()
          optimizer.step()
        }
        return w.scalars
      }
      let one = try #require(try Gemm.withSettings(threadCount: 1) { try run() })
      let (two, usedTwoThreads) = try withTwoThreadsProved { try run() }
      #expect(usedTwoThreads, "\(name): the 2-thread run never got a second thread")
      #expect(one.map(\.bitPattern) == two.map(\.bitPattern), "\(name)")
    }
  }

  /// `step(deferring:)` with the deferred parameter's gradient handed over in uneven pieces (what
  /// DataParallel does from the ranks' sums) leaves the weights and the state with the bits of
  /// `step()`, over steps that include the first (momentum buffer taken from g, Adam's bias
  /// corrections at t = 1), for every piecewise optimizer and its options; the parameter not
  /// deferred is updated by the call itself.
  @Test func piecewiseUpdatesHaveTheBitsOfStep() {
    let makers: [(String, ([Tensor<Float>]) -> any PiecewiseOptimizer<Float>)] = [
      ("sgd", { SGD($0, learningRate: 0.1) }),
      ("sgd, weight decay", { SGD($0, learningRate: 0.1, weightDecay: 1e-2) }),
      ("sgd, momentum, dampening", { SGD($0, learningRate: 0.05, momentum: 0.9, dampening: 0.1) }),
      ("sgd, nesterov, weight decay", { SGD($0, learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true) }),
      ("adam", { Adam($0, learningRate: 0.01) }),
      ("adam, L2", { Adam($0, learningRate: 0.01, weightDecay: 1e-2) }),
      ("adamw", { AdamW($0, learningRate: 0.01, weightDecay: 1e-2) }),
    ]
    let (n, m) = (5_000, 37)
    for (name, make) in makers {
      var rng = SeededGenerator(seed: 9)
      let start = ((0..<n).map { _ in Float(rng.nextUniform() - 0.5) }, (0..<m).map { _ in Float(rng.nextUniform() - 0.5) })
      let gradients = (0..<4).map { _ in ((0..<n).map { _ in Float(rng.nextUniform() - 0.5) }, (0..<m).map { _ in Float(rng.nextUniform() - 0.5) }) }
      let whole = [Tensor<Float>(shape: [n], scalars: start.0), Tensor<Float>(shape: [m], scalars: start.1)]
      let pieces = [Tensor<Float>(shape: [n], scalars: start.0), Tensor<Float>(shape: [m], scalars: start.1)]
      let a = make(whole), b = make(pieces)
      for (g, h) in gradients {
        whole[0].grad = Tensor(shape: [n], scalars: g)
        whole[1].grad = Tensor(shape: [m], scalars: h)
        a.step()
        pieces[0].grad = nil  // deferred: no .grad, as after DataParallel.finishGradients()
        pieces[1].grad = Tensor(shape: [m], scalars: h)
        let update = b.step(deferring: [0])
        // Uneven calls, each asking for its pieces (of at most pieceLength) in order.
        // Each piece's updated weights are handed out right after its update.
        var lower = 0, asked: [Range<Int>] = [], handedOut: [Range<Int>] = []
        var handed = [Float](repeating: .nan, count: n)
        for length in [1, 2047, 16, 2900, 36] {
          let elements = lower..<lower + length
          update.apply(0, elements, { piece, into in
            asked.append(piece)
            for i in piece { into[i - piece.lowerBound] = g[i] }
          }, { piece, weights in
            handedOut.append(piece)
            for i in piece { handed[i] = weights[i - piece.lowerBound] }
          })
          lower += length
        }
        #expect(lower == n)
        #expect(asked.map(\.count).max()! <= PiecewiseUpdate<Float>.pieceLength && asked.map(\.count).reduce(0, +) == n
                && zip(asked, asked.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(name): \(asked)")
        #expect(handedOut == asked, "\(name): \(handedOut)")
        #expect(handed.map(\.bitPattern) == whole[0].scalars.map(\.bitPattern), "\(name): the weights handed out")
      }
      #expect(whole[0].scalars.map(\.bitPattern) == pieces[0].scalars.map(\.bitPattern), "\(name): the deferred parameter")
      #expect(whole[1].scalars.map(\.bitPattern) == pieces[1].scalars.map(\.bitPattern), "\(name): the other parameter")
      #expect(a.state == b.state, "\(name): optimizer state")
      #expect(a.stepCount == 4 && b.stepCount == 4, "\(name)")
    }
  }

  @Test func parametersWithoutGradientAreSkipped() {
    let a = Tensor<Float>([1, 2], requiresGrad: true)
    let optimizer = Adam([a], learningRate: 0.1)
    optimizer.step()
    #expect(a.scalars == [1, 2])
    #expect(optimizer.state.steps == [0])
  }

  @Test func clippingScalesToTheMaximumNorm() {
    let a = Tensor<Double>([0, 0], requiresGrad: true), b = Tensor<Double>([0], requiresGrad: true)
    a.grad = Tensor([3, 0]); b.grad = Tensor([4])
    let norm = clipGradientNorm([a, b], maxNorm: 1)
    #expect(norm == 5)
    expectClose(a.grad!.scalars + b.grad!.scalars, [0.6, 0, 0.8], .init(rtol: 1e-6, atol: 0, rationale: "the 1e-6 in the divisor"))
    let untouched = clipGradientNorm([a, b], maxNorm: 10)
    expectClose(untouched, 1, .init(rtol: 1e-6, atol: 0, rationale: "norm after clipping"))
  }
}

/// Learning-rate schedules against PyTorch's schedulers.
@Suite struct ScheduleTests {
  struct Entry: Decodable { var base: Double; var lrs: [Double]; var step_size: Int?; var gamma: Double?; var total: Int?; var minimum: Double?; var warmup: Int?; var start_factor: Double? }
  let file: [String: Entry]
  init() throws { file = try loadFixture("schedules.json") }

  @Test func stepDecay() {
    let e = file["step"]!
    let s = StepDecay(stepSize: e.step_size!, gamma: e.gamma!)
    expectClose((0..<e.lrs.count).map { s.learningRate(at: $0, base: e.base) }, e.lrs, .pytorchFixture)
  }

  @Test func cosineDecay() {
    let e = file["cosine"]!
    let s = CosineDecay(totalSteps: e.total!, minimum: e.minimum!)
    // Up to T; PyTorch's recursive form then rises again (a period), ours stays at the minimum.
    let n = e.total! + 1
    expectClose((0..<n).map { s.learningRate(at: $0, base: e.base) }, Array(e.lrs.prefix(n)), .pytorchFixture)
    #expect(s.learningRate(at: 50, base: e.base) == e.minimum!)
  }

  @Test func warmupThenCosine() {
    let e = file["warmup_cosine"]!
    let s = LinearWarmup(warmupSteps: e.warmup!, startFactor: e.start_factor!, then: CosineDecay(totalSteps: e.total!))
    expectClose((0..<e.lrs.count).map { s.learningRate(at: $0, base: e.base) }, e.lrs, .pytorchFixture)
  }

  /// The optimizer drives its schedule: `step()` applies the schedule's rate from the
  /// optimizer's `learningRate`, then advances; PyTorch's `optimizer.step(); scheduler.step()`
  /// gives the same rates (the fixture's sequence).
  @Test func optimizerStepAdvancesItsSchedule() {
    let e = file["warmup_cosine"]!
    let schedule = LinearWarmup(warmupSteps: e.warmup!, startFactor: e.start_factor!, then: CosineDecay(totalSteps: e.total!))
    let p = Tensor<Double>([0])
    p.requiresGrad = true
    let optimizer = SGD([p], learningRate: e.base, schedule: schedule)
    var applied: [Double] = []
    for _ in e.lrs.indices {
      // With gradient 1 and plain SGD the parameter moves by exactly −η_t: read η_t back.
      p.grad = Tensor<Double>([1])
      #expect(optimizer.currentLearningRate == schedule.learningRate(at: applied.count, base: e.base))
      let before = p.scalars[0]
      optimizer.step()
      applied.append(before - p.scalars[0])
    }
    expectClose(applied, e.lrs, .pytorchFixture)
    #expect(optimizer.stepCount == e.lrs.count)
    #expect(optimizer.state.stepCount == e.lrs.count)
  }

  /// Without a schedule the base rate is used at every step, and changing it takes effect.
  @Test func baseRateIsUsedAndCanChange() {
    let p = Tensor<Double>([0])
    p.requiresGrad = true
    let optimizer = Adam([p], learningRate: 0.25)
    #expect(optimizer.currentLearningRate == 0.25)
    optimizer.learningRate = 0.5
    #expect(optimizer.currentLearningRate == 0.5)
    p.grad = Tensor<Double>([1])
    optimizer.step()
    // Adam's first step moves by η · sign(g) (up to ε): the new rate was used.
    #expect(abs(p.scalars[0] + 0.5) < 1e-6)
  }

  /// A restored state puts the schedule where it was, so the next rate continues the sequence.
  @Test func stateKeepsTheSchedulePosition() throws {
    let p = Tensor<Double>([0])
    p.requiresGrad = true
    let first = AdamW([p], learningRate: 0.1, schedule: CosineDecay(totalSteps: 10))
    for _ in 0..<4 { p.grad = Tensor<Double>([1]); first.step() }
    let second = AdamW([p], learningRate: 0.1, schedule: CosineDecay(totalSteps: 10))
    try second.loadState(first.state)
    #expect(second.stepCount == 4)
    #expect(second.currentLearningRate == first.currentLearningRate)
    #expect(second.currentLearningRate == CosineDecay(totalSteps: 10).learningRate(at: 4, base: 0.1))
  }
}
