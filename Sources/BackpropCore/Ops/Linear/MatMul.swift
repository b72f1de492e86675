/// Matrix product `op(A) · op(B)` of two operands of rank ≥ 2, where `op` transposes the last
/// two axes when its flag (a parameter of the op) is set; leading batch dimensions broadcast.
///
/// VJP (C = A·B): `∂L/∂A = G·Bᵀ`, `∂L/∂B = Aᵀ·G` — Jacobians compose (m,k)(k,n) → (m,n)
/// without ever being built. With transposes the same formulas are written with the flags, so
/// no transposed copy is made. JVP: `Ċ = Ȧ·B + A·Ḃ`.
struct MatMul: Op {
  var name: String { "matmul" }
  let transposeA: Bool
  let transposeB: Bool
  var parameters: [(name: String, value: String)] {
    (transposeA ? [("transposeA", "true")] : []) + (transposeB ? [("transposeB", "true")] : [])
  }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (a, b) = (inputs[0], inputs[1])
    let (m, k) = transposeA ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (k2, n) = transposeB ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
    require(k == k2, "matmul", "shapes \(a.shape) and \(b.shape) do not match: inner dimensions differ: "
      + "(\(m)×\(k)) · (\(k2)×\(n))\(transposeA || transposeB ? " after transposes" : "")")
    guard let batch = broadcastShapes(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
      opFailure("matmul", "shapes \(a.shape) and \(b.shape) do not match: batch dimensions do not broadcast")
    }
    return (batch + [m, n], Tensor.multiplyBatches(a, b, batch: batch, m: m, n: n, k: k,
                                                   transposeA: transposeA, transposeB: transposeB))
  }
  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let (a, b) = (c.inputs[0], c.inputs[1])
    let da = !c.needsGradient(0) ? nil
      : c.unbroadcast(transposeA ? Tensor.matmul(b, g, transposeA: transposeB, transposeB: true)
                                 : Tensor.matmul(g, b, transposeA: false, transposeB: !transposeB), toInput: 0)
    let db = !c.needsGradient(1) ? nil
      : c.unbroadcast(transposeB ? Tensor.matmul(g, a, transposeA: true, transposeB: transposeA)
                                 : Tensor.matmul(a, g, transposeA: !transposeA, transposeB: false), toInput: 1)
    return [da, db]
  }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    let (a, b) = (c.inputs[0], c.inputs[1])
    return tangentSum(t[0].map { Tensor.matmul($0, b, transposeA: transposeA, transposeB: transposeB) },
                      t[1].map { Tensor.matmul(a, $0, transposeA: transposeA, transposeB: transposeB) }, like: c.output)
  }
  func forwardFormula(_ n: [String]) -> String {
    "\(n[0])\(transposeA ? "ᵀ" : "")·\(n[1])\(transposeB ? "ᵀ" : "")"
  }
  /// The written VJP uses the transpose flags themselves (nothing is guessed from shapes).
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    let (a, out) = (c.inputShapes[0], c.outputShape)
    let (m, n) = (out[out.count - 2], out[out.count - 1])
    let kk = transposeA ? a[a.count - 2] : a[a.count - 1]
    let (A, B) = (c.inputNames[0], c.inputNames[1])
    let desc: (String, [[Int]])
    switch (k, transposeA, transposeB) {
    case (0, false, false): desc = ("δ·\(B)ᵀ", [[m, n], [n, kk]])
    case (0, false, true): desc = ("δ·\(B)", [[m, n], [n, kk]])
    case (0, true, false): desc = ("\(B)·δᵀ", [[kk, n], [n, m]])
    case (0, true, true): desc = ("\(B)ᵀ·δᵀ", [[kk, n], [n, m]])
    case (_, false, false): desc = ("\(A)ᵀ·δ", [[kk, m], [m, n]])
    case (_, true, false): desc = ("\(A)·δ", [[kk, m], [m, n]])
    case (_, false, true): desc = ("δᵀ·\(A)", [[n, m], [m, kk]])
    default: desc = ("δᵀ·\(A)ᵀ", [[n, m], [m, kk]])
    }
    // Only batch axes can broadcast in a matmul.
    let input = c.inputShapes[k], lead = out.count - input.count
    let summed = Array(0..<Swift.max(lead, 0)) + (0..<Swift.max(input.count - 2, 0)).compactMap { i in
      input[i] == 1 && out[lead + i] != 1 ? lead + i : nil
    }
    return GradientFormula((out.count > 2 ? "batched " : "") + desc.0, .matrix, .kronecker,
                           operandShapes: desc.1, summedAxes: summed)
  }
}

extension Tensor {
  /// Matrix product `op(a) · op(b)`, where `op` optionally transposes the last two axes.
  ///
  /// Rank-2 operands multiply as matrices; higher ranks are batches of matrices whose leading
  /// dimensions broadcast (NumPy `matmul`). A rank-1 `a` is a row vector and a rank-1 `b` a
  /// column vector; their added dimension is removed from the result.
  /// VJP: `G·Bᵀ`, `Aᵀ·G`. Mismatched inner dimensions stop with a message naming both shapes.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    if a.rank == 1 || b.rank == 1 {
      require(a.rank >= 1 && b.rank >= 1, "matmul", "scalars cannot be matrix-multiplied (shapes \(a.shape) and \(b.shape))")
      let aInner = a.rank == 1 ? a.count : (transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1])
      let bInner = b.rank == 1 ? b.count : (transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2])
      // Report the shapes the caller passed, not the reshaped matrices.
      require(aInner == bInner, "matmul", "shapes \(a.shape) and \(b.shape) do not match: inner dimensions differ")
      let a2 = a.rank == 1 ? a.reshaped(to: [1, a.count]) : a
      let b2 = b.rank == 1 ? b.reshaped(to: [b.count, 1]) : b
      let result = matmul(a2, b2, transposeA: a.rank == 1 ? false : transposeA, transposeB: b.rank == 1 ? false : transposeB)
      // Drop the added dimensions in one call: squeezing −1 first would leave a vector·vector
      // result of rank 1, where −2 no longer exists.
      return result.squeezingShape(at: (a.rank == 1 ? [-2] : []) + (b.rank == 1 ? [-1] : []))
    }
    return apply(MatMul(transposeA: transposeA, transposeB: transposeB), to: [a, b])
  }

  /// `self · other` (see `Tensor.matmul(_:_:transposeA:transposeB:)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func matmul(_ other: Tensor) -> Tensor { Tensor.matmul(self, other) }

  /// One GEMM per batch element, reading broadcast batches in place.
  static func multiplyBatches(_ a: Tensor, _ b: Tensor, batch: [Int], m: Int, n: Int, k: Int,
                                      transposeA: Bool, transposeB: Bool) -> [Scalar] {
    let batchCount = batch.reduce(1, *)
    let aStrides = BroadcastPlan.strides(of: Array(a.shape.dropLast(2)), alignedTo: batch)
    let bStrides = BroadcastPlan.strides(of: Array(b.shape.dropLast(2)), alignedTo: batch)
    let batchStrides = Shape.strides(batch)
    let lda = a.shape[a.rank - 1], ldb = b.shape[b.rank - 1]
    return [Scalar](unsafeUninitializedCapacity: batchCount * m * n) { out, initialized in
      a.scalars.withUnsafeBufferPointer { ap in
        b.scalars.withUnsafeBufferPointer { bp in
          let sharedA = a.rank == 2, sharedB = b.rank == 2
          if batchCount > 1 && k > 0 && sharedB && !transposeA && a.shape.dropLast(2).reduce(1, *) == batchCount {
            // A batch of matrices times one matrix: the batches stacked are one (batch·m × k) matrix.
            Scalar.gemm(transA: false, transB: transposeB, m: batchCount * m, n: n, k: k, alpha: 1,
                         a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: 0, c: out.baseAddress!, ldc: n)
            initialized = batchCount * m * n
            return
          }
          if batchCount > 1 && k > 0 && sharedA && n == 1 && b.shape.dropLast(2).reduce(1, *) == batchCount {
            // One matrix times a batch of column vectors (batched VJPs of A·x): the columns as rows
            // of a (batch × k) matrix give Cᵀ = Bᵀ·op(A)ᵀ, already in C's layout, in one GEMM.
            Scalar.gemm(transA: false, transB: !transposeA, m: batchCount, n: m, k: k, alpha: 1,
                         a: bp.baseAddress!, lda: k, b: ap.baseAddress!, ldb: lda, beta: 0, c: out.baseAddress!, ldc: m)
            initialized = batchCount * m * n
            return
          }
          for index in 0..<batchCount {
            var aOffset = 0, bOffset = 0, rest = index
            for d in 0..<batch.count {
              let i = rest / batchStrides[d]; rest %= batchStrides[d]
              aOffset += i * aStrides[d]; bOffset += i * bStrides[d]
            }
            let c = out.baseAddress! + index * m * n
            if k == 0 { c.initialize(repeating: 0, count: m * n); continue }
            Scalar.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1,
                         a: ap.baseAddress! + aOffset * m * k, lda: lda,
                         b: bp.baseAddress! + bOffset * k * n, ldb: ldb,
                         beta: 0, c: c, ldc: n)
          }
        }
      }
      initialized = batchCount * m * n
    }
  }
}
