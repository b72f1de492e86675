extension Tensor {
  /// Rows of `weight` (shape `[vocabulary, dimension]`) picked by integer `indices`: the output
  /// has shape `indexShape + [dimension]` (PyTorch's `F.embedding`).
  ///
  /// Indices are plain `[Int]` (row-major over `indexShape`, which defaults to `[indices.count]`):
  /// they are data, never differentiated. Built on `gatheringRows`, so the gradient scatter-adds
  /// `g` back into the rows, accumulating over repeated indices. Rows equal to `paddingIndex`
  /// are read like any other but get no gradient (the row is detached there), as in PyTorch.
  ///
  /// VJP: `∂L/∂W[r] = Σ_{i : idx_i = r, r ≠ pad} g_i`.
  public static func embedding(_ indices: [Int], shape indexShape: [Int]? = nil, weight: Tensor,
                               paddingIndex: Int? = nil) -> Tensor {
    require(weight.rank == 2, "embedding", "weight must be [vocabulary, dimension], got \(weight.shape)")
    let vocabulary = weight.shape[0], dimension = weight.shape[1]
    let outer = indexShape ?? [indices.count]
    require(outer.reduce(1, *) == indices.count, "embedding",
            "\(indices.count) indices do not fill the index shape \(outer)")
    if let bad = indices.first(where: { $0 < 0 || $0 >= vocabulary }) {
      opFailure("embedding", "index \(bad) is out of range for a weight of shape \(weight.shape)")
    }
    var table = weight
    if let pad = paddingIndex {
      require(pad >= 0 && pad < vocabulary, "embedding", "padding index \(pad) is out of range for \(weight.shape)")
      if indices.contains(pad) {
        // Same values; the padding row comes from a detached copy, so no gradient reaches it.
        var keep = [Scalar](repeating: 1, count: vocabulary); keep[pad] = 0
        let mask = Tensor(uncheckedShape: [vocabulary, 1], scalars: keep)
        table = Tensor.where(mask, weight, weight.detached())
      }
    }
    return table.gatheringRows(indices).reshaped(to: outer + [dimension])
  }
}
