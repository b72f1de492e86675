/// The affine map of a fully connected layer, `y = x · Wᵀ + b`, as one op: x `[batch, in]`,
/// W `(out, in)` as in PyTorch, b `[out]` (optional). The forward pass is a single GEMM that
/// accumulates onto the broadcast bias (no separate add).
///
/// VJP (G = ∂L/∂y, rows are samples): `∂L/∂x = G · W`, `∂L/∂W = Gᵀ · x`, `∂L/∂b = Σ_rows G`.
/// JVP: `ẏ = ẋ · Wᵀ + x · Ẇᵀ + ḃ`. The backward formulas are written with tensor ops, so they
/// are differentiable again.
struct LinearOp: Op {
  var name: String { "linear" }

  func forward<Scalar>(_ inputs: [Tensor<Scalar>]) -> (shape: [Int], scalars: [Scalar]) {
    let (x, weight, bias) = (inputs[0], inputs[1], inputs.count > 2 ? inputs[2] : nil)
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
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
            Scalar.gemm(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, alpha: 1,
                         a: a.baseAddress!, lda: inFeatures, b: w.baseAddress!, ldb: inFeatures,
                         beta: 1, c: c, ldc: outFeatures)
          }
        }
      }
      initialized = rows * outFeatures
    }
    return ([rows, outFeatures], values)
  }

  func vjp<Scalar>(_ g: Tensor<Scalar>, _ c: BackwardContext<Scalar>) -> [Tensor<Scalar>?] {
    let (x, w) = (c.inputs[0], c.inputs[1])
    let dx = c.needsGradient(0) ? Tensor.matmul(g, w) : nil
    let dw = c.needsGradient(1) ? (Self.weightGradientInBlocks(g, x, for: w) ?? Tensor.matmul(g, x, transposeA: true)) : nil
    let db = c.inputs.count > 2 && c.needsGradient(2) ? g.sum(alongAxes: [0]) : nil
    return c.inputs.count > 2 ? [dx, dw, db] : [dx, dw]
  }

  /// `Gᵀ·x` written in `w.gradientBlocks` blocks of rows, calling `w.gradientBlockHook` after
  /// each (so the first layer's gradient, the last one backward produces, can be reduced across
  /// processes while it is still being computed); nil when blocks do not apply: no hook, one
  /// block without a `w.gradientBlockDestination`, a gradient already present or being
  /// recorded (`createGraph`). Each block is the
  /// same GEMM over the same batch: with the own GEMM (each element summed over the batch in
  /// the same order) the bits equal the one-piece product's; OpenBLAS picks its kernel by the
  /// product's size, so a block may differ from it in the last bit. With a
  /// `w.gradientBlockDestination`, the blocks go there and the hook's owner fills `dw`.
  static func weightGradientInBlocks<Scalar>(_ g: Tensor<Scalar>, _ x: Tensor<Scalar>, for w: Tensor<Scalar>)
    -> Tensor<Scalar>?
  {
    guard let hook = w.gradientBlockHook, w.gradientBlocks > 1 || (w.gradientBlocks == 1 && w.gradientBlockDestination != nil), w.grad == nil, !isGradientRecordingEnabled,
          g.rank == 2, x.rank == 2 else { return nil }
    let (rows, columns, batch) = (w.shape[0], w.shape[1], g.shape[0])
    guard batch > 0 else { return nil }  // Gᵀ·x of an empty batch: zeros, in one piece
    // Every element is written by a block's GEMM (beta 0) before its hook sees it: no zero-fill
    // (an 800 KB memset a step for W2's first layer).
    let count = rows * columns
    let dw = Tensor<Scalar>(shape: [rows, columns], scalars: [Scalar](unsafeUninitializedCapacity: count) { _, n in n = count })
    let blocks = min(w.gradientBlocks, rows)
    // The hook's owner may want the blocks elsewhere (memory shared with other processes); it
    // then fills dw's storage itself. Not under anomaly detection, which reads dw when the op
    // returns.
    let destination = isAnomalyDetectionEnabled ? nil : w.gradientBlockDestination?()
    var start = 0
    for b in 0..<blocks {
      let end = rows * (b + 1) / blocks
      g.scalars.withUnsafeBufferPointer { gp in
        x.scalars.withUnsafeBufferPointer { xp in
          dw.scalars.withUnsafeMutableBufferPointer { d in
            // rows start..<end of Gᵀ·x: columns start..<end of G (ld = rows), times x.
            Scalar.gemm(transA: true, transB: false, m: end - start, n: columns, k: batch, alpha: 1,
                        a: gp.baseAddress! + start, lda: rows, b: xp.baseAddress!, ldb: columns,
                        beta: 0, c: (destination ?? d.baseAddress!) + start * columns, ldc: columns)
          }
        }
      }
      hook(dw, start..<end)
      start = end
    }
    return dw
  }

  func jvp<Scalar>(_ t: [Tensor<Scalar>?], _ c: BackwardContext<Scalar>) -> Tensor<Scalar> {
    let (x, w) = (c.inputs[0], c.inputs[1])
    var y = Tensor<Scalar>.zeros(c.output.shape)
    if let dx = t[0] { y = y + Tensor.matmul(dx, w, transposeB: true) }
    if let dw = t[1] { y = y + Tensor.matmul(x, dw, transposeB: true) }
    if t.count > 2, let db = t[2] { y = y + db }
    return y
  }

  func forwardFormula(_ n: [String]) -> String { "\(n[0])·\(n[1])ᵀ" + (n.count > 2 ? " + \(n[2])" : "") }

  /// y = x·Wᵀ + b with x [batch×in], W [out×in], b [out].
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    let x = c.inputShapes[0], w = c.inputShapes[1]
    let (batch, input, output) = (x[0], w[1], w[0])
    switch k {
    case 0: return GradientFormula("δ·\(c.inputNames[1])", .matrix, .kronecker, operandShapes: [[batch, output], [output, input]])
    case 1: return GradientFormula("δᵀ·\(c.inputNames[0])", .matrix, .kronecker, operandShapes: [[output, batch], [batch, input]])
    default: return GradientFormula("Σ_rows δ", .sum, .reduction, summedAxes: [0])
    }
  }
}

extension Tensor {
  /// The affine map of a fully connected layer, `y = x · Wᵀ + b`, as one recorded op.
  ///
  /// `x` is `[batch, in]` (or `[in]`, or `[…, in]`: leading axes are flattened and restored),
  /// `weight` is `(out, in)` as in PyTorch, `bias` is `[out]`. Sizes that disagree stop with a
  /// message naming the shapes (a model that does not fit its data is caught where the data
  /// enters, before any op runs). VJP: `G·W`, `Gᵀ·x`, `Σ_rows G`.
  public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    require(weight.rank == 2, "linear", "the weight must be (out, in), got shape \(weight.shape)")
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    require(x.rank >= 1 && x.shape[x.rank - 1] == inFeatures, "linear",
            "the input's last axis must equal the weight's in-features \(inFeatures): input \(x.shape), weight \(weight.shape)")
    if let bias {
      require(bias.shape == [outFeatures], "linear", "the bias must be [\(outFeatures)], got \(bias.shape)")
    }
    if x.rank != 2 {
      let y = linear(x.reshaped(to: [-1, inFeatures]), weight: weight, bias: bias)
      return y.reshaped(to: Array(x.shape.dropLast()) + [outFeatures])
    }
    return apply(LinearOp(), to: bias.map { [x, weight, $0] } ?? [x, weight])
  }
}
