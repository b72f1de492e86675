import CBackpropKernels

/// Matrix multiply entry points used by every `matmul` in Backprop.
///
/// Row-major GEMM: `C = alpha · op(A) · op(B) + beta · C` where `op(X)` is `X` or `Xᵀ`,
/// `op(A)` is `m × k`, `op(B)` is `k × n` and `C` is `m × n`. `lda`, `ldb` and `ldc` are the
/// distances between consecutive rows of the stored matrices (`A` is stored `k × m` when
/// `transA`). When `beta == 0`, `C` is write-only: it may hold uninitialised memory or NaN.
///
/// The work goes to OpenBLAS or BLIS when one is installed (found with `dlopen` at run time),
/// otherwise to Backprop's own packed kernels (AVX-512 or AVX2/FMA when the CPU has them,
/// portable C otherwise). See `GemmBackend`, `Gemm.setBackend(_:)`, `Gemm.setThreadCount(_:)`,
/// `Gemm.setKernelISA(_:)` and `KernelInfo`.
public enum Gemm {
  /// Single-precision GEMM: `C = alpha · op(A) · op(B) + beta · C` (row-major).
  public static func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let threads = threadCount
    let backend = self.backend
    if backend != .own, blasAccepts(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                    lda: lda, ldb: ldb, ldc: ldc) {
      bp_blas_sgemm(backend.cValue, Int32(threads), transA ? 1 : 0, transB ? 1 : 0,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    } else {
      bp_sgemm_own(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                   Int32(threads))
    }
  }

  /// Double-precision GEMM: `C = alpha · op(A) · op(B) + beta · C` (row-major).
  public static func dgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    let threads = threadCount
    let backend = self.backend
    if backend != .own, blasAccepts(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                    lda: lda, ldb: ldb, ldc: ldc) {
      bp_blas_dgemm(backend.cValue, Int32(threads), transA ? 1 : 0, transB ? 1 : 0,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    } else {
      bp_dgemm_own(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                   Int32(threads))
    }
  }

  /// Whether a call can go to CBLAS as is: 32-bit sizes, leading dimensions CBLAS accepts (it
  /// rejects e.g. `lda < k` even when unused), and a non-trivial product (the own path handles
  /// `k == 0` / `alpha == 0` / empty `C` without touching A or B).
  private static func blasAccepts<T: BinaryFloatingPoint>(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: T, lda: Int, ldb: Int, ldc: Int
  ) -> Bool {
    let limit = Int(Int32.max)
    guard m > 0, n > 0, k > 0, alpha != 0, m <= limit, n <= limit, k <= limit,
          lda <= limit, ldb <= limit, ldc <= limit else { return false }
    return lda >= (transA ? m : k) && ldb >= (transB ? k : n) && ldc >= n
  }
}

/// The reference triple loop (i-k-j order so the inner loop is contiguous); also the oracle in tests.
///
/// Same contract as `Gemm.sgemm`: row-major `C = alpha · op(A) · op(B) + beta · C`, and
/// `beta == 0` does not read `C`.
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
