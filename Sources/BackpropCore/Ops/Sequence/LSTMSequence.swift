/// A whole LSTM layer over T steps, from the input projections of all steps at once (how
/// oneDNN and cuDNN run it): `projected` `[T, B, 4H]` (x_t·W_ihᵀ + b_ih + b_hh, time-major),
/// `weightHH` `[4H, H]`, `h0`, `c0` `[B, H]` → `[T, B, 2H]`, h_t and c_t of every step:
///
///     G_t = P_t + h_{t−1}·W_hhᵀ,   (h_t, c_t) = lstmCell(G_t, c_{t−1})
///
/// VJP (backward through time, t = T−1 … 0; δh_t, δc_t are g's halves at t plus what flows
/// back from step t+1):
///     (∂G_t, ∂c_{t−1}) = lstmCell's VJP at (G_t, c_{t−1}),  ∂h_{t−1} += ∂G_t·W_hh
///     ∂P = ∂G,  ∂W_hh = Σ_t ∂G_tᵀ·h_{t−1} (one matmul over the stacked steps),  ∂h0, ∂c0 the last carries
/// JVP: Ġ_t = Ṗ_t + ḣ_{t−1}·W_hhᵀ + h_{t−1}·Ẇ_hhᵀ, then lstmCell's JVP.
///
/// Forward and first-order backward are loops of one GEMM and one cell kernel per step (the
/// activations and τ saved by the forward, not recomputed); with `createGraph` (or batched cotangents) the VJP
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

  /// The forward recurrence on buffers: `[T, B, 2H]`, the activations i, f, g, o and τ.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func kernel<S: TensorScalar>(_ projected: [S], _ weight: [S], _ h0: [S], _ c0: [S], steps: Int, batch b: Int, hidden h: Int)
    -> (out: [S], activations: [S], tau: [S]) {
    var gates = projected, out = [S](repeating: 0, count: steps * b * 2 * h)
    var activations = [S](repeating: 0, count: steps * b * 4 * h), tau = [S](repeating: 0, count: steps * b * h)
    var cNext = [S](repeating: 0, count: b * h)
    let gSize = b * 4 * h
    for t in 0..<steps {
      let base = t * gSize
      gates.withUnsafeMutableBufferPointer { g in
        weight.withUnsafeBufferPointer { wp in
          out.withUnsafeBufferPointer { o in
            h0.withUnsafeBufferPointer { h0p in
              // h_{t−1}: row n of the previous step's output (stride 2H), or h0.
              let (hp, ldh) = t == 0 ? (h0p.baseAddress!, h) : (o.baseAddress! + (t - 1) * b * 2 * h, 2 * h)
              S.gemm(transA: false, transB: true, m: b, n: 4 * h, k: h, alpha: 1, a: hp, lda: ldh,
                     b: wp.baseAddress!, ldb: h, beta: 1, c: g.baseAddress! + base, ldc: 4 * h)
            }
          }
        }
      }
      let act = LSTMCellOp.activations(Array(gates[base..<base + gSize]), batch: b, hidden: h)
      out.withUnsafeMutableBufferPointer { o in
        act.withUnsafeBufferPointer { a in
          c0.withUnsafeBufferPointer { c0p in
            cNext.withUnsafeMutableBufferPointer { cn in
              let o = o.baseAddress!, a = a.baseAddress!, cn = cn.baseAddress!
              for n in 0..<b {
                let row = a + n * 4 * h
                let cPrev: UnsafePointer<S> = t == 0 ? c0p.baseAddress! + n * h : UnsafePointer(o + ((t - 1) * b + n) * 2 * h + h)
                for k in 0..<h { cn[n * h + k] = row[h + k] * cPrev[k] + row[k] * row[2 * h + k] }
              }
            }
          }
        }
      }
      let tk = LSTMCellOp.tanhAll(cNext)
      out.withUnsafeMutableBufferPointer { o in
        act.withUnsafeBufferPointer { a in
          tk.withUnsafeBufferPointer { tp in
            cNext.withUnsafeBufferPointer { cn in
              let o = o.baseAddress! + t * b * 2 * h, a = a.baseAddress!, tp = tp.baseAddress!, cn = cn.baseAddress!
              for n in 0..<b {
                for k in 0..<h {
                  o[n * 2 * h + k] = a[n * 4 * h + 3 * h + k] * tp[n * h + k]
                  o[n * 2 * h + h + k] = cn[n * h + k]
                }
              }
            }
          }
        }
      }
      activations.replaceSubrange(base..<base + gSize, with: act)
      tau.replaceSubrange(t * b * h..<(t + 1) * b * h, with: tk)
    }
    return (out, activations, tau)
  }

  /// ∂P (= ∂G), ∂W_hh, ∂h0, ∂c0 from the saved activations and τ and the output (first-order
  /// backward; per step lstmCell's VJP, then ∂h_{t−1} = ∂G_t·W_hh).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func backwardKernel<S: TensorScalar>(_ delta: [S], _ activations: [S], _ tau: [S], _ output: [S], _ weight: [S],
                                              _ h0: [S], _ c0: [S], steps: Int, batch b: Int, hidden h: Int)
    -> (dGates: [S], dWeight: [S], dH0: [S], dC0: [S]) {
    var dGates = [S](repeating: 0, count: steps * b * 4 * h)
    var dh = [S](repeating: 0, count: b * h), dc = [S](repeating: 0, count: b * h)
    // h_{t−1} of every step, stacked [T·B, H], for ∂W_hh in one GEMM.
    var hPrevAll = [S](repeating: 0, count: steps * b * h)
    hPrevAll.withUnsafeMutableBufferPointer { hp in
      output.withUnsafeBufferPointer { o in
        h0.withUnsafeBufferPointer { h0p in
          let hp = hp.baseAddress!, o = o.baseAddress!
          hp.update(from: h0p.baseAddress!, count: b * h)
          for t in 1..<Swift.max(steps, 1) {
            for n in 0..<b { (hp + (t * b + n) * h).update(from: o + ((t - 1) * b + n) * 2 * h, count: h) }
          }
        }
      }
    }
    for t in stride(from: steps - 1, through: 0, by: -1) {
      dGates.withUnsafeMutableBufferPointer { dgAll in
        delta.withUnsafeBufferPointer { d in
          activations.withUnsafeBufferPointer { a in
            tau.withUnsafeBufferPointer { tp in
              output.withUnsafeBufferPointer { o in
                c0.withUnsafeBufferPointer { c0p in
                  dh.withUnsafeMutableBufferPointer { dhp in
                    dc.withUnsafeMutableBufferPointer { dcp in
                      let dg = dgAll.baseAddress! + t * b * 4 * h, d = d.baseAddress! + t * b * 2 * h
                      let a = a.baseAddress! + t * b * 4 * h, tp = tp.baseAddress! + t * b * h
                      let dhp = dhp.baseAddress!, dcp = dcp.baseAddress!
                      for n in 0..<b {
                        let row = n * 4 * h
                        let cPrev: UnsafePointer<S> = t == 0 ? c0p.baseAddress! + n * h : o.baseAddress! + ((t - 1) * b + n) * 2 * h + h
                        for k in 0..<h {
                          // lstmCell's VJP (LSTMCellOp.backwardKernel) with the carries added to δ.
                          let i = a[row + k], f = a[row + h + k], g = a[row + 2 * h + k], og = a[row + 3 * h + k]
                          let tk = tp[n * h + k], dhk = d[n * 2 * h + k] + dhp[n * h + k]
                          let dcTotal = (d[n * 2 * h + h + k] + dcp[n * h + k]) + dhk * og * (1 - tk * tk)
                          dg[row + k] = dcTotal * g * i * (1 - i)
                          dg[row + h + k] = dcTotal * cPrev[k] * f * (1 - f)
                          dg[row + 2 * h + k] = dcTotal * i * (1 - g * g)
                          dg[row + 3 * h + k] = dhk * tk * og * (1 - og)
                          dcp[n * h + k] = dcTotal * f
                        }
                      }
                      weight.withUnsafeBufferPointer { wp in
                        S.gemm(transA: false, transB: false, m: b, n: h, k: 4 * h, alpha: 1, a: dg, lda: 4 * h,
                               b: wp.baseAddress!, ldb: h, beta: 0, c: dhp, ldc: h)
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
    var dWeight = [S](repeating: 0, count: 4 * h * h)
    dGates.withUnsafeBufferPointer { g in
      hPrevAll.withUnsafeBufferPointer { hp in
        dWeight.withUnsafeMutableBufferPointer { d in
          S.gemm(transA: true, transB: false, m: 4 * h, n: h, k: steps * b, alpha: 1, a: g.baseAddress!, lda: 4 * h,
                 b: hp.baseAddress!, ldb: h, beta: 0, c: d.baseAddress!, ldc: h)
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
