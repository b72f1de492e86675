import BackpropKernels

/// Multi-head self-attention straight from the packed projection `qkv` `[B, T, 3E]` (columns
/// q, k, v; head h's features at h·d ..< (h+1)·d of each, d = E / heads) to the merged heads
/// `[B, T, E]`: for every batch row and head, softmax(q·kᵀ/√d, causal when set)·v, with no
/// split, permute or merge copies (the kernel reads and writes with strides).
///
/// The same maths as `scaledDotProductAttention` on the split heads (and the same formulas):
///
///     VJP: dv = Pᵀ·g,  dP = g·vᵀ,  dS = P ⊙ (dP − Σ_j dP ⊙ P),  dq = dS·k/√d,  dk = dSᵀ·q/√d
///     JVP: Ṡ = (q̇·kᵀ + q·k̇ᵀ)/√d,  Ṗ = P ⊙ (Ṡ − Σ_j P ⊙ Ṡ),  ẏ = Ṗ·v + P·v̇
///
/// Forward and first-order backward are one kernel each (P saved by the forward; for Float the C
/// kernels of `PackedAttention`, AVX2/FMA over the head size, checked against these loops); with
/// `createGraph` or batched cotangents the VJP and JVP split the heads with tensor ops and use
/// `scaledDotProductAttention`'s tensor formulas, so they differentiate again.
struct PackedSelfAttention: Op {
  var name: String { "packedSelfAttention" }
  let heads: Int
  let causal: Bool
  var parameters: [(name: String, value: String)] { [("heads", "\(heads)"), ("causal", "\(causal)")] }
  /// P `[B, heads, T, T]` as the forward kernel computed it, for the backward kernel.
  final class Saved: @unchecked Sendable { var probabilities: Any? }
  let saved = Saved()

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0]
    require(x.rank == 3 && heads > 0 && x.shape[2] % (3 * heads) == 0, "packedSelfAttention",
            "qkv \(x.shape) must be [B, T, 3E] with E a multiple of heads \(heads)")
    let (b, t, e) = (x.shape[0], x.shape[1], x.shape[2] / 3)
    let keep = ThreadState.current.gradEnabled && x.requiresGrad
    var p: [S]? = keep ? [S](repeating: 0, count: b * heads * t * t) : nil
    if S.self == Float.self {
      // The C kernels (AVX2/FMA over the head size); the generic loops below are their reference.
      let out = [S](unsafeUninitializedCapacity: b * t * e) { o, initialized in
        x.scalars.withUnsafeBufferPointer { xp in
          if p == nil {
            PackedAttention.forward(qkv: floats(xp.baseAddress!), into: mutableFloats(o.baseAddress!), probabilities: nil,
                                    batch: b, steps: t, embed: e, heads: heads, causal: causal)
          } else {
            p!.withUnsafeMutableBufferPointer { pp in
              PackedAttention.forward(qkv: floats(xp.baseAddress!), into: mutableFloats(o.baseAddress!),
                                      probabilities: mutableFloats(pp.baseAddress!), batch: b, steps: t, embed: e, heads: heads,
                                      causal: causal)
            }
          }
        }
        initialized = b * t * e
      }
      saved.probabilities = p
      return ([b, t, e], out)
    }
    let out = Self.kernel(x.scalars, batch: b, steps: t, embed: e, heads: heads, causal: causal, probabilities: &p)
    saved.probabilities = p
    return ([b, t, e], out)
  }

  /// The forward loops: per (batch row, head, query i) the scores q_i·k_j/√d over the keys it
  /// sees, a stable softmax, and Σ_j P_ij v_j written into the merged output row.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func kernel<S: TensorScalar>(_ qkv: [S], batch: Int, steps t: Int, embed e: Int, heads: Int, causal: Bool,
                                      probabilities: inout [S]?) -> [S] {
    let d = e / heads, scale = S(1 / Double(d).squareRoot()), row = 3 * e
    var out = [S](repeating: 0, count: batch * t * e)
    var savedP = probabilities ?? []
    let saving = probabilities != nil
    probabilities = nil  // one owner of the buffer while it is written
    defer { if saving { probabilities = savedP } }
    var p = [S](repeating: 0, count: t)
    qkv.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { out in
        p.withUnsafeMutableBufferPointer { p in
          savedP.withUnsafeMutableBufferPointer { sp in
            let x = x.baseAddress!, out = out.baseAddress!, p = p.baseAddress!
            for n in 0..<batch {
              for hd in 0..<heads {
                let q0 = x + n * t * row + hd * d, k0 = q0 + e, v0 = q0 + 2 * e
                for i in 0..<t {
                  let last = causal ? i : t - 1
                  var m = -S.infinity
                  for j in 0...last {
                    p[j] = ScaledDotProductAttention.dot(q0 + i * row, k0 + j * row, d) * scale
                    m = Swift.max(m, p[j])
                  }
                  var z: S = 0
                  for j in 0...last { p[j] = S.exp(p[j] - m); z += p[j] }
                  let inv = 1 / z, o = out + (n * t + i) * e + hd * d
                  for j in 0...last {
                    let w = p[j] * inv, v = v0 + j * row
                    for c in 0..<d { o[c] += w * v[c] }
                  }
                  if saving {
                    let pr = sp.baseAddress! + ((n * heads + hd) * t + i) * t
                    for j in 0...last { pr[j] = p[j] * inv }
                  }
                }
              }
            }
          }
        }
      }
    }
    return out
  }

  /// dqkv `[B, T, 3E]` from the saved P in one pass per (batch row, head, query row i):
  /// dv_j += P_ij g_i, dP_ij = g_i·v_j, dS_ij = P_ij(dP_ij − Σ_j P_ij dP_ij)/√d, dq_i = Σ_j dS_ij k_j, dk_j += dS_ij q_i.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func backwardKernel<S: TensorScalar>(_ gradient: [S], _ qkv: [S], _ probabilities: [S], batch: Int, steps t: Int,
                                              embed e: Int, heads: Int, causal: Bool) -> [S] {
    let d = e / heads, scale = S(1 / Double(d).squareRoot()), row = 3 * e
    var dx = [S](repeating: 0, count: qkv.count), ds = [S](repeating: 0, count: t)
    gradient.withUnsafeBufferPointer { g in
      qkv.withUnsafeBufferPointer { x in
        probabilities.withUnsafeBufferPointer { p in
          dx.withUnsafeMutableBufferPointer { dx in
            ds.withUnsafeMutableBufferPointer { ds in
              let g = g.baseAddress!, x = x.baseAddress!, p = p.baseAddress!, dx = dx.baseAddress!, ds = ds.baseAddress!
              for n in 0..<batch {
                for hd in 0..<heads {
                  let off = n * t * row + hd * d
                  let (q0, k0, v0) = (x + off, x + off + e, x + off + 2 * e)
                  let (dq0, dk0, dv0) = (dx + off, dx + off + e, dx + off + 2 * e)
                  for i in 0..<t {
                    let last = causal ? i : t - 1
                    let pr = p + ((n * heads + hd) * t + i) * t, gi = g + (n * t + i) * e + hd * d
                    var total: S = 0
                    for j in 0...last {
                      let pij = pr[j], dv = dv0 + j * row
                      let dp = ScaledDotProductAttention.dot(gi, v0 + j * row, d)
                      for c in 0..<d { dv[c] += pij * gi[c] }
                      ds[j] = dp
                      total += pij * dp
                    }
                    let qi = q0 + i * row, dqi = dq0 + i * row
                    for j in 0...last {
                      let w = pr[j] * (ds[j] - total) * scale, kj = k0 + j * row, dkj = dk0 + j * row
                      for c in 0..<d { dqi[c] += w * kj[c]; dkj[c] += w * qi[c] }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return dx
  }

  /// q, k, v `[lead…, B, heads, T, d]` of a `[lead…, B, T, 3E]` tensor, as tensor ops.
  private func split<S>(_ x: Tensor<S>, lead: Int) -> (q: Tensor<S>, k: Tensor<S>, v: Tensor<S>) {
    let r = x.rank, (b, t, e) = (x.shape[r - 3], x.shape[r - 2], x.shape[r - 1] / 3)
    let front = Array(x.shape.prefix(lead)), order = Array(0..<lead) + [lead, lead + 2, lead + 1, lead + 3]
    func part(_ k: Int) -> Tensor<S> {
      x.sliced(alongAxis: r - 1, k * e..<(k + 1) * e).reshaped(to: front + [b, t, heads, e / heads]).permuted(order)
    }
    return (part(0), part(1), part(2))
  }

  /// `[lead…, B, heads, T, d]` back to `[lead…, B, T, heads·d]`.
  private func merge<S>(_ y: Tensor<S>, lead: Int) -> Tensor<S> {
    let r = y.rank, order = Array(0..<lead) + [lead, lead + 2, lead + 1, lead + 3]
    return y.permuted(order).reshaped(to: Array(y.shape.prefix(lead)) + [y.shape[r - 4], y.shape[r - 2], y.shape[r - 3] * y.shape[r - 1]])
  }

  /// `scaledDotProductAttention`'s context for the split heads of `qkv` (causal mask `[T, T]`).
  private func attentionContext<S>(_ cx: BackwardContext<S>) -> BackwardContext<S> {
    let x = cx.inputs[0], t = x.shape[1]
    let (q, k, v) = split(x, lead: 0)
    let blocked = Tensor<S>(uncheckedShape: [t, t], scalars: (0..<t * t).map { causal && $0 % t > $0 / t ? 1 : 0 })
    let e = x.shape[2] / 3, y = cx.output.reshaped(to: [x.shape[0], t, heads, e / heads]).permuted([0, 2, 1, 3])
    return BackwardContext(inputs: [gradientFlagged(q), gradientFlagged(k), gradientFlagged(v), blocked], output: y)
  }

  func vjp<S>(_ g: Tensor<S>, _ cx: BackwardContext<S>) -> [Tensor<S>?] {
    guard cx.needsGradient(0) else { return [nil] }
    let x = cx.inputs[0], (b, t, e) = (x.shape[0], x.shape[1], x.shape[2] / 3)
    if ThreadState.current.inFirstOrderBackward && cx.batchRank == 0, let p = saved.probabilities as? [S] {
      if S.self == Float.self {
        let dx = [S](unsafeUninitializedCapacity: x.count) { d, initialized in
          g.scalars.withUnsafeBufferPointer { gp in
            x.scalars.withUnsafeBufferPointer { xp in
              p.withUnsafeBufferPointer { pp in
                PackedAttention.backward(gradient: floats(gp.baseAddress!), qkv: floats(xp.baseAddress!),
                                         probabilities: floats(pp.baseAddress!), into: mutableFloats(d.baseAddress!),
                                         batch: b, steps: t, embed: e, heads: heads, causal: causal)
              }
            }
          }
          initialized = x.count
        }
        return [Tensor(uncheckedShape: x.shape, scalars: dx)]
      }
      return [Tensor(uncheckedShape: x.shape, scalars: Self.backwardKernel(g.scalars, x.scalars, p, batch: b, steps: t,
                                                                            embed: e, heads: heads, causal: causal))]
    }
    let lead = cx.batchRank
    var inner = attentionContext(cx)
    inner.batchShape = cx.batchShape
    let gHeads = g.reshaped(to: cx.batched([b, t, heads, e / heads])).permuted(Array(0..<lead) + [lead, lead + 2, lead + 1, lead + 3])
    let r = ScaledDotProductAttention().vjp(gHeads, inner)
    let parts = (0..<3).map { k in r[k].map { merge($0, lead: lead) } ?? Tensor<S>.zeros(cx.batched([b, t, e])) }
    return [Tensor.concatenated(parts, alongAxis: lead + 2)]
  }

  func jvp<S>(_ t: [Tensor<S>?], _ cx: BackwardContext<S>) -> Tensor<S> {
    guard let tangent = t[0] else { return Tensor.zeros(cx.output.shape) }
    let (q, k, v) = split(tangent, lead: 0)
    return merge(ScaledDotProductAttention().jvp([q, k, v, nil], attentionContext(cx)), lead: 0)
  }

  func forwardFormula(_ n: [String]) -> String { "softmax(q·kᵀ/√d)·v per head of \(n[0]) = [q, k, v]" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("[(P ⊙ (δ·vᵀ − Σ P ⊙ δ·vᵀ))·k/√d, (P ⊙ (δ·vᵀ − Σ P ⊙ δ·vᵀ))ᵀ·q/√d, Pᵀ·δ] per head", .matrix, .dense)
  }
}

extension Tensor {
  /// Multi-head self-attention from the packed projection `qkv` `[B, T, 3E]` (q, k, v side by
  /// side, each `heads` heads of E/heads features) to the merged heads `[B, T, E]`: the
  /// `scaledDotProductAttention` of the split heads, causal when `causal`, as one op that reads
  /// and writes with strides (no split, permute or merge copies). See `PackedSelfAttention`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func packedSelfAttention(_ qkv: Tensor, heads: Int, causal: Bool) -> Tensor {
    require(qkv.rank == 3 && heads > 0 && qkv.shape[2] % (3 * heads) == 0, "packedSelfAttention",
            "qkv \(qkv.shape) must be [B, T, 3E] with E a multiple of heads \(heads)")
    return apply(PackedSelfAttention(heads: heads, causal: causal), to: [qkv])
  }
}
