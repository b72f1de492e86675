import BackpropKernels

/// The nonlinear part of an LSTM cell (PyTorch's gate order i, f, g, o): from the gate
/// pre-activations `G = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh` `[B, 4H]` and the cell state `c`
/// `[B, H]` to `[h′, c′]` concatenated along the last axis, `[B, 2H]`:
///
///     i = σ(G_i), f = σ(G_f), g = tanh(G_g), o = σ(G_o)
///     c′ = f ⊙ c + i ⊙ g,   h′ = o ⊙ tanh(c′)
///
/// VJP (δh, δc the two halves of δ; τ = tanh(c′)):
///     δc̃ = δc + δh ⊙ o ⊙ (1 − τ²)
///     ∂G = [δc̃ ⊙ g ⊙ i(1−i), δc̃ ⊙ c ⊙ f(1−f), δc̃ ⊙ i ⊙ (1−g²), δh ⊙ τ ⊙ o(1−o)],  ∂c = δc̃ ⊙ f
/// JVP: ċ′ = ḟ c + f ċ + i̇ g + i ġ (i̇ = i(1−i)Ġ_i, …), ḣ′ = ȯ τ + o (1 − τ²) ċ′.
///
/// Forward and first-order backward are one kernel each (`step`, `stepBackward`; lstm.c for Float);
/// with `createGraph` the VJP is the tensor-op formula, differentiable again.
struct LSTMCellOp: Op {
  var name: String { "lstmCell" }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (gates, c) = (inputs[0], inputs[1])
    require(gates.rank == 2 && c.rank == 2 && gates.shape == [c.shape[0], 4 * c.shape[1]], "lstmCell",
            "gates \(gates.shape) must be [B, 4H] for a cell state \(c.shape) [B, H]")
    return ([c.shape[0], 2 * c.shape[1]], Self.kernel(gates.scalars, c.scalars, batch: c.shape[0], hidden: c.shape[1]))
  }

  /// The forward pass on buffers: `[B, 2H]` (h′ then c′ per row), by `step`.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func kernel<S: TensorScalar>(_ gateValues: [S], _ cell: [S], batch b: Int, hidden h: Int) -> [S] {
    forwardBuffers(gateValues, cell, batch: b, hidden: h).out
  }

  /// `step` over whole arrays: the activations, τ = tanh(c′) and `[h′, c′]`.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func forwardBuffers<S: TensorScalar>(_ gateValues: [S], _ cell: [S], batch b: Int, hidden h: Int)
    -> (activations: [S], tau: [S], out: [S]) {
    var act = gateValues
    // Every element of `tau` and `out` is written by `step`.
    var tau = [S](unsafeUninitializedCapacity: b * h) { _, n in n = b * h }
    var out = [S](unsafeUninitializedCapacity: b * 2 * h) { _, n in n = b * 2 * h }
    guard b > 0 && h > 0 else { return (act, tau, out) }
    act.withUnsafeMutableBufferPointer { a in
      cell.withUnsafeBufferPointer { c in
        tau.withUnsafeMutableBufferPointer { t in
          out.withUnsafeMutableBufferPointer { o in
            step(gates: a.baseAddress!, cPrevious: c.baseAddress!, cPreviousStride: h, tau: t.baseAddress!,
                 out: o.baseAddress!, outStride: 2 * h, batch: b, hidden: h, isa: Gemm.kernelISA)
          }
        }
      }
    }
    return (act, tau, out)
  }

  /// ∂G `[B, 4H]` and ∂c `[B, H]` of the VJP above (first-order backward): the activations and
  /// τ recomputed by `step`, then `stepBackward` with no carries.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func backwardKernel<S: TensorScalar>(_ delta: [S], _ gateValues: [S], _ cell: [S], batch b: Int, hidden h: Int)
    -> (dGates: [S], dCell: [S]) {
    let (act, tau, _) = forwardBuffers(gateValues, cell, batch: b, hidden: h)
    // ∂c starts as the (zero) carry that `stepBackward` reads and replaces; ∂G is written whole.
    var dGates = [S](unsafeUninitializedCapacity: b * 4 * h) { _, n in n = b * 4 * h }
    var dCell = [S](repeating: 0, count: b * h)
    let noCarry = [S](repeating: 0, count: b * h)
    guard b > 0 && h > 0 else { return (dGates, dCell) }
    act.withUnsafeBufferPointer { a in
      tau.withUnsafeBufferPointer { t in
        cell.withUnsafeBufferPointer { c in
          delta.withUnsafeBufferPointer { d in
            noCarry.withUnsafeBufferPointer { dh in
              dCell.withUnsafeMutableBufferPointer { dc in
                dGates.withUnsafeMutableBufferPointer { dg in
                  stepBackward(activations: a.baseAddress!, tau: t.baseAddress!, cPrevious: c.baseAddress!, cPreviousStride: h,
                               delta: d.baseAddress!, deltaStride: 2 * h, dh: dh.baseAddress!, dc: dc.baseAddress!,
                               dGates: dg.baseAddress!, batch: b, hidden: h, isa: Gemm.kernelISA)
                }
              }
            }
          }
        }
      }
    }
    return (dGates, dCell)
  }

  /// The cell on rows, in place (also one step of `lstmSequence`): `gates` `[batch, 4H]` becomes
  /// the activations σ(i), σ(f), tanh(g), σ(o); writes τ = tanh(c′) into `tau` `[batch, H]` and
  /// h′, c′ into the rows of `out` (h′ then c′, row stride `outStride`); c rows have stride
  /// `cPreviousStride`. Float: `LSTMStep.forward` (lstm.c, vectorised), its rows split over the
  /// threads (`isa` read by the caller: the pool's threads do not see its override); Double: the
  /// same formulas in Swift.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func step<S: TensorScalar>(gates g: UnsafeMutablePointer<S>, cPrevious cp: UnsafePointer<S>, cPreviousStride ld: Int,
                                    tau: UnsafeMutablePointer<S>, out: UnsafeMutablePointer<S>, outStride: Int,
                                    batch b: Int, hidden h: Int, isa: KernelISA) {
    if S.self == Float.self {
      // Rows are independent: split over the threads (the same bits on any count).
      Parallel.forEachChunk(count: b, minimumChunk: rowsPerPiece(hidden: h)) { rows in
        let n = rows.lowerBound
        LSTMStep.forward(gates: mutableFloats(g + n * 4 * h), cPrevious: floats(cp + n * ld), cPreviousStride: ld,
                         tau: mutableFloats(tau + n * h), out: mutableFloats(out + n * outStride), outStride: outStride,
                         batch: rows.count, hidden: h, isa: isa)
      }
      return
    }
    for n in 0..<b {
      let a = g + n * 4 * h, c = cp + n * ld, o = out + n * outStride, tk = tau + n * h
      for k in 0..<(4 * h) { a[k] = k >= 2 * h && k < 3 * h ? S.tanh(a[k]) : 1 / (1 + S.exp(-a[k])) }
      for k in 0..<h {
        o[h + k] = a[h + k] * c[k] + a[k] * a[2 * h + k]
        tk[k] = S.tanh(o[h + k])
        o[k] = a[3 * h + k] * tk[k]
      }
    }
  }

  /// The cell's VJP on rows with carries (also one step of `lstmSequence`'s backward): from the
  /// activations and τ of `step`, c (stride `cPreviousStride`), the output cotangent rows `delta`
  /// (δh then δc, stride `deltaStride`) plus the carries `dh` (read) and `dc` (read, then replaced
  /// by ∂c), writes ∂G into `dGates` `[batch, 4H]` (the formula above with δh + dh and δc + dc).
  /// Float: `LSTMStep.backward` (lstm.c), rows split over the threads; Double: Swift loops.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func stepBackward<S: TensorScalar>(activations a: UnsafePointer<S>, tau: UnsafePointer<S>, cPrevious cp: UnsafePointer<S>,
                                            cPreviousStride ld: Int, delta d: UnsafePointer<S>, deltaStride: Int,
                                            dh: UnsafePointer<S>, dc: UnsafeMutablePointer<S>, dGates dg: UnsafeMutablePointer<S>,
                                            batch b: Int, hidden h: Int, isa: KernelISA) {
    if S.self == Float.self {
      Parallel.forEachChunk(count: b, minimumChunk: rowsPerPiece(hidden: h)) { rows in
        let n = rows.lowerBound
        LSTMStep.backward(activations: floats(a + n * 4 * h), tau: floats(tau + n * h), cPrevious: floats(cp + n * ld),
                          cPreviousStride: ld, delta: floats(d + n * deltaStride), deltaStride: deltaStride,
                          dh: floats(dh + n * h), dc: mutableFloats(dc + n * h), dGates: mutableFloats(dg + n * 4 * h),
                          batch: rows.count, hidden: h, isa: isa)
      }
      return
    }
    for n in 0..<b {
      let row = n * 4 * h, c = cp + n * ld, dn = d + n * deltaStride
      for k in 0..<h {
        let i = a[row + k], f = a[row + h + k], g = a[row + 2 * h + k], og = a[row + 3 * h + k]
        let tk = tau[n * h + k], dhk = dn[k] + dh[n * h + k]
        let dcTotal = (dn[h + k] + dc[n * h + k]) + dhk * og * (1 - tk * tk)
        dg[row + k] = dcTotal * g * i * (1 - i)
        dg[row + h + k] = dcTotal * c[k] * f * (1 - f)
        dg[row + 2 * h + k] = dcTotal * i * (1 - g * g)
        dg[row + 3 * h + k] = dhk * tk * og * (1 - og)
        dc[n * h + k] = dcTotal * f
      }
    }
  }

  /// Batch rows per thread-pool piece of the gate kernels: about 4,096 gate values (a σ or
  /// tanh each), enough to pay for handing a piece to another core.
  static func rowsPerPiece(hidden h: Int) -> Int { Swift.max(1, 4_096 / (4 * Swift.max(h, 1))) }

  /// i, f, g, o, τ = tanh(c′) as tensors of the inputs (so the VJP is differentiable again).
  private func parts<S>(_ cx: BackwardContext<S>) -> (i: Tensor<S>, f: Tensor<S>, g: Tensor<S>, o: Tensor<S>, tau: Tensor<S>, cNext: Tensor<S>) {
    let gates = cx.inputs[0], c = cx.inputs[1], h = c.shape[1]
    let i = gates.sliced(alongAxis: 1, 0..<h).sigmoid(), f = gates.sliced(alongAxis: 1, h..<2 * h).sigmoid()
    let g = gates.sliced(alongAxis: 1, 2 * h..<3 * h).tanh(), o = gates.sliced(alongAxis: 1, 3 * h..<4 * h).sigmoid()
    let cNext = f * c + i * g
    return (i, f, g, o, cNext.tanh(), cNext)
  }

  func vjp<S>(_ delta: Tensor<S>, _ cx: BackwardContext<S>) -> [Tensor<S>?] {
    let h = cx.inputs[1].shape[1], axis = delta.rank - 1
    if ThreadState.current.inFirstOrderBackward && cx.batchRank == 0 {
      let b = cx.inputs[1].shape[0]
      let r = Self.backwardKernel(delta.scalars, cx.inputs[0].scalars, cx.inputs[1].scalars, batch: b, hidden: h)
      return [cx.needsGradient(0) ? Tensor(uncheckedShape: [b, 4 * h], scalars: r.dGates) : nil,
              cx.needsGradient(1) ? Tensor(uncheckedShape: [b, h], scalars: r.dCell) : nil]
    }
    let (i, f, g, o, tau, _) = parts(cx)
    let dh = delta.sliced(alongAxis: axis, 0..<h), dc = delta.sliced(alongAxis: axis, h..<2 * h)
    let dcTotal = dc + dh * o * (1 - tau * tau)
    let dGates = Tensor.concatenated([dcTotal * g * i * (1 - i), dcTotal * cx.inputs[1] * f * (1 - f),
                                      dcTotal * i * (1 - g * g), dh * tau * o * (1 - o)], alongAxis: axis)
    return [cx.needsGradient(0) ? dGates : nil, cx.needsGradient(1) ? dcTotal * f : nil]
  }

  func jvp<S>(_ t: [Tensor<S>?], _ cx: BackwardContext<S>) -> Tensor<S> {
    let h = cx.inputs[1].shape[1], zero = Tensor<S>(0)
    let (i, f, g, o, tau, _) = parts(cx)
    func part(_ k: Int) -> Tensor<S> { t[0]?.sliced(alongAxis: t[0]!.rank - 1, k * h..<(k + 1) * h) ?? zero }
    let di = i * (1 - i) * part(0), df = f * (1 - f) * part(1), dg = (1 - g * g) * part(2), dOut = o * (1 - o) * part(3)
    let dcNext = df * cx.inputs[1] + f * (t[1] ?? zero) + di * g + i * dg
    let dhNext = dOut * tau + o * (1 - tau * tau) * dcNext
    let shape = cx.output.shape
    return Tensor.concatenated([dhNext.broadcast(to: [shape[0], h]), dcNext.broadcast(to: [shape[0], h])], alongAxis: 1)
  }

  func forwardFormula(_ n: [String]) -> String { "lstmCell(gates: \(n[0]), c: \(n[1]))" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    k == 0 ? GradientFormula("[δc̃⊙g⊙i(1−i), δc̃⊙c⊙f(1−f), δc̃⊙i⊙(1−g²), δh⊙τ⊙o(1−o)], δc̃ = δc + δh⊙o⊙(1−τ²)", .other, .dense)
      : GradientFormula("(δc + δh⊙o⊙(1−τ²)) ⊙ f", .hadamard, .diagonal)
  }
}

/// The nonlinear part of a GRU cell (PyTorch's gate order r, z, n): from `a = x·W_ihᵀ + b_ih`
/// `[B, 3H]`, `b = h·W_hhᵀ + b_hh` `[B, 3H]` and the state `h` `[B, H]` to
///
///     r = σ(a_r + b_r), z = σ(a_z + b_z), n = tanh(a_n + r ⊙ b_n),  h′ = (1 − z) ⊙ n + z ⊙ h
///
/// VJP: δn = δ(1−z)(1−n²), δr = δn ⊙ b_n ⊙ r(1−r), δz = δ ⊙ (h − n) ⊙ z(1−z);
/// ∂a = [δr, δz, δn], ∂b = [δr, δz, δn ⊙ r], ∂h = δ ⊙ z.
/// JVP: ṙ = r(1−r)(ȧ_r + ḃ_r), ż = z(1−z)(ȧ_z + ḃ_z), ṅ = (1−n²)(ȧ_n + ṙ b_n + r ḃ_n),
/// ḣ′ = (h − n) ż + (1 − z) ṅ + z ḣ.
struct GRUCellOp: Op {
  var name: String { "gruCell" }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (a, bh, state) = (inputs[0], inputs[1], inputs[2])
    require(state.rank == 2 && a.shape == [state.shape[0], 3 * state.shape[1]] && bh.shape == a.shape, "gruCell",
            "input gates \(a.shape) and hidden gates \(bh.shape) must be [B, 3H] for a state \(state.shape) [B, H]")
    return ([state.shape[0], state.shape[1]],
            Self.kernel(a.scalars, bh.scalars, state.scalars, batch: state.shape[0], hidden: state.shape[1]))
  }

  /// The forward loop on buffers, specialised for Float and Double (see `LSTMCellOp.kernel`).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func kernel<S: TensorScalar>(_ inputGates: [S], _ hiddenGates: [S], _ previous: [S], batch b: Int, hidden h: Int) -> [S] {
    var out = [S](repeating: 0, count: b * h)
    @inline(__always) func sigmoid(_ x: S) -> S { 1 / (1 + S.exp(-x)) }
    inputGates.withUnsafeBufferPointer { a in
      hiddenGates.withUnsafeBufferPointer { bh in
        previous.withUnsafeBufferPointer { state in
          out.withUnsafeMutableBufferPointer { out in
            for m in 0..<b {
              for k in 0..<h {
                let row = m * 3 * h
                let r = sigmoid(a[row + k] + bh[row + k])
                let z = sigmoid(a[row + h + k] + bh[row + h + k])
                let n = S.tanh(a[row + 2 * h + k] + r * bh[row + 2 * h + k])
                out[m * h + k] = (1 - z) * n + z * state[m * h + k]
              }
            }
          }
        }
      }
    }
    return out
  }

  private func parts<S>(_ cx: BackwardContext<S>) -> (r: Tensor<S>, z: Tensor<S>, n: Tensor<S>, bn: Tensor<S>) {
    let a = cx.inputs[0], b = cx.inputs[1], h = cx.inputs[2].shape[1]
    let r = (a.sliced(alongAxis: 1, 0..<h) + b.sliced(alongAxis: 1, 0..<h)).sigmoid()
    let z = (a.sliced(alongAxis: 1, h..<2 * h) + b.sliced(alongAxis: 1, h..<2 * h)).sigmoid()
    let bn = b.sliced(alongAxis: 1, 2 * h..<3 * h)
    let n = (a.sliced(alongAxis: 1, 2 * h..<3 * h) + r * bn).tanh()
    return (r, z, n, bn)
  }

  func vjp<S>(_ delta: Tensor<S>, _ cx: BackwardContext<S>) -> [Tensor<S>?] {
    let (r, z, n, bn) = parts(cx), state = cx.inputs[2], axis = delta.rank - 1
    let dn = delta * (1 - z) * (1 - n * n)
    let dr = dn * bn * r * (1 - r), dz = delta * (state - n) * z * (1 - z)
    return [cx.needsGradient(0) ? Tensor.concatenated([dr, dz, dn], alongAxis: axis) : nil,
            cx.needsGradient(1) ? Tensor.concatenated([dr, dz, dn * r], alongAxis: axis) : nil,
            cx.needsGradient(2) ? delta * z : nil]
  }

  func jvp<S>(_ t: [Tensor<S>?], _ cx: BackwardContext<S>) -> Tensor<S> {
    let (r, z, n, bn) = parts(cx), state = cx.inputs[2], h = state.shape[1], zero = Tensor<S>(0)
    func part(_ x: Tensor<S>?, _ k: Int) -> Tensor<S> { x?.sliced(alongAxis: 1, k * h..<(k + 1) * h) ?? zero }
    let dr = r * (1 - r) * (part(t[0], 0) + part(t[1], 0))
    let dz = z * (1 - z) * (part(t[0], 1) + part(t[1], 1))
    let dn = (1 - n * n) * (part(t[0], 2) + dr * bn + r * part(t[1], 2))
    return ((state - n) * dz + (1 - z) * dn + z * (t[2] ?? zero)).broadcast(to: cx.output.shape)
  }

  func forwardFormula(_ n: [String]) -> String { "gruCell(\(n[0]), \(n[1]), h: \(n[2]))" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    switch k {
    case 0: return GradientFormula("[δr, δz, δn], δn = δ(1−z)(1−n²), δr = δn⊙b_n⊙r(1−r), δz = δ(h−n)z(1−z)", .other, .dense)
    case 1: return GradientFormula("[δr, δz, δn ⊙ r]", .other, .dense)
    default: return GradientFormula("δ ⊙ z", .hadamard, .diagonal)
    }
  }
}

extension Tensor {
  /// One LSTM step (PyTorch's `nn.LSTMCell`, gates i, f, g, o) for `input` `[B, I]`, state
  /// `h`, `c` `[B, H]`, weights `weightIH` `[4H, I]`, `weightHH` `[4H, H]` and optional biases
  /// `[4H]`. The projections are `matmul`s; the gate nonlinearity is the `lstmCell` op with its
  /// own VJP and JVP. Returns `(h′, c′)`.
  public static func lstmCell(_ input: Tensor, h: Tensor, c: Tensor, weightIH: Tensor, weightHH: Tensor,
                              biasIH: Tensor? = nil, biasHH: Tensor? = nil) -> (h: Tensor, c: Tensor) {
    require(input.rank == 2 && h.rank == 2 && c.shape == h.shape && h.shape[0] == input.shape[0]
              && weightIH.shape == [4 * h.shape[1], input.shape[1]] && weightHH.shape == [4 * h.shape[1], h.shape[1]],
            "lstmCell", "input \(input.shape), h \(h.shape), c \(c.shape), weightIH \(weightIH.shape), weightHH \(weightHH.shape) do not fit ([B, I], [B, H], [B, H], [4H, I], [4H, H])")
    return lstmCell(gates: project(input, weightIH, biasIH) + project(h, weightHH, biasHH), c: c)
  }

  /// The gate nonlinearity of one LSTM step (the `lstmCell` op) from the pre-activations
  /// `gates` = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh `[B, 4H]` (order i, f, g, o) and `c` `[B, H]`:
  /// returns `(h′, c′)`, c′ = f ⊙ c + i ⊙ g, h′ = o ⊙ tanh(c′).
  public static func lstmCell(gates: Tensor, c: Tensor) -> (h: Tensor, c: Tensor) {
    require(gates.rank == 2 && c.rank == 2 && gates.shape == [c.shape[0], 4 * c.shape[1]], "lstmCell",
            "gates \(gates.shape) must be [B, 4H] for a cell state \(c.shape) [B, H]")
    let both = apply(LSTMCellOp(), to: [gates, c])
    let size = c.shape[1]
    return (both.sliced(alongAxis: 1, 0..<size), both.sliced(alongAxis: 1, size..<2 * size))
  }

  /// One GRU step (PyTorch's `nn.GRUCell`, gates r, z, n with n = tanh(W_in x + b_in +
  /// r ⊙ (W_hn h + b_hn))) for `input` `[B, I]`, `h` `[B, H]`, `weightIH` `[3H, I]`, `weightHH`
  /// `[3H, H]`, biases `[3H]`. The projections are `matmul`s; the rest is the `gruCell` op.
  public static func gruCell(_ input: Tensor, h: Tensor, weightIH: Tensor, weightHH: Tensor,
                             biasIH: Tensor? = nil, biasHH: Tensor? = nil) -> Tensor {
    require(input.rank == 2 && h.rank == 2 && h.shape[0] == input.shape[0]
              && weightIH.shape == [3 * h.shape[1], input.shape[1]] && weightHH.shape == [3 * h.shape[1], h.shape[1]],
            "gruCell", "input \(input.shape), h \(h.shape), weightIH \(weightIH.shape), weightHH \(weightHH.shape) do not fit ([B, I], [B, H], [3H, I], [3H, H])")
    return apply(GRUCellOp(), to: [project(input, weightIH, biasIH), project(h, weightHH, biasHH), h])
  }

  /// x·Wᵀ (+ b).
  private static func project(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
    let y = Tensor.matmul(x, w, transposeB: true)
    guard let b else { return y }
    require(b.shape == [w.shape[0]], "rnnCell", "bias \(b.shape) must be [\(w.shape[0])] for weight \(w.shape)")
    return y + b
  }
}
