/// The outcome of `checkGradients`: whether analytic and numerical derivatives agree, and the
/// worst disagreement found.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
  /// Whether every compared derivative satisfied |analytic − numeric| ≤ atol + rtol·|numeric|.
  public var passed: Bool
  /// How many derivatives were compared (elements, plus random directions).
  public var comparisons: Int
  /// The largest |analytic − numeric| seen.
  public var maxAbsoluteError: Double
  /// Where the worst error (relative to its tolerance) was: input index, flat element index
  /// (−1 for a random-direction check), and the two values.
  public var worstInput: Int
  public var worstElement: Int
  public var worstAnalytic: Double
  public var worstNumeric: Double

  public var description: String {
    let place = worstElement >= 0 ? "input \(worstInput)[\(worstElement)]" : "input \(worstInput) (random direction)"
    return "\(passed ? "passed" : "FAILED"): \(comparisons) comparisons, max |error| \(maxAbsoluteError); "
      + "worst at \(place): analytic \(worstAnalytic), numeric \(worstNumeric)"
  }
}

/// Checks the gradients of `f` at `inputs` against central finite differences in Double,
/// like PyTorch's `gradcheck`: `(L(x + ε) − L(x − ε)) / 2ε` per element, where
/// `L = Σ u ⊙ f(x)` with a fixed random `u` (so non-scalar outputs check a full VJP).
///
/// Inputs with more than `elementLimit` elements are checked along `randomDirections` random
/// directions instead (JAX's `check_vjp` idea: ⟨∇L, v⟩ against the directional difference),
/// which keeps large shapes cheap.
public func checkGradients<E: Error>(
  of f: ([Tensor<Double>]) throws(E) -> Tensor<Double>, at inputs: [Tensor<Double>],
  eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3,
  elementLimit: Int = 4096, randomDirections: Int = 4, seed: UInt64 = 0
) throws(E) -> GradientCheckResult {
  var generator = SeededGenerator(seed: seed)
  let probe = try withoutGradient { () throws(E) in try f(inputs.map { $0.detached() }) }
  let u = Tensor<Double>.randomUniform(probe.shape, low: 0.5, high: 1.5, using: &generator)
  func loss(_ xs: [Tensor<Double>]) throws(E) -> Double {
    try withoutGradient { () throws(E) in try (f(xs) * u).sum().item }
  }
  let leaves = inputs.map { Tensor<Double>(uncheckedShape: $0.shape, scalars: $0.scalars, requiresGrad: true) }
  let y = try withGradient { () throws(E) in try f(leaves) }
  if y.requiresGrad { y.backward(gradient: u) }
  let analytic = leaves.map { $0.grad?.scalars ?? [Double](repeating: 0, count: $0.count) }

  var result = GradientCheckResult(passed: true, comparisons: 0, maxAbsoluteError: 0, worstInput: 0, worstElement: 0,
                                   worstAnalytic: 0, worstNumeric: 0)
  var worstRatio = -1.0
  func compare(_ a: Double, _ numeric: Double, input: Int, element: Int) {
    let error = Swift.abs(a - numeric)
    let tolerance = atol + rtol * Swift.abs(numeric)
    result.comparisons += 1
    result.maxAbsoluteError = Swift.max(result.maxAbsoluteError, error)
    if !(error <= tolerance) { result.passed = false }
    let ratio = error.isNaN ? .infinity : error / tolerance
    if ratio > worstRatio {
      worstRatio = ratio
      (result.worstInput, result.worstElement, result.worstAnalytic, result.worstNumeric) = (input, element, a, numeric)
    }
  }
  for (k, x) in inputs.enumerated() {
    let xs = inputs.map { $0.detached() }
    if x.count <= elementLimit {
      for i in 0..<x.count {
        let saved = xs[k].scalars[i]
        xs[k].scalars[i] = saved + eps
        let plus = try loss(xs)
        xs[k].scalars[i] = saved - eps
        let minus = try loss(xs)
        xs[k].scalars[i] = saved
        compare(analytic[k][i], (plus - minus) / (2 * eps), input: k, element: i)
      }
    } else {
      for _ in 0..<randomDirections {
        let v = Tensor<Double>.randomNormal(x.shape, using: &generator)
        let base = x.scalars
        xs[k].scalars = zip(base, v.scalars).map { $0 + eps * $1 }
        let plus = try loss(xs)
        xs[k].scalars = zip(base, v.scalars).map { $0 - eps * $1 }
        let minus = try loss(xs)
        xs[k].scalars = base
        let directional = zip(analytic[k], v.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        compare(directional, (plus - minus) / (2 * eps), input: k, element: -1)
      }
    }
  }
  return result
}

/// Second-order check: the gradient of `⟨∇L(x), w⟩` (computed with `createGraph`) against
/// finite differences, for fixed random `w` — i.e. Hessian–vector products are verified.
public func checkSecondOrderGradients<E: Error>(
  of f: ([Tensor<Double>]) throws(E) -> Tensor<Double>, at inputs: [Tensor<Double>],
  eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3, seed: UInt64 = 1
) throws(E) -> GradientCheckResult {
  var generator = SeededGenerator(seed: seed)
  let probe = try withoutGradient { () throws(E) in try f(inputs.map { $0.detached() }) }
  let u = Tensor<Double>.randomUniform(probe.shape, low: 0.5, high: 1.5, using: &generator)
  let ws = inputs.map { Tensor<Double>.randomUniform($0.shape, low: -1, high: 1, using: &generator) }
  func firstOrder(_ xs: [Tensor<Double>]) throws(E) -> Tensor<Double> {
    try withGradient { () throws(E) in
      let y = try (f(xs) * u).sum()
      let needs = xs.filter(\.requiresGrad)
      guard y.requiresGrad, !needs.isEmpty else { return Tensor<Double>(0) }
      for x in needs { x.grad = nil }
      y.backward(createGraph: true)
      var total = Tensor<Double>(0)
      for (x, w) in zip(xs, ws) { if let g = x.grad { total = total + (g * w).sum() } }
      for x in needs { x.grad = nil }
      return total
    }
  }
  // Finite differences need the inner backward even on non-leaf copies: make them leaves.
  return try checkGradients(of: { xs throws(E) in
    try firstOrder(xs.map { $0.requiresGrad ? $0 : Tensor<Double>(uncheckedShape: $0.shape, scalars: $0.scalars, requiresGrad: true) })
  }, at: inputs, eps: eps, atol: atol, rtol: rtol, seed: seed)
}
