import BackpropCore
import Testing

/// How far a computed value may be from a reference: `|actual − expected| ≤ atol + rtol·|expected|`
/// elementwise (NumPy's `isclose`). Every preset says why its numbers are what they are.
public struct Tolerance: Sendable, CustomStringConvertible {
  public var rtol: Double
  public var atol: Double
  /// One line: why these numbers (shown when a comparison fails).
  public var rationale: String

  public init(rtol: Double, atol: Double, rationale: String) {
    self.rtol = rtol
    self.atol = atol
    self.rationale = rationale
  }

  public var description: String { "rtol \(rtol), atol \(atol) (\(rationale))" }

  /// Double kernels against the Double stdlib/RealModule function: identical formulas up to a few
  /// roundings (composites like gelu chain 4–5 ops), so a few ulps; atol covers results near 0.
  public static let doubleReference = Tolerance(
    rtol: 1e-13, atol: 1e-15, rationale: "a few Double ulps: same maths, at most a handful of extra roundings")
  /// Float kernels against the Double reference: Float has 24 bits (ulp ≈ 6e-8); a few ulps of
  /// input rounding amplified by the function's condition number (≤ ~10 on our domains).
  public static let floatReference = Tolerance(
    rtol: 2e-6, atol: 1e-6, rationale: "a few Float ulps (2⁻²⁴ ≈ 6e-8) times the function's condition number")
  /// Two reverse/forward-mode evaluations of the same Double maths in a different order
  /// (⟨u, Jv⟩ both ways, Jacobian by rows vs columns): only summation order differs.
  public static let sameMathsDifferentOrder = Tolerance(
    rtol: 1e-10, atol: 1e-12, rationale: "same Double maths summed in another order: round-off only")
  /// PyTorch's float64 results replayed by our engine: both are float64 and exact formulas, so
  /// only round-off differs; atol for entries that cancel to ~0 (sums of O(1) terms).
  public static let pytorchFixture = Tolerance(
    rtol: 1e-10, atol: 1e-12, rationale: "float64 on both sides: round-off only; atol for cancellation to ~0")
  /// Issue 6's differential tests: long random op chains (exp, pow, divisions, softmax) condition
  /// round-off worse than single ops, so the 1e-6 relative; atol for entries near 0.
  public static let differential = Tolerance(
    rtol: 1e-6, atol: 1e-9, rationale: "issue 6: 1e-6 relative over random op chains; atol for entries near 0")
  /// Central differences with eps = 1e-5 have O(eps²·f‴) ≈ 1e-10 truncation error and
  /// O(1e-16/eps) ≈ 1e-11 round-off: 1e-6 is far above both yet far below any real bug.
  public static let finiteDifference = Tolerance(
    rtol: 1e-6, atol: 1e-7, rationale: "central differences: truncation O(eps²) + round-off O(ulp/eps), eps = 1e-5")
}

/// The worst element of a comparison, for a failure message that says where and by how much.
public struct Closeness: Sendable, CustomStringConvertible {
  /// Whether every element is within tolerance (and shapes agree).
  public var passed: Bool
  public var index: Int
  public var actual: Double
  public var expected: Double
  /// `|actual − expected| / (atol + rtol·|expected|)` at the worst element (≤ 1 passes).
  public var ratio: Double
  public var note: String

  public var description: String {
    if passed { return "close (worst ratio \(ratio))" }
    return index < 0 ? note
      : "element \(index): \(actual) vs expected \(expected) (error/tolerance = \(ratio)); \(note)"
  }
}

/// Compares two arrays elementwise; NaN never counts as close, and equal infinities do.
public func closeness(_ actual: [Double], _ expected: [Double], _ tolerance: Tolerance) -> Closeness {
  guard actual.count == expected.count else {
    return Closeness(passed: false, index: -1, actual: .nan, expected: .nan, ratio: .infinity,
                     note: "counts differ: \(actual.count) vs \(expected.count)")
  }
  var worst = Closeness(passed: true, index: 0, actual: 0, expected: 0, ratio: 0, note: tolerance.description)
  for (i, (a, e)) in zip(actual, expected).enumerated() {
    let ratio: Double
    if a == e { ratio = 0 }  // also equal infinities
    else if a.isNaN || e.isNaN || !a.isFinite || !e.isFinite { ratio = .infinity }
    else { ratio = Swift.abs(a - e) / (tolerance.atol + tolerance.rtol * Swift.abs(e)) }
    if ratio > worst.ratio {
      (worst.index, worst.actual, worst.expected, worst.ratio) = (i, a, e, ratio)
    }
    if !(ratio <= 1) { worst.passed = false }
  }
  return worst
}

/// `closeness` for tensors: shapes must match exactly, then elements (Float widens to Double).
public func closeness<S: TensorScalar>(_ actual: Tensor<S>, _ expected: Tensor<S>, _ tolerance: Tolerance) -> Closeness {
  guard actual.shape == expected.shape else {
    return Closeness(passed: false, index: -1, actual: .nan, expected: .nan, ratio: .infinity,
                     note: "shapes differ: \(actual.shape) vs \(expected.shape)")
  }
  return closeness(actual.scalars.map { Double($0) }, expected.scalars.map { Double($0) }, tolerance)
}

/// Records a Swift Testing issue, at the caller's line, unless `actual` is close to `expected`.
public func expectClose(
  _ actual: [Double], _ expected: [Double], _ tolerance: Tolerance, _ comment: @autoclosure () -> String = "",
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let c = closeness(actual, expected, tolerance)
  #expect(c.passed, "\(comment()) \(c)", sourceLocation: sourceLocation)
}

/// Tensor version of `expectClose` (shapes must match too).
public func expectClose<S: TensorScalar>(
  _ actual: Tensor<S>, _ expected: Tensor<S>, _ tolerance: Tolerance, _ comment: @autoclosure () -> String = "",
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let c = closeness(actual, expected, tolerance)
  #expect(c.passed, "\(comment()) \(c)", sourceLocation: sourceLocation)
}

/// Scalar version of `expectClose`.
public func expectClose(
  _ actual: Double, _ expected: Double, _ tolerance: Tolerance, _ comment: @autoclosure () -> String = "",
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let c = closeness([actual], [expected], tolerance)
  #expect(c.passed, "\(comment()) \(c)", sourceLocation: sourceLocation)
}
