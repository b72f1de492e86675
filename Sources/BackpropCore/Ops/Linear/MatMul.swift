extension Tensor {
  /// Matrix product `op(a) · op(b)`, where `op` optionally transposes the last two axes.
  ///
  /// Rank-2 operands multiply as matrices; higher ranks are batches of matrices whose leading
  /// dimensions broadcast (NumPy `matmul`). A rank-1 `a` is a row vector and a rank-1 `b` a
  /// column vector; their added dimension is removed from the result.
  ///
  /// VJP (C = A·B): `∂L/∂A = G·Bᵀ`, `∂L/∂B = Aᵀ·G` — Jacobians compose (m,k)(k,n) → (m,n)
  /// without ever being built. With transposes the same formulas are written with the flags,
  /// so no transposed copy is made. JVP: `Ċ = Ȧ·B + A·Ḃ`.
  /// - Throws: `TensorError.shapeMismatch` when the inner dimensions differ or batches do not broadcast.
  public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
    if a.rank == 1 || b.rank == 1 {
      guard a.rank >= 1, b.rank >= 1 else {
        throw TensorError.shapeMismatch(op: "matmul", lhs: a.shape, rhs: b.shape, reason: "scalars cannot be matrix-multiplied")
      }
      let a2 = a.rank == 1 ? try a.reshaped(to: [1, a.count]) : a
      let b2 = b.rank == 1 ? try b.reshaped(to: [b.count, 1]) : b
      let result: Tensor
      do {
        result = try matmul(a2, b2, transposeA: a.rank == 1 ? false : transposeA, transposeB: b.rank == 1 ? false : transposeB)
      } catch let TensorError.shapeMismatch(op, _, _, reason) {
        // Report the shapes the caller passed, not the reshaped matrices.
        throw TensorError.shapeMismatch(op: op, lhs: a.shape, rhs: b.shape, reason: reason)
      }
      // Drop the added dimensions in one call: squeezing −1 first would leave a vector·vector
      // result of rank 1, where −2 no longer exists.
      return try result.squeezingShape(at: (a.rank == 1 ? [-2] : []) + (b.rank == 1 ? [-1] : []))
    }
    let (m, k) = transposeA ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (k2, n) = transposeB ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
    guard k == k2 else {
      throw TensorError.shapeMismatch(op: "matmul", lhs: a.shape, rhs: b.shape,
        reason: "inner dimensions differ: (\(m)×\(k)) · (\(k2)×\(n))\(transposeA || transposeB ? " after transposes" : "")")
    }
    let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
    guard let batch = broadcastShapes(aBatch, bBatch) else {
      throw TensorError.shapeMismatch(op: "matmul", lhs: a.shape, rhs: b.shape, reason: "batch dimensions do not broadcast")
    }
    let values = multiplyBatches(a, b, batch: batch, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
    return record("matmul", shape: batch + [m, n], scalars: values, inputs: [a, b], formula: "G·Bᵀ, Aᵀ·G",
      pullback: { g, c in
        let (a, b) = (c.inputs[0], c.inputs[1])
        let da = !c.needsGradient(0) ? nil : must {
          try c.unbroadcast(transposeA ? matmul(b, g, transposeA: transposeB, transposeB: true)
                                       : matmul(g, b, transposeA: false, transposeB: !transposeB), toInput: 0)
        }
        let db = !c.needsGradient(1) ? nil : must {
          try c.unbroadcast(transposeB ? matmul(g, a, transposeA: true, transposeB: transposeA)
                                       : matmul(a, g, transposeA: !transposeA, transposeB: false), toInput: 1)
        }
        return [da, db]
      },
      pushforward: { t, c in
        let (a, b) = (c.inputs[0], c.inputs[1])
        return must {
          try tangentSum(t[0].map { try matmul($0, b, transposeA: transposeA, transposeB: transposeB) },
                         t[1].map { try matmul(a, $0, transposeA: transposeA, transposeB: transposeB) }, like: c.output)
        }
      })
  }

  /// `self · other` (see `Tensor.matmul(_:_:transposeA:transposeB:)`).
  public func matmul(_ other: Tensor) throws -> Tensor { try Tensor.matmul(self, other) }

  /// One GEMM per batch element, reading broadcast batches in place.
  private static func multiplyBatches(_ a: Tensor, _ b: Tensor, batch: [Int], m: Int, n: Int, k: Int,
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
            Scalar._gemm(transA: false, transB: transposeB, m: batchCount * m, n: n, k: k, alpha: 1,
                         a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: 0, c: out.baseAddress!, ldc: n)
            initialized = batchCount * m * n
            return
          }
          if batchCount > 1 && k > 0 && sharedA && n == 1 && b.shape.dropLast(2).reduce(1, *) == batchCount {
            // One matrix times a batch of column vectors (batched VJPs of A·x): the columns as rows
            // of a (batch × k) matrix give Cᵀ = Bᵀ·op(A)ᵀ, already in C's layout, in one GEMM.
            Scalar._gemm(transA: false, transB: !transposeA, m: batchCount, n: m, k: k, alpha: 1,
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
            Scalar._gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1,
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
