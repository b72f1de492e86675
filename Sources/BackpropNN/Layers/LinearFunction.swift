extension Tensor {
  /// The affine map of a fully connected layer, `y = x · Wᵀ + b`, as one recorded op.
  ///
  /// `x` is `[batch, in]` (or `[in]`, or `[…, in]`: leading axes are flattened and restored),
  /// `weight` is `(out, in)` as in PyTorch, `bias` is `[out]`. The forward pass is a single GEMM
  /// that accumulates onto the broadcast bias (no separate add).
  ///
  /// VJP (G = ∂L/∂y, rows are samples):
  /// `∂L/∂x = G · W`, `∂L/∂W = Gᵀ · x`, `∂L/∂b = Σ_rows G`.
  /// JVP: `ẏ = ẋ · Wᵀ + x · Ẇᵀ + ḃ`.
  /// The backward formulas are written with tensor ops, so they are differentiable again.
  /// - Throws: `TensorError.shapeMismatch` when the sizes disagree.
  public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
    guard weight.rank == 2 else {
      throw TensorError.shapeMismatch(op: "linear", lhs: x.shape, rhs: weight.shape, reason: "the weight must be (out, in)")
    }
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    guard x.rank >= 1, x.shape[x.rank - 1] == inFeatures else {
      throw TensorError.shapeMismatch(op: "linear", lhs: x.shape, rhs: weight.shape,
                                      reason: "the input's last axis must equal the weight's in-features \(inFeatures)")
    }
    if let bias, bias.shape != [outFeatures] {
      throw TensorError.shapeMismatch(op: "linear", lhs: weight.shape, rhs: bias.shape, reason: "the bias must be [\(outFeatures)]")
    }
    if x.rank != 2 {
      let y = try linear(x.reshaped(to: [-1, inFeatures]), weight: weight, bias: bias)
      return try y.reshaped(to: Array(x.shape.dropLast()) + [outFeatures])
    }
    let rows = x.shape[0]
    let values = [Scalar](unsafeUninitializedCapacity: rows * outFeatures) { out, initialized in
      let c = out.baseAddress!
      if let bias {
        bias.scalars.withUnsafeBufferPointer { b in broadcastRows(b.baseAddress!, count: outFeatures, rows: rows, into: c) }
      } else {
        c.initialize(repeating: 0, count: rows * outFeatures)
      }
      if inFeatures > 0 && rows > 0 && outFeatures > 0 {
        x.scalars.withUnsafeBufferPointer { a in
          weight.scalars.withUnsafeBufferPointer { w in
            Scalar._gemm(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, alpha: 1,
                         a: a.baseAddress!, lda: inFeatures, b: w.baseAddress!, ldb: inFeatures,
                         beta: 1, c: c, ldc: outFeatures)
          }
        }
      }
      initialized = rows * outFeatures
    }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return try recordResult("linear", shape: [rows, outFeatures], scalars: values, inputs: inputs,
      formula: "G·W, Gᵀ·x, Σ G",
      pullback: { g, c in
        let (x, w) = (c.inputs[0], c.inputs[1])
        let dx = c.needsGradient(0) ? try matmul(g, w) : nil
        let dw = c.needsGradient(1) ? try matmul(g, x, transposeA: true) : nil
        let db = c.inputs.count > 2 && c.needsGradient(2) ? try g.sum(alongAxes: [0]) : nil
        return c.inputs.count > 2 ? [dx, dw, db] : [dx, dw]
      },
      pushforward: { t, c in
        let (x, w) = (c.inputs[0], c.inputs[1])
        var y = Tensor.zeros(c.output.shape)
        if let dx = t[0] { y = try y + matmul(dx, w, transposeB: true) }
        if let dw = t[1] { y = try y + matmul(x, dw, transposeB: true) }
        if t.count > 2, let db = t[2] { y = try y + db }
        return y
      })
  }
}
