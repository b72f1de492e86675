extension Tensor {
  /// softmax(q·kᵀ/√d + mask)·v over `[batch, heads, T, d]` tensors (PyTorch's
  /// `F.scaled_dot_product_attention`), with a numerically stable softmax (the row maximum is
  /// subtracted before `exp`).
  ///
  /// - `query` `[…, Tq, d]`, `key` `[…, Tk, d]`, `value` `[…, Tk, dv]`; leading dimensions
  ///   broadcast like `matmul`'s.
  /// - `causal`: query `i` sees keys `j ≤ i + (Tk − Tq)`, i.e. the queries are the last `Tq`
  ///   positions of the `Tk` keys (the same as PyTorch's `is_causal` when `Tq == Tk`, and what
  ///   a key/value cache needs when `Tq < Tk`).
  /// - `mask`: nonzero where a query may attend (PyTorch's boolean `attn_mask`), broadcasting
  ///   to `[…, Tq, Tk]`.
  ///
  /// Composed from `matmul`, `where` and `softmax`, so its VJP (dV = Pᵀg, dP = g·vᵀ,
  /// dS = P ⊙ (dP − Σ dP ⊙ P), dq = dS·k/√d, dk = dSᵀ·q/√d) and JVP come from theirs and are
  /// themselves differentiable. A fully masked row gives NaN, as in PyTorch.
  public static func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, causal: Bool = false, mask: Tensor? = nil
  ) -> Tensor {
    require(query.rank >= 2 && key.rank >= 2 && value.rank >= 2, "scaledDotProductAttention",
            "query \(query.shape), key \(key.shape) and value \(value.shape) need rank ≥ 2")
    let d = query.shape[query.rank - 1], tq = query.shape[query.rank - 2], tk = key.shape[key.rank - 2]
    require(key.shape[key.rank - 1] == d && value.shape[value.rank - 2] == tk, "scaledDotProductAttention",
            "query \(query.shape), key \(key.shape) and value \(value.shape) do not match ([…, T, d])")
    var scores = Tensor.matmul(query, key, transposeB: true) * Tensor(Scalar(1 / Double(d).squareRoot()))
    if causal {
      let offset = tk - tq
      var blocked = [Scalar](repeating: 0, count: tq * tk)
      for i in 0..<tq { for j in 0..<tk where j > i + offset { blocked[i * tk + j] = 1 } }
      scores = scores.maskedFill(Tensor(uncheckedShape: [tq, tk], scalars: blocked), with: -.infinity)
    }
    if let mask {
      scores = scores.maskedFill(mask.detached().equal(Tensor(0)), with: -.infinity)
    }
    return Tensor.matmul(scores.softmax(alongAxis: -1), value)
  }
}
