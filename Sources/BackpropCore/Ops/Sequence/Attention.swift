/// softmax(q·kᵀ·s + mask)·v for `q` `[…, Tq, d]`, `k` `[…, Tk, d]`, `v` `[…, Tk, dv]` with one
/// leading shape, `s = 1/√d`, and a constant 4th input `blocked` `[…, Tq, Tk]` (1 = −∞).
///
/// One op with its own kernel (row maximum subtracted before `exp`, no score tensor kept), VJP
/// and JVP. With P = softmax(S), S = q·kᵀ·s:
///
///     VJP: dv = Pᵀ·g,  dP = g·vᵀ,  dS = P ⊙ (dP − Σ_j dP ⊙ P),  dq = dS·k·s,  dk = dSᵀ·q·s
///     JVP: Ṡ = (q̇·kᵀ + q·k̇ᵀ)·s,  Ṗ = P ⊙ (Ṡ − Σ_j P ⊙ Ṡ),  ẏ = Ṗ·v + P·v̇
///
/// A first-order backward runs one kernel on the P that the forward kernel saved (when the
/// graph is recorded); with `createGraph` the VJP and JVP are tensor ops (P recomputed from q and
/// k), so they differentiate again.
struct ScaledDotProductAttention: Op {
  var name: String { "scaledDotProductAttention" }
  /// P as the forward kernel computed it (`[S]`, `[…, Tq, Tk]`), kept for the backward kernel
  /// when the forward is recorded for backpropagation.
  final class Saved: @unchecked Sendable { var probabilities: Any? }
  let saved = Saved()

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (q, k, v, blocked) = (inputs[0], inputs[1], inputs[2], inputs[3])
    let r = q.rank, tq = q.shape[r - 2], d = q.shape[r - 1], tk = k.shape[r - 2], dv = v.shape[r - 1]
    let groups = q.count / Swift.max(tq * d, 1)
    let keep = ThreadState.current.gradEnabled && (q.requiresGrad || k.requiresGrad || v.requiresGrad)
    var p: [S]? = keep ? [S](repeating: 0, count: groups * tq * tk) : nil
    let out = Self.kernel(q.scalars, k.scalars, v.scalars, blocked.scalars, groups: groups, tq: tq, tk: tk, d: d, dv: dv,
                          probabilities: &p)
    saved.probabilities = p
    return (Array(q.shape.dropLast()) + [dv], out)
  }

  /// The forward loops on buffers, specialised for Float and Double: `forward` is called from
  /// generic code, and unspecialised element access (metadata look-ups, exclusivity checks per
  /// scalar) made this op 60 % of a transformer training step (W7, `perf`).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func kernel<S: TensorScalar>(_ query: [S], _ key: [S], _ value: [S], _ blockedMask: [S],
                                      groups: Int, tq: Int, tk: Int, d: Int, dv: Int, probabilities: inout [S]?) -> [S] {
    let scale = S(1 / Double(d).squareRoot())
    var out = [S](repeating: 0, count: groups * tq * dv)
    var p = [S](repeating: 0, count: tk)
    var savedP = probabilities ?? []
    let saving = probabilities != nil
    probabilities = nil  // one owner of the buffer while it is written
    defer { if saving { probabilities = savedP } }
    query.withUnsafeBufferPointer { q in
      key.withUnsafeBufferPointer { k in
        value.withUnsafeBufferPointer { v in
          blockedMask.withUnsafeBufferPointer { blocked in
            out.withUnsafeMutableBufferPointer { out in
              p.withUnsafeMutableBufferPointer { p in savedP.withUnsafeMutableBufferPointer { sp in
                for g in 0..<groups {
                  for i in 0..<tq {
                    var m = -S.infinity
                    let qRow = (g * tq + i) * d
                    for j in 0..<tk {
                      if blocked[(g * tq + i) * tk + j] != 0 { p[j] = -.infinity; continue }
                      let dot = Self.dot(q.baseAddress! + qRow, k.baseAddress! + (g * tk + j) * d, d)
                      p[j] = dot * scale
                      m = Swift.max(m, p[j])
                    }
                    var z: S = 0
                    for j in 0..<tk { p[j] = S.exp(p[j] - m); z += p[j] }  // a fully blocked row: 0/0 = NaN, as PyTorch
                    let base = (g * tq + i) * dv
                    for j in 0..<tk where p[j] != 0 {
                      let w = p[j] / z, vRow = (g * tk + j) * dv
                      for c in 0..<dv { out[base + c] += w * v[vRow + c] }
                    }
                    if z == 0 { for c in 0..<dv { out[base + c] = .nan } }
                    if saving {
                      let pRow = (g * tq + i) * tk
                      for j in 0..<tk { sp[pRow + j] = z == 0 ? .nan : p[j] / z }
                    }
                  }
                }
              } }
            }
          }
        }
      }
    }
    return out
  }

  /// P = softmax(q·kᵀ·s with blocked entries −∞), as tensor ops.
  func probabilities<S>(_ c: BackwardContext<S>) -> (p: Tensor<S>, scale: Tensor<S>) {
    let (q, k, blocked) = (c.inputs[0], c.inputs[1], c.inputs[3])
    let scale = Tensor<S>(S(1 / Double(q.shape[q.rank - 1]).squareRoot()))
    let s = Tensor.matmul(q, k, transposeB: true) * scale
    return (Tensor.where(blocked, Tensor<S>(-S.infinity), s).softmax(alongAxis: -1), scale)
  }

  /// Σ a[c]·b[c] over `n` elements with four partial sums (a dependent chain of n multiply-adds
  /// was the attention kernels' bottleneck at head size 16).
  @inline(__always)
  static func dot<S: TensorScalar>(_ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ n: Int) -> S {
    var s0: S = 0, s1: S = 0, s2: S = 0, s3: S = 0
    var c = 0
    while c + 4 <= n {
      s0 += a[c] * b[c]; s1 += a[c + 1] * b[c + 1]; s2 += a[c + 2] * b[c + 2]; s3 += a[c + 3] * b[c + 3]
      c += 4
    }
    while c < n { s0 += a[c] * b[c]; c += 1 }
    return (s0 + s1) + (s2 + s3)
  }

  /// dq, dk, dv from the saved P in one pass per (group, query row):
  /// dv_j += P_ij·g_i, dP_ij = g_i·v_j, dS_ij = P_ij(dP_ij − Σ_j P_ij dP_ij)·s, dq_i = Σ_j dS_ij k_j, dk_j += dS_ij q_i.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func backwardKernel<S: TensorScalar>(_ gradient: [S], _ query: [S], _ key: [S], _ value: [S], _ probabilities: [S],
                                              groups: Int, tq: Int, tk: Int, d: Int, dv: Int) -> (dq: [S], dk: [S], dv: [S]) {
    let scale = S(1 / Double(d).squareRoot())
    var dQ = [S](repeating: 0, count: query.count), dK = [S](repeating: 0, count: key.count), dV = [S](repeating: 0, count: value.count)
    var dS = [S](repeating: 0, count: tk)
    gradient.withUnsafeBufferPointer { g in
      query.withUnsafeBufferPointer { q in
        key.withUnsafeBufferPointer { k in
          value.withUnsafeBufferPointer { v in
            probabilities.withUnsafeBufferPointer { p in
              dQ.withUnsafeMutableBufferPointer { dq in
                dK.withUnsafeMutableBufferPointer { dk in
                  dV.withUnsafeMutableBufferPointer { dvOut in
                    dS.withUnsafeMutableBufferPointer { ds in
                      for grp in 0..<groups {
                        for i in 0..<tq {
                          let pRow = (grp * tq + i) * tk, gRow = (grp * tq + i) * dv, qRow = (grp * tq + i) * d
                          var total: S = 0
                          for j in 0..<tk {
                            let pij = p[pRow + j], vRow = (grp * tk + j) * dv
                            var dp: S = 0
                            if pij != 0 {
                              dp = Self.dot(g.baseAddress! + gRow, v.baseAddress! + vRow, dv)
                              for c in 0..<dv { dvOut[vRow + c] += pij * g[gRow + c] }
                            }
                            ds[j] = dp
                            total += pij * dp
                          }
                          for j in 0..<tk {
                            let pij = p[pRow + j]
                            guard pij != 0 else { continue }
                            let w = pij * (ds[j] - total) * scale, kRow = (grp * tk + j) * d
                            for c in 0..<d { dq[qRow + c] += w * k[kRow + c]; dk[kRow + c] += w * q[qRow + c] }
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
      }
    }
    return (dQ, dK, dV)
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let (q, k, v) = (c.inputs[0], c.inputs[1], c.inputs[2])
    if ThreadState.current.inFirstOrderBackward && c.batchRank == 0, let saved = saved.probabilities as? [S] {
      let r = q.rank, tq = q.shape[r - 2], d = q.shape[r - 1], tk = k.shape[r - 2], dv = v.shape[r - 1]
      let grads = Self.backwardKernel(g.scalars, q.scalars, k.scalars, v.scalars, saved, groups: q.count / Swift.max(tq * d, 1),
                                      tq: tq, tk: tk, d: d, dv: dv)
      return [c.needsGradient(0) ? Tensor(uncheckedShape: q.shape, scalars: grads.dq) : nil,
              c.needsGradient(1) ? Tensor(uncheckedShape: k.shape, scalars: grads.dk) : nil,
              c.needsGradient(2) ? Tensor(uncheckedShape: v.shape, scalars: grads.dv) : nil, nil]
    }
    let (p, scale) = probabilities(c)
    let dv = c.needsGradient(2) ? Tensor.matmul(p, g, transposeA: true) : nil
    guard c.needsGradient(0) || c.needsGradient(1) else { return [nil, nil, dv, nil] }
    let dp = Tensor.matmul(g, v, transposeB: true)
    let ds = p * (dp - (dp * p).sum(alongAxes: [-1], keepingDims: true)) * scale
    return [c.needsGradient(0) ? Tensor.matmul(ds, k) : nil,
            c.needsGradient(1) ? Tensor.matmul(ds, q, transposeA: true) : nil, dv, nil]
  }

  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    let (q, k, v) = (c.inputs[0], c.inputs[1], c.inputs[2])
    let (p, scale) = probabilities(c)
    var y: Tensor<S>? = t[2].map { Tensor.matmul(p, $0) }
    let sDot = tangentSum(t[0].map { Tensor.matmul($0, k, transposeB: true) }, t[1].map { Tensor.matmul(q, $0, transposeB: true) },
                          like: p)
    if t[0] != nil || t[1] != nil {
      let s = sDot * scale
      let pDot = p * (s - (p * s).sum(alongAxes: [-1], keepingDims: true))
      let term = Tensor.matmul(pDot, v)
      y = y.map { $0 + term } ?? term
    }
    return y ?? Tensor.zeros(c.output.shape)
  }

  func forwardFormula(_ n: [String]) -> String { "softmax(\(n[0])·\(n[1])ᵀ/√d)·\(n[2])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    switch k {
    case 0: return GradientFormula("(P ⊙ (δ·\(c.inputNames[2])ᵀ − Σ P ⊙ δ·\(c.inputNames[2])ᵀ))·\(c.inputNames[1])/√d", .matrix, .dense)
    case 1: return GradientFormula("(P ⊙ (δ·\(c.inputNames[2])ᵀ − Σ P ⊙ δ·\(c.inputNames[2])ᵀ))ᵀ·\(c.inputNames[0])/√d", .matrix, .dense)
    case 2: return GradientFormula("Pᵀ·δ", .matrix, .kronecker)
    default: return GradientFormula("none (the mask is a constant)", .other, .selection)
    }
  }
}

extension Tensor {
  /// softmax(q·kᵀ/√d + mask)·v over `[batch, heads, T, d]` tensors (PyTorch's
  /// `F.scaled_dot_product_attention`): one op with its own kernel, VJP and JVP (see
  /// `ScaledDotProductAttention`); the softmax subtracts the row maximum before `exp`.
  ///
  /// - `query` `[…, Tq, d]`, `key` `[…, Tk, d]`, `value` `[…, Tk, dv]`; leading dimensions
  ///   broadcast like `matmul`'s.
  /// - `causal`: query `i` sees keys `j ≤ i + (Tk − Tq)`, i.e. the queries are the last `Tq`
  ///   positions of the `Tk` keys (the same as PyTorch's `is_causal` when `Tq == Tk`, and what
  ///   a key/value cache needs when `Tq < Tk`).
  /// - `mask`: nonzero where a query may attend (PyTorch's boolean `attn_mask`), broadcasting
  ///   to `[…, Tq, Tk]`. A fully masked row gives NaN, as in PyTorch.
  ///
  /// VJP: dv = Pᵀg, dP = g·vᵀ, dS = P ⊙ (dP − Σ dP ⊙ P), dq = dS·k/√d, dk = dSᵀ·q/√d.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, causal: Bool = false, mask: Tensor? = nil
  ) -> Tensor {
    require(query.rank >= 2 && key.rank >= 2 && value.rank >= 2, "scaledDotProductAttention",
            "query \(query.shape), key \(key.shape) and value \(value.shape) need rank ≥ 2")
    let d = query.shape[query.rank - 1], tq = query.shape[query.rank - 2], tk = key.shape[key.rank - 2]
    let dv = value.shape[value.rank - 1]
    require(key.shape[key.rank - 1] == d && value.shape[value.rank - 2] == tk, "scaledDotProductAttention",
            "query \(query.shape), key \(key.shape) and value \(value.shape) do not match ([…, T, d])")
    let lead = [query, key, value].map { Array($0.shape.dropLast(2)) }
    guard let ab = BroadcastPlan(lead[0], lead[1]), let all = BroadcastPlan(ab.shape, lead[2]) else {
      opFailure("scaledDotProductAttention", "leading shapes of query \(query.shape), key \(key.shape), value \(value.shape) do not broadcast")
    }
    let outer = all.shape
    var blocked = [Scalar](repeating: 0, count: tq * tk)
    if causal { for i in 0..<tq { for j in 0..<tk where j > i + tk - tq { blocked[i * tk + j] = 1 } } }
    var blockedTensor = Tensor(uncheckedShape: [tq, tk], scalars: blocked)
    if let mask {
      guard let plan = BroadcastPlan(mask.shape, outer + [tq, tk]), plan.shape == outer + [tq, tk] else {
        opFailure("scaledDotProductAttention", "mask \(mask.shape) does not broadcast to the scores \(outer + [tq, tk])")
      }
      let m = mask.detached().broadcast(to: outer + [tq, tk])
      let bb = blockedTensor.broadcast(to: outer + [tq, tk])
      blockedTensor = Tensor(uncheckedShape: m.shape, scalars: zip(m.scalars, bb.scalars).map { $0 == 0 || $1 != 0 ? 1 : 0 })
    }
    let blockedFull = Tensor(uncheckedShape: outer + [tq, tk], scalars: blockedTensor.detached().broadcast(to: outer + [tq, tk]).scalars)
    func full(_ x: Tensor, _ last: [Int]) -> Tensor { x.shape == outer + last ? x : x.broadcast(to: outer + last) }
    return apply(ScaledDotProductAttention(), to: [full(query, [tq, d]), full(key, [tk, d]), full(value, [tk, dv]), blockedFull])
  }
}
