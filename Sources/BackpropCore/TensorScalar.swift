import BackpropKernels
import RealModule

/// The element types a `Tensor` can hold: `Float` (training) and `Double` (gradient checks).
///
/// The hot loops are requirements of this protocol, implemented once generically in `Kernels/`
/// and instantiated for `Float` and `Double` below. Generic code anywhere (in this module or a
/// client's) then calls one fully specialised loop per tensor operation instead of paying for
/// generic dispatch on every element.
public protocol TensorScalar: BinaryFloatingPoint, Real, Sendable, LosslessStringConvertible
where Magnitude == Self {
  /// The safetensors dtype tag ("F32" or "F64").
  static var dtypeName: String { get }
  /// `y[i] = f(x[i])` for an elementwise kernel.
  static func unaryKernel(_ kind: UnaryKernel, _ x: UnsafeBufferPointer<Self>, _ y: UnsafeMutableBufferPointer<Self>)
  /// `out = f(a, b)` with NumPy broadcasting described by `plan`.
  static func binaryKernel(_ kind: BinaryKernel, _ a: UnsafeBufferPointer<Self>, _ b: UnsafeBufferPointer<Self>,
                      _ out: UnsafeMutableBufferPointer<Self>, _ plan: BroadcastPlan)
  /// Reduces the middle axis of an `[outer, count, inner]` view.
  static func reduceKernel(_ kind: ReduceKernel, _ x: UnsafeBufferPointer<Self>, outer: Int, count: Int, inner: Int,
                      _ y: UnsafeMutableBufferPointer<Self>)
  /// Row-major GEMM (see `Gemm`).
  static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                    a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
  /// `y[i] += alpha * x[i]` (in place), the building block of optimizer updates.
  static func axpy(_ alpha: Self, _ x: UnsafeBufferPointer<Self>, _ y: UnsafeMutableBufferPointer<Self>)
  /// `count` copies of `value` (a memset-speed fill; `[Self](repeating:count:)` in unspecialised
  /// generic code copies element by element through the type's value witness).
  static func filled(_ value: Self, count: Int) -> [Self]
}

extension Float: TensorScalar {
  public static var dtypeName: String { "F32" }
  public static func unaryKernel(_ kind: UnaryKernel, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
    unaryLoop(kind, x, y)
  }
  public static func binaryKernel(_ kind: BinaryKernel, _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                             _ out: UnsafeMutableBufferPointer<Float>, _ plan: BroadcastPlan) {
    binaryLoop(kind, a, b, out, plan)
  }
  public static func reduceKernel(_ kind: ReduceKernel, _ x: UnsafeBufferPointer<Float>, outer: Int, count: Int, inner: Int,
                             _ y: UnsafeMutableBufferPointer<Float>) {
    reduceLoop(kind, x, outer: outer, count: count, inner: inner, y)
  }
  public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  }
  public static func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
    axpyLoop(alpha, x, y)
  }
  public static func filled(_ value: Float, count: Int) -> [Float] { [Float](repeating: value, count: count) }
}

extension Double: TensorScalar {
  public static var dtypeName: String { "F64" }
  public static func unaryKernel(_ kind: UnaryKernel, _ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>) {
    unaryLoop(kind, x, y)
  }
  public static func binaryKernel(_ kind: BinaryKernel, _ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
                             _ out: UnsafeMutableBufferPointer<Double>, _ plan: BroadcastPlan) {
    binaryLoop(kind, a, b, out, plan)
  }
  public static func reduceKernel(_ kind: ReduceKernel, _ x: UnsafeBufferPointer<Double>, outer: Int, count: Int, inner: Int,
                             _ y: UnsafeMutableBufferPointer<Double>) {
    reduceLoop(kind, x, outer: outer, count: count, inner: inner, y)
  }
  public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                           a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                           beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
    Gemm.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  }
  public static func axpy(_ alpha: Double, _ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>) {
    axpyLoop(alpha, x, y)
  }
  public static func filled(_ value: Double, count: Int) -> [Double] { [Double](repeating: value, count: count) }
}
