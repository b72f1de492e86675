/// Matrix multiply entry points used by every `matmul` in Backprop.
///
/// Row-major GEMM: `C = alpha · op(A) · op(B) + beta · C` where `op(X)` is `X` or `Xᵀ`,
/// `op(A)` is `m × k`, `op(B)` is `k × n` and `C` is `m × n`.
public enum Gemm {
  /// Single-precision GEMM.
  public static func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    naiveGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
              b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  }

  /// Double-precision GEMM.
  public static func dgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    naiveGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
              b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  }
}

/// The reference triple loop (i-k-j order so the inner loop is contiguous); also the oracle in tests.
public func naiveGemm<T: BinaryFloatingPoint>(
  transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: T,
  a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
  beta: T, c: UnsafeMutablePointer<T>, ldc: Int
) {
  for i in 0..<m {
    let ci = c + i * ldc
    if beta == 0 { for j in 0..<n { ci[j] = 0 } } else if beta != 1 { for j in 0..<n { ci[j] *= beta } }
    for p in 0..<k {
      let aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
      if aip == 0 { continue }
      if transB {
        for j in 0..<n { ci[j] += aip * b[j * ldb + p] }
      } else {
        let bp = b + p * ldb
        for j in 0..<n { ci[j] += aip * bp[j] }
      }
    }
  }
}
