import BackpropCore

/// Linear least squares two ways: the closed-form normal equation and gradient descent with
/// our autodiff — the study note's point that simple problems have a direct solution while
/// backpropagation (iterative gradient steps) is the general tool.
///
/// The model is `ŷ = X·w` (append a column of ones to `X` for an intercept) and the loss is
/// the mean squared error `L(w) = (1/m) ‖X·w − y‖²`, whose gradient is `(2/m) Xᵀ(X·w − y)`.
/// All computation is in `Double`.
public enum LeastSquares {
  /// Solves the normal equation `XᵀX·w = Xᵀy` (setting ∇L = 0) by Cholesky factorisation.
  ///
  /// Why Cholesky: `XᵀX` is symmetric, and positive definite whenever `X` has full column rank,
  /// so it factors as `L·Lᵀ` with `L` lower triangular — in n³/3 flops (half of LU), with no
  /// pivoting, and backward stable for such matrices. Then two triangular solves give `w`.
  /// The price is that forming `XᵀX` squares the condition number (κ(XᵀX) = κ(X)²): for
  /// nearly collinear features a QR factorisation of `X` itself (2mn² flops) loses half as
  /// many digits. With standardised features, as here, κ stays moderate and Cholesky is the
  /// cheapest accurate choice. Cost overall: `XᵀX` is m·n² (one GEMM), the factorisation n³/3.
  ///
  /// - Parameters:
  ///   - x: the design matrix, `[m, n]`.
  ///   - y: the targets, `[m]`.
  ///   - ridge: adds `ridge·I` to `XᵀX` (0: plain least squares).
  /// - Throws: `TensorError.invalidArgument` when `XᵀX` is not positive definite (collinear
  ///   features); the message suggests a ridge term.
  public static func normalEquation(x: Tensor<Double>, y: Tensor<Double>, ridge: Double = 0) throws -> Tensor<Double> {
    try checkShapes(x, y)
    let n = x.shape[1]
    var a = withoutGradient { Tensor.matmul(x, x, transposeA: true) }.scalars  // XᵀX, n × n
    let b = withoutGradient { Tensor.matmul(x, y.reshaped(to: [-1, 1]), transposeA: true) }.scalars  // Xᵀy
    for i in 0..<n { a[i * n + i] += ridge }
    try choleskyFactor(&a, n)
    return Tensor(choleskySolve(a, n, b))
  }

  /// Minimises `L(w)` by full-batch gradient descent, `w ← w − η ∇L(w)`, with the gradient
  /// computed by backpropagation through `mean((X·w − y)²)` (the library's tape, not a formula).
  ///
  /// Stops after `maxIterations` or when ‖∇L‖ < `tolerance`. The default step size is `1/λ`,
  /// where λ, the largest eigenvalue of the Hessian `(2/m) XᵀX`, is estimated by 20 rounds
  /// of power iteration (matrix–vector products only; that is the Lipschitz constant of ∇L,
  /// and 1/λ is the classic safe step).
  public static func gradientDescent(
    x: Tensor<Double>, y: Tensor<Double>, learningRate: Double? = nil, maxIterations: Int = 100_000, tolerance: Double = 1e-6
  ) throws -> (weights: Tensor<Double>, iterations: Int, learningRate: Double, losses: [Double]) {
    try checkShapes(x, y)
    let n = x.shape[1]
    let eta = try learningRate ?? 1 / largestHessianEigenvalue(x)
    let w = Tensor<Double>.zeros([n], requiresGrad: true)
    var losses: [Double] = []
    var iterations = 0
    while iterations < maxIterations {
      w.zeroGrad()
      let loss = (Tensor.matmul(x, w) - y).squared().mean()
      loss.backward()
      losses.append(loss.item)
      iterations += 1
      let g = w.grad!.scalars
      if g.reduce(0, { $0 + $1 * $1 }).squareRoot() < tolerance { break }
      w.update { values in for i in 0..<n { values[i] -= eta * g[i] } }
    }
    return (w.detached(), iterations, eta, losses)
  }

  /// `(1/m) ‖X·w − y‖²`.
  public static func meanSquaredError(x: Tensor<Double>, y: Tensor<Double>, weights: Tensor<Double>) throws -> Double {
    withoutGradient { (Tensor.matmul(x, weights) - y).squared().mean().item }
  }

  /// λ_max of `(2/m) XᵀX` by power iteration, computed as `Xᵀ(X·v)` without forming `XᵀX`.
  static func largestHessianEigenvalue(_ x: Tensor<Double>, rounds: Int = 20) throws -> Double {
    let m = Double(x.shape[0])
    var v = Tensor<Double>(repeating: 1 / Double(x.shape[1]).squareRoot(), shape: [x.shape[1]])
    var lambda = 0.0
    withoutGradient {
      for _ in 0..<rounds {
        let hv = Tensor.matmul(x, Tensor.matmul(x, v), transposeA: true) * (2 / m)
        lambda = hv.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard lambda > 0 else { return }
        v = hv / lambda
      }
    }
    return Swift.max(lambda, 1e-12)
  }

  static func checkShapes(_ x: Tensor<Double>, _ y: Tensor<Double>) throws {
    guard x.rank == 2, y.shape == [x.shape[0]], x.shape[0] > 0, x.shape[1] > 0 else {
      throw TensorError.shapeMismatch(op: "LeastSquares", lhs: x.shape, rhs: y.shape, reason: "need X [m, n] and y [m]")
    }
  }

  /// In place: the lower triangle of the row-major `n × n` SPD matrix `a` becomes `L` with
  /// `a = L·Lᵀ` (Cholesky–Crout, row by row; inner products run over contiguous rows).
  static func choleskyFactor(_ a: inout [Double], _ n: Int) throws {
    try a.withUnsafeMutableBufferPointer { a in
      for i in 0..<n {
        for j in 0...i {
          var s = a[i * n + j]
          for k in 0..<j { s -= a[i * n + k] * a[j * n + k] }
          if i == j {
            guard s > 0, s.isFinite else {
              throw TensorError.invalidArgument(op: "normalEquation",
                message: "XᵀX is not positive definite (pivot \(i) is \(s)): features are collinear; add a ridge term")
            }
            a[i * n + i] = s.squareRoot()
          } else {
            a[i * n + j] = s / a[j * n + j]
          }
        }
      }
    }
  }

  /// Solves `L·Lᵀ·w = b` by forward then backward substitution (`L` in the lower triangle of `l`).
  static func choleskySolve(_ l: [Double], _ n: Int, _ b: [Double]) -> [Double] {
    var z = b
    for i in 0..<n {  // L·z = b
      var s = z[i]
      for k in 0..<i { s -= l[i * n + k] * z[k] }
      z[i] = s / l[i * n + i]
    }
    for i in stride(from: n - 1, through: 0, by: -1) {  // Lᵀ·w = z
      var s = z[i]
      for k in (i + 1)..<max(i + 1, n) { s -= l[k * n + i] * z[k] }
      z[i] = s / l[i * n + i]
    }
    return z
  }
}
