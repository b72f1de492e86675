import RealModule

/// Softmax cross-entropy from raw logits and integer class labels (PyTorch's `CrossEntropyLoss`):
///
///     Lᵢ = −log softmax(zᵢ)[yᵢ] = logsumexp(zᵢ) − zᵢ[yᵢ],     L = (1/N) Σᵢ Lᵢ
///
/// computed stably (`logsumexp(z) = m + log Σ exp(z − m)`, `m = max z`), so huge logits neither
/// overflow nor lose the answer.
///
/// It is one fused op: the gradient has the simple closed form
/// `∂L/∂zᵢ = (softmax(zᵢ) − onehot(yᵢ)) / N`, computed from the softmax saved by the forward
/// pass instead of backpropagating through `exp`, `sum`, `log` and a gather. Under
/// `backward(createGraph: true)` the same formula is built from differentiable ops instead, so
/// higher derivatives stay correct.
///
/// - Parameters:
///   - logits: `[batch, classes]` unnormalised scores.
///   - labels: `batch` class indices in `0..<classes`.
/// - Throws: `TensorError.invalidArgument` for a wrong shape or a label out of range.
public func softmaxCrossEntropy<Scalar>(
  logits: Tensor<Scalar>, labels: [Int], reduction: LossReduction = .mean
) throws -> Tensor<Scalar> {
  guard logits.rank == 2, logits.shape[0] == labels.count, logits.shape[0] > 0, logits.shape[1] > 0 else {
    throw TensorError.invalidArgument(op: "softmaxCrossEntropy",
      message: "needs logits [batch, classes] and one label per row, got logits \(logits.shape) and \(labels.count) labels")
  }
  let (n, k) = (logits.shape[0], logits.shape[1])
  if let bad = labels.first(where: { $0 < 0 || $0 >= k }) {
    throw TensorError.invalidArgument(op: "softmaxCrossEntropy", message: "label \(bad) is outside 0..<\(k)")
  }
  let scale = reduction == .mean ? 1 / Scalar(n) : 1
  // Forward: per-row log-sum-exp and the softmax (kept for the backward pass).
  var probabilities = [Scalar](repeating: 0, count: n * k)
  let total = logits.scalars.withUnsafeBufferPointer { z in
    labels.withUnsafeBufferPointer { y in
      probabilities.withUnsafeMutableBufferPointer { p in
        softmaxCrossEntropyRows(z.baseAddress!, labels: y.baseAddress!, rows: n, classes: k, probabilities: p.baseAddress!)
      }
    }
  }
  return try Tensor.recordResult("softmaxCrossEntropy", shape: [], scalars: [total * scale], inputs: [logits],
    formula: "g ⊙ (softmax(z) − onehot(y)) / N",
    pullback: { g, c in
      if isGradientRecordingEnabled {
        // createGraph: the same formula from differentiable ops.
        let onehot = Tensor<Scalar>.oneHot(labels, classCount: k)
        return [try (c.inputs[0].softmax(alongAxis: 1) - onehot) * (g * scale)]
      }
      var d = probabilities
      d.withUnsafeMutableBufferPointer { p in
        labels.withUnsafeBufferPointer { y in
          crossEntropyGradient(p.baseAddress!, labels: y.baseAddress!, rows: n, classes: k, scale: g.item * scale)
        }
      }
      return [try Tensor(shape: [n, k], scalars: d)]
    },
    pushforward: { t, c in
      // d/dε L(z + εż) = scale · Σᵢ (softmax(zᵢ) − onehot(yᵢ)) · żᵢ
      let onehot = Tensor<Scalar>.oneHot(labels, classCount: k)
      return try ((c.inputs[0].softmax(alongAxis: 1) - onehot) * t[0]!).sum() * scale
    })
}

extension Tensor {
  /// A `[labels.count, classCount]` matrix with a 1 at `(i, labels[i])` and 0 elsewhere.
  /// Labels must lie in `0..<classCount`.
  public static func oneHot(_ labels: [Int], classCount: Int) -> Tensor {
    var values = [Scalar](repeating: 0, count: labels.count * classCount)
    for (i, y) in labels.enumerated() {
      precondition(y >= 0 && y < classCount, "label \(y) is outside 0..<\(classCount)")
      values[i * classCount + y] = 1
    }
    // swiftlint:disable:next force_try
    return try! Tensor(shape: [labels.count, classCount], scalars: values)
  }
}
