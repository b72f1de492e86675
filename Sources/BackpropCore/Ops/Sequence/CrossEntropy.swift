extension Tensor {
  /// Mean cross-entropy of `logits` `[N, C]` or `[N, T, C]` against integer class `targets`
  /// (`N` or `N·T` of them, row-major), with PyTorch's `ignore_index` and `label_smoothing`:
  ///
  ///     loss = −(1/|K|) Σ_{i∈K} Σ_c w_ic · logSoftmax(x_i)_c,
  ///     w_ic = (1 − ε)·[c = t_i] + ε/C,   K = { i : t_i ≠ ignoreIndex }
  ///
  /// Composed from `logSoftmax` (stable) and a constant weight matrix, so the VJP is
  /// `(softmax(x_i) · Σ_c w_ic − w_i)/|K|` per row, differentiable again. If every target is
  /// ignored the result is NaN (0/0), as in PyTorch.
  public static func crossEntropy(logits: Tensor, targets: [Int], ignoreIndex: Int? = nil,
                                  labelSmoothing: Double = 0) -> Tensor {
    require(logits.rank == 2 || logits.rank == 3, "crossEntropy",
            "logits must be [N, C] or [N, T, C], got \(logits.shape)")
    let classes = logits.shape[logits.rank - 1], rows = logits.count / Swift.max(classes, 1)
    require(targets.count == rows, "crossEntropy",
            "\(targets.count) targets for logits \(logits.shape) (need \(rows))")
    require(labelSmoothing >= 0 && labelSmoothing <= 1, "crossEntropy",
            "labelSmoothing \(labelSmoothing) is outside [0, 1]")
    var weights = [Scalar](repeating: 0, count: rows * classes)
    var kept = 0
    let spread = Scalar(labelSmoothing / Double(classes)), hit = Scalar(1 - labelSmoothing)
    for (i, t) in targets.enumerated() {
      if t == ignoreIndex { continue }
      if t < 0 || t >= classes {
        opFailure("crossEntropy", "target \(t) at position \(i) is out of range for \(classes) classes (logits \(logits.shape))")
      }
      kept += 1
      for c in 0..<classes { weights[i * classes + c] = spread }
      weights[i * classes + t] += hit
    }
    let flat = logits.reshaped(to: [rows, classes])
    let w = Tensor(uncheckedShape: [rows, classes], scalars: weights)
    return -(w * flat.logSoftmax(alongAxis: -1)).sum() / Tensor(Scalar(kept))
  }
}
