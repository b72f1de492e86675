import BackpropKernels

/// A whole LSTM layer over T steps, from the input projections of all steps at once (how
/// oneDNN and cuDNN run it): `projected` `[T, B, 4H]` (x_t·W_ihᵀ + b_ih + b_hh, time-major),
/// `weightHH` `[4H, H]`, `h0`, `c0` `[B, H]` → `[T, B, 2H]`, h_t and c_t of every step:
///
///     G_t = P_t + h_{t−1}·W_hhᵀ,   (h_t, c_t) = lstmCell(G_t, c_{t−1})
///
/// VJP (backward through time, t = T−1 … 0; δh_t, δc_t are g's halves at t plus what flows
/// back from step t+1):
///     (∂G_t, ∂c_{t−1}) = lstmCell's VJP at (G_t, c_{t−1}),  ∂h_{t−1} += ∂G_t·W_hh
///     ∂P = ∂G,  ∂W_hh = Σ_t ∂G_tᵀ·h_{t−1},  ∂h0, ∂c0 the last carries
/// (∂W_hh as two GEMMs: the steps t ≥ 1 with h_{t−1} read from the output rows, t = 0 with h0)
/// JVP: Ġ_t = Ṗ_t + ḣ_{t−1}·W_hhᵀ + h_{t−1}·Ẇ_hhᵀ, then lstmCell's JVP.
///
/// Forward and first-order backward are loops of one GEMM and one vectorised gate kernel per step
/// (`LSTMCellOp.step`, lstm.c for Float; the activations and τ saved by the forward, not recomputed); with `createGraph` (or batched cotangents) the VJP
/// and JVP are the same recurrences written with tensor ops, so they differentiate again.
struct LSTMSequenceOp: Op {
  var name: String { "lstmSequence" }
  /// The gate activations `[T, B, 4H]` and τ = tanh(c_t) `[T, B, H]` as the forward computed
  /// them, kept for the backward kernel when recorded (so it recomputes no σ or tanh).
  final class Saved: @unchecked Sendable { var activations: Any?; var tau: Any? }
  let saved = Saved()

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (p, w, h0, c0) = (inputs[0], inputs[1], inputs[2], inputs[3])
    require(p.rank == 3 && h0.rank == 2 && c0.shape == h0.shape && p.shape[1] == h0.shape[0]
              && p.shape[2] == 4 * h0.shape[1] && w.shape == [4 * h0.shape[1], h0.shape[1]], "lstmSequence",
            "projected \(p.shape), weightHH \(w.shape), h0 \(h0.shape), c0 \(c0.shape) do not fit ([T, B, 4H], [4H, H], [B, H], [B, H])")
    let (steps, b, h) = (p.shape[0], h0.shape[0], h0.shape[1])
    let keep = ThreadState.current.gradEnabled && inputs.contains { $0.requiresGrad }
    let r = Self.kernel(p.scalars, w.scalars, h0.scalars, c0.scalars, steps: steps, batch: b, hidden: h)
    (saved.activations, saved.tau) = keep ? (r.activations, r.tau) : (nil, nil)
    return ([steps, b, 2 * h], r.out)
  }

  /// The forward recurrence on buffers: `[T, B, 2H]`, the activations i, f, g, o and τ. Per
  /// step G_t = P_t + h_{t−1}·W_hhᵀ is one GEMM into the activations buffer (a copy of P),
  /// then the gate kernel turns it into the activations in place and writes c_t, τ_t, h_t
  /// (`LSTMCellOp.step`: lstm.c for Float, the same formulas in Swift for Double).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func kernel<S: TensorScalar>(_ projected: [S], _ weight: [S], _ h0: [S], _ c0: [S], steps: Int, batch b: Int, hidden h: Int)
    -> (out: [S], activations: [S], tau: [S]) {
    var activations = projected
    // Read on this thread: the pool's threads do not see its compute-settings override.
    let isa = Gemm.kernelISA
    // Every element of `out` and `tau` is written by the step kernels below.
    var out = [S](unsafeUninitializedCapacity: steps * b * 2 * h) { _, n in n = steps * b * 2 * h }
    var tau = [S](unsafeUninitializedCapacity: steps * b * h) { _, n in n = steps * b * h }
    activations.withUnsafeMutableBufferPointer { ap in
      out.withUnsafeMutableBufferPointer { op in
        tau.withUnsafeMutableBufferPointer { tp in
          weight.withUnsafeBufferPointer { wp in
            h0.withUnsafeBufferPointer { h0p in
              c0.withUnsafeBufferPointer { c0p in
                for t in 0..<steps {
                  let g = ap.baseAddress! + t * b * 4 * h, o = op.baseAddress! + t * b * 2 * h, tk = tp.baseAddress! + t * b * h
                  // h_{t−1} and c_{t−1}: the previous step's output rows (stride 2H), or h0 and c0.
                  let previous = t == 0 ? nil : UnsafePointer(op.baseAddress! + (t - 1) * b * 2 * h)
                  let (hp, cp, ld) = previous.map { ($0, $0 + h, 2 * h) } ?? (h0p.baseAddress!, c0p.baseAddress!, h)
                  S.gemm(transA: false, transB: true, m: b, n: 4 * h, k: h, alpha: 1, a: hp, lda: ld,
                         b: wp.baseAddress!, ldb: h, beta: 1, c: g, ldc: 4 * h)
                  LSTMCellOp.step(gates: g, cPrevious: cp, cPreviousStride: ld, tau: tk, out: o, outStride: 2 * h,
                                  batch: b, hidden: h, isa: isa)
                }
              }
            }
          }
        }
      }
    }
    return (out, activations, tau)
  }

  /// ∂P (= ∂G), ∂W_hh, ∂h0, ∂c0 from the saved activations and τ and the output (first-order
  /// backward; per step the gate VJP — `LSTMCellOp.stepBackward` — then ∂h_{t−1} = ∂G_t·W_hh;
  /// ∂W_hh as two GEMMs that read h_{t−1} in place: the output rows for t ≥ 1, h0 for t = 0).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func backwardKernel<S: TensorScalar>(_ delta: [S], _ activations: [S], _ tau: [S], _ output: [S], _ weight: [S],
                                              _ h0: [S], _ c0: [S], steps: Int, batch b: Int, hidden h: Int)
    -> (dGates: [S], dWeight: [S], dH0: [S], dC0: [S]) {
    var dh = [S](repeating: 0, count: b * h), dc = [S](repeating: 0, count: b * h)
    var dWeight = [S](repeating: 0, count: 4 * h * h)
    guard steps > 0 else { return ([], dWeight, dh, dc) }
    let isa = Gemm.kernelISA  // read on this thread: the pool's threads do not see its override
    // Every element of ∂G is written by the step kernels below.
    var dGates = [S](unsafeUninitializedCapacity: steps * b * 4 * h) { _, n in n = steps * b * 4 * h }
    dGates.withUnsafeMutableBufferPointer { dgp in
      delta.withUnsafeBufferPointer { dp in
        activations.withUnsafeBufferPointer { ap in
          tau.withUnsafeBufferPointer { tp in
            output.withUnsafeBufferPointer { op in
              c0.withUnsafeBufferPointer { c0p in
                dh.withUnsafeMutableBufferPointer { dhp in
                  dc.withUnsafeMutableBufferPointer { dcp in
                    weight.withUnsafeBufferPointer { wp in
                      for t in stride(from: steps - 1, through: 0, by: -1) {
                        let dg = dgp.baseAddress! + t * b * 4 * h, d = dp.baseAddress! + t * b * 2 * h
                        let a = ap.baseAddress! + t * b * 4 * h, tk = tp.baseAddress! + t * b * h
                        let (cp, ld) = t == 0 ? (c0p.baseAddress!, h) : (op.baseAddress! + (t - 1) * b * 2 * h + h, 2 * h)
                        LSTMCellOp.stepBackward(activations: a, tau: tk, cPrevious: cp, cPreviousStride: ld, delta: d,
                                                deltaStride: 2 * h, dh: dhp.baseAddress!, dc: dcp.baseAddress!, dGates: dg,
                                                batch: b, hidden: h, isa: isa)
                        S.gemm(transA: false, transB: false, m: b, n: h, k: 4 * h, alpha: 1, a: dg, lda: 4 * h,
                               b: wp.baseAddress!, ldb: h, beta: 0, c: dhp.baseAddress!, ldc: h)
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    dGates.withUnsafeBufferPointer { g in
      output.withUnsafeBufferPointer { o in
        h0.withUnsafeBufferPointer { h0p in
          dWeight.withUnsafeMutableBufferPointer { d in
            if steps > 1 {  // Σ_{t ≥ 1} ∂G_tᵀ·h_{t−1}, h_{t−1} the output's h columns (row stride 2H)
              S.gemm(transA: true, transB: false, m: 4 * h, n: h, k: (steps - 1) * b, alpha: 1, a: g.baseAddress! + b * 4 * h,
                     lda: 4 * h, b: o.baseAddress!, ldb: 2 * h, beta: 0, c: d.baseAddress!, ldc: h)
            }
            S.gemm(transA: true, transB: false, m: 4 * h, n: h, k: b, alpha: 1, a: g.baseAddress!, lda: 4 * h,
                   b: h0p.baseAddress!, ldb: h, beta: steps > 1 ? 1 : 0, c: d.baseAddress!, ldc: h)
          }
        }
      }
    }
    return (dGates, dWeight, dh, dc)
  }

  /// The forward recurrence as tensor ops of the inputs: per step G_t, c_{t−1}, h_{t−1} and the
  /// `lstmCell` output `[B, 2H]` (so the VJP and JVP below differentiate again).
  private func unrolled<S>(_ cx: BackwardContext<S>) -> [(gates: Tensor<S>, c: Tensor<S>, h: Tensor<S>, both: Tensor<S>)] {
    let (p, w) = (cx.inputs[0], cx.inputs[1])
    let (steps, b, h) = (p.shape[0], cx.inputs[2].shape[0], cx.inputs[2].shape[1])
    var hPrev = cx.inputs[2], cPrev = cx.inputs[3]
    var result: [(gates: Tensor<S>, c: Tensor<S>, h: Tensor<S>, both: Tensor<S>)] = []
    for t in 0..<steps {
      let g = p.sliced(alongAxis: 0, t..<t + 1).reshaped(to: [b, 4 * h]) + Tensor.matmul(hPrev, w, transposeB: true)
      let both = Tensor.apply(LSTMCellOp(), to: [g, cPrev])
      result.append((g, cPrev, hPrev, both))
      (hPrev, cPrev) = (both.sliced(alongAxis: 1, 0..<h), both.sliced(alongAxis: 1, h..<2 * h))
    }
    return result
  }

  func vjp<S>(_ delta: Tensor<S>, _ cx: BackwardContext<S>) -> [Tensor<S>?] {
    let (p, w, h0, c0) = (cx.inputs[0], cx.inputs[1], cx.inputs[2], cx.inputs[3])
    let (steps, b, h) = (p.shape[0], h0.shape[0], h0.shape[1])
    if ThreadState.current.inFirstOrderBackward && cx.batchRank == 0, let act = saved.activations as? [S],
       let tau = saved.tau as? [S] {
      let r = Self.backwardKernel(delta.scalars, act, tau, cx.output.scalars, w.scalars, h0.scalars, c0.scalars,
                                  steps: steps, batch: b, hidden: h)
      return [cx.needsGradient(0) ? Tensor(uncheckedShape: p.shape, scalars: r.dGates) : nil,
              cx.needsGradient(1) ? Tensor(uncheckedShape: w.shape, scalars: r.dWeight) : nil,
              cx.needsGradient(2) ? Tensor(uncheckedShape: h0.shape, scalars: r.dH0) : nil,
              cx.needsGradient(3) ? Tensor(uncheckedShape: c0.shape, scalars: r.dC0) : nil]
    }
    let steps_ = unrolled(cx), lead = cx.batchRank, axis = lead + 1
    var dh: Tensor<S>? = nil, dc: Tensor<S>? = nil, dW: Tensor<S>? = nil
    var dGates: [Tensor<S>] = []
    for t in stride(from: steps - 1, through: 0, by: -1) {
      var d = delta.sliced(alongAxis: lead, t..<t + 1).reshaped(to: cx.batched([b, 2 * h]))
      if let dh, let dc { d = d + Tensor.concatenated([dh, dc], alongAxis: axis) }
      var inner = BackwardContext(inputs: [gradientFlagged(steps_[t].gates), gradientFlagged(steps_[t].c)], output: steps_[t].both)
      inner.batchShape = cx.batchShape
      let r = LSTMCellOp().vjp(d, inner)
      let dG = r[0] ?? Tensor.zeros(cx.batched([b, 4 * h]))
      dGates.append(dG.reshaped(to: cx.batched([1, b, 4 * h])))
      dc = r[1] ?? Tensor.zeros(cx.batched([b, h]))
      dh = Tensor.matmul(dG, w)
      let term = Tensor.matmul(dG, steps_[t].h, transposeA: true)
      dW = dW.map { $0 + term } ?? term
    }
    return [cx.needsGradient(0) ? Tensor.concatenated(dGates.reversed(), alongAxis: lead) : nil,
            cx.needsGradient(1) ? dW : nil, cx.needsGradient(2) ? dh : nil, cx.needsGradient(3) ? dc : nil]
  }

  func jvp<S>(_ t: [Tensor<S>?], _ cx: BackwardContext<S>) -> Tensor<S> {
    let (b, h) = (cx.inputs[2].shape[0], cx.inputs[2].shape[1])
    var hDot = t[2], cDot = t[3]
    var outs: [Tensor<S>] = []
    for (k, s) in unrolled(cx).enumerated() {
      let gDot = tangentSum(t[0].map { $0.sliced(alongAxis: 0, k..<k + 1).reshaped(to: [b, 4 * h]) },
                            tangentSum(hDot.map { Tensor.matmul($0, cx.inputs[1], transposeB: true) },
                                       t[1].map { Tensor.matmul(s.h, $0, transposeB: true) }, like: s.gates), like: s.gates)
      let both = LSTMCellOp().jvp([gDot, cDot], BackwardContext(inputs: [s.gates, s.c], output: s.both))
      (hDot, cDot) = (both.sliced(alongAxis: 1, 0..<h), both.sliced(alongAxis: 1, h..<2 * h))
      outs.append(both.reshaped(to: [1, b, 2 * h]))
    }
    return Tensor.concatenated(outs, alongAxis: 0)
  }

  func forwardFormula(_ n: [String]) -> String { "lstmSequence(projected: \(n[0]), weightHH: \(n[1]), h0: \(n[2]), c0: \(n[3]))" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    switch k {
    case 0: return GradientFormula("∂G_t: lstmCell's VJP through time, δh_{t−1} += ∂G_t·W_hh", .other, .dense)
    case 1: return GradientFormula("Σ_t ∂G_tᵀ·h_{t−1}", .matrix, .dense)
    case 2: return GradientFormula("∂G_0·W_hh", .matrix, .dense)
    default: return GradientFormula("∂c through time to step 0", .other, .dense)
    }
  }
}

extension Tensor {
  /// An LSTM layer's recurrence over T steps (one `lstmSequence` op) from the input
  /// projections of all steps `projected` `[T, B, 4H]` (x_t·W_ihᵀ + biases, gates i, f, g, o),
  /// the recurrent weight `weightHH` `[4H, H]` and the initial `h0`, `c0` `[B, H]`: returns
  /// `[T, B, 2H]`, h_t and c_t of every step along the last axis.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func lstmSequence(projected: Tensor, weightHH: Tensor, h0: Tensor, c0: Tensor) -> Tensor {
    apply(LSTMSequenceOp(), to: [projected, weightHH, h0, c0])
  }
}

