import BackpropKernels

/// Float and Double, each routed to its `Gemm` entry point.
protocol GemmTestScalar: BinaryFloatingPoint, Sendable {
  static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                   a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                   beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}
extension Float: GemmTestScalar {
  static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  }
}
extension Double: GemmTestScalar {
  static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                   a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                   beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
    Gemm.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  }
}

/// Seeded operands for one GEMM call; padding columns hold NaN so reading them shows up.
struct GemmProblem<T: GemmTestScalar>: Sendable {
  let m, n, k: Int
  let transA, transB: Bool
  let alpha, beta: T
  let lda, ldb, ldc: Int
  let a, b, c: [T]
  /// naiveGemm's answer and the |A|·|B| scale for the tolerance, computed once per problem.
  let expected, bound: [T]

  init(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: T, beta: T, padding: Int) {
    (self.m, self.n, self.k, self.transA, self.transB, self.alpha, self.beta) = (m, n, k, transA, transB, alpha, beta)
    var random = SplitMix64(seed: UInt64(m * 1_000_003 + n * 1_009 + k) &* 31 &+ (transA ? 7 : 0) &+ (transB ? 3 : 0))
    let (aRows, aColumns) = transA ? (k, m) : (m, k)
    let (bRows, bColumns) = transB ? (n, k) : (k, n)
    (lda, ldb, ldc) = (aColumns + padding, bColumns + padding, n + padding)
    a = Self.matrix(rows: aRows, columns: aColumns, stride: lda, &random) { _ in true }
    b = Self.matrix(rows: bRows, columns: bColumns, stride: ldb, &random) { _ in true }
    // beta == 0: C is write-only, so it starts as NaN everywhere.
    c = Self.matrix(rows: m, columns: n, stride: ldc, &random) { _ in beta != 0 }
    (expected, bound) = Self.oracle(m: m, n: n, k: k, transA: transA, transB: transB, alpha: alpha,
                                    beta: beta, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
  }

  /// `rows × columns` values in [-1, 1) at row stride `stride`; NaN in the padding and where
  /// `valid` is false.
  private static func matrix(rows: Int, columns: Int, stride: Int, _ random: inout SplitMix64,
                             valid: (Int) -> Bool) -> [T] {
    var values = [T](repeating: .nan, count: max(1, rows * stride))
    for i in 0..<rows { for j in 0..<columns where valid(i) { values[i * stride + j] = T(random.nextUnit() * 2 - 1) } }
    return values
  }

  /// Number of elements of `Gemm`'s result outside the tolerance, plus padding of C it changed.
  ///
  /// Tolerance: each computed dot product obeys |fl(x·y) − x·y| ≤ γₖ·|x|·|y| with γₖ ≈ k·eps
  /// (Higham, Thm 3.5); the oracle and the kernel may each be that far off, in any summation
  /// order, so we allow 2·(k + 2)·eps·(|alpha|·|A|·|B| + |beta|·|C|), computed with naiveGemm.
  func mismatches() -> Int {
    var actual = c
    T.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
           b: b, ldb: ldb, beta: beta, c: &actual, ldc: ldc)
    let factor = 2 * T(k + 2) * T.ulpOfOne
    var failures = 0
    for i in 0..<m {
      for j in 0..<ldc {
        let index = i * ldc + j
        if j >= n {  // padding must be left alone (it holds NaN)
          if !actual[index].isNaN { failures += 1 }
        } else if !(abs(actual[index] - expected[index]) <= factor * bound[index]) {
          failures += 1
        }
      }
    }
    return failures
  }

  /// naiveGemm's result, and the same product of absolute values (the error-bound scale).
  private static func oracle(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: T, beta: T,
                             a: [T], lda: Int, b: [T], ldb: Int, c: [T], ldc: Int) -> (expected: [T], bound: [T]) {
    var expected = c
    naiveGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
              b: b, ldb: ldb, beta: beta, c: &expected, ldc: ldc)
    let magnitude = { (x: [T]) in x.map { $0.isNaN ? 0 : abs($0) } }
    var bound = magnitude(c)
    naiveGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: abs(alpha), a: magnitude(a),
              lda: lda, b: magnitude(b), ldb: ldb, beta: abs(beta), c: &bound, ldc: ldc)
    return (expected, bound)
  }
}

/// Small deterministic generator (SplitMix64) so every run sees the same operands.
struct SplitMix64 {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in [0, 1).
  mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
