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
/// A wrong shape or a label out of range is a programmer error (labels are checked when a data
/// set is loaded) and stops with a message naming both.
public func softmaxCrossEntropy<Scalar>(
  logits: Tensor<Scalar>, labels: [Int], reduction: LossReduction = .mean
) -> Tensor<Scalar> {
  require(logits.rank == 2 && logits.shape[0] == labels.count && logits.shape[0] > 0 && logits.shape[1] > 0,
          "softmaxCrossEntropy",
          "needs logits [batch, classes] and one label per row, got logits \(logits.shape) and \(labels.count) labels")
  let k = logits.shape[1]
  if let bad = labels.first(where: { $0 < 0 || $0 >= k }) {
    opFailure("softmaxCrossEntropy", "label \(bad) is outside 0..<\(k)")
  }
  return Tensor.apply(SoftmaxCrossEntropy<Scalar>(labels: labels, reduction: reduction), to: [logits])
}

/// The fused softmax cross-entropy op. Its parameters are the labels and the reduction; the
/// softmax computed by the forward pass is kept for the backward pass.
///
/// VJP: `∂L/∂z = g · (softmax(z) − onehot(y)) / N` (N = rows for `.mean`, 1 for `.sum`).
/// JVP: `L̇ = Σᵢ (softmax(zᵢ) − onehot(yᵢ)) · żᵢ / N`.
final class SoftmaxCrossEntropy<T: TensorScalar>: Op {
  var name: String { "softmaxCrossEntropy" }
  let labels: [Int]
  let reduction: LossReduction
  /// The forward pass's softmax, row-major `[N, classes]`.
  private var probabilities: [T] = []

  init(labels: [Int], reduction: LossReduction) { self.labels = labels; self.reduction = reduction }

  var parameters: [(name: String, value: String)] { [("labels", "\(labels.count)"), ("reduction", "\(reduction)")] }

  func scale<S: TensorScalar>(_ n: Int) -> S { reduction == .mean ? 1 / S(n) : 1 }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let logits = inputs[0]
    let (n, k) = (logits.shape[0], logits.shape[1])
    // Forward: per-row log-sum-exp and the softmax (kept for the backward pass).
    var probabilities = [S](repeating: 0, count: n * k)
    let total = logits.scalars.withUnsafeBufferPointer { z in
      labels.withUnsafeBufferPointer { y in
        probabilities.withUnsafeMutableBufferPointer { p in
          softmaxCrossEntropyRows(z.baseAddress!, labels: y.baseAddress!, rows: n, classes: k, probabilities: p.baseAddress!)
        }
      }
    }
    // Same element type at run time: reinterpret (`as!` between generic arrays copied and cast
    // element by element, 8% of a small LSTM's training step).
    self.probabilities = S.self == T.self ? unsafeBitCast(probabilities, to: [T].self) : probabilities as! [T]
    return ([], [total * scale(n)])
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let (n, k) = (c.inputs[0].shape[0], c.inputs[0].shape[1])
    let scale: S = scale(n)
    if isGradientRecordingEnabled || c.batchRank > 0 {
      // createGraph (or batched cotangents): the same formula from differentiable ops.
      let onehot = Tensor<S>.oneHot(labels, classCount: k)
      let d = c.inputs[0].softmax(alongAxis: 1) - onehot
      return [c.batchRank > 0 ? d * (g * scale).reshaped(to: c.batched([1, 1])) : d * (g * scale)]
    }
    var d = S.self == T.self ? unsafeBitCast(probabilities, to: [S].self) : probabilities as! [S]
    d.withUnsafeMutableBufferPointer { p in
      labels.withUnsafeBufferPointer { y in
        crossEntropyGradient(p.baseAddress!, labels: y.baseAddress!, rows: n, classes: k, scale: g.item * scale)
      }
    }
    return [Tensor(shape: [n, k], scalars: d)]
  }

  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    // d/dε L(z + εż) = scale · Σᵢ (softmax(zᵢ) − onehot(yᵢ)) · żᵢ
    let onehot = Tensor<S>.oneHot(labels, classCount: c.inputs[0].shape[1])
    return ((c.inputs[0].softmax(alongAxis: 1) - onehot) * t[0]!).sum() * scale(c.inputs[0].shape[0])
  }

  func forwardFormula(_ names: [String]) -> String { "−mean log softmax(\(names[0]))[y]" }

  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    let n = c.inputShapes[k].first ?? 1
    return GradientFormula("δ · (softmax(\(c.inputNames[k])) − onehot(y)) / \(reduction == .mean ? n : 1)", .scale, .row)
  }
}

extension Tensor {
  /// A `[labels.count, classCount]` matrix with a 1 at `(i, labels[i])` and 0 elsewhere.
  /// Labels must lie in `0..<classCount`.
  public static func oneHot(_ labels: [Int], classCount: Int) -> Tensor {
    var values = [Scalar](repeating: 0, count: labels.count * classCount)
    for (i, y) in labels.enumerated() {
      require(y >= 0 && y < classCount, "label \(y) is outside 0..<\(classCount)")
      values[i * classCount + y] = 1
    }
    return Tensor(shape: [labels.count, classCount], scalars: values)
  }
}
