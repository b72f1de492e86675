import RealModule

/// Binary cross-entropy from logits (PyTorch's `BCEWithLogitsLoss`), for targets in [0, 1]:
///
///     ℓ(x, t) = −[t·log σ(x) + (1 − t)·log(1 − σ(x))] = max(x, 0) − x·t + log(1 + e^−|x|)
///
/// The right-hand form never overflows and never takes the log of 0, whatever the logit.
/// One fused op with gradient `∂ℓ/∂x = σ(x) − t` (divided by the element count for `.mean`);
/// under `backward(createGraph: true)` that formula is built from differentiable ops.
///
/// Logits and targets of different shapes are a programmer error and stop with both shapes.
public func binaryCrossEntropy<Scalar>(
  logits: Tensor<Scalar>, targets: Tensor<Scalar>, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
  require(logits.shape == targets.shape && logits.count > 0, "binaryCrossEntropy",
          "logits \(logits.shape) and targets \(targets.shape) must have the same non-empty shape")
  return Tensor.apply(BinaryCrossEntropy(reduction: reduction), to: [logits, targets])
}

/// The fused binary cross-entropy op, ℓ(x, t) = max(x, 0) − x·t + log(1 + e^−|x|).
///
/// VJP: `∂L/∂x = g · (σ(x) − t) / N`, `∂L/∂t = g · (−x) / N` (N = element count for `.mean`).
/// JVP: `L̇ = Σ ((σ(x) − t) ⊙ ẋ − x ⊙ ṫ) / N`.
struct BinaryCrossEntropy: Op {
  var name: String { "binaryCrossEntropy" }
  let reduction: LossReduction
  var parameters: [(name: String, value: String)] { [("reduction", "\(reduction)")] }

  func scale<S: TensorScalar>(_ n: Int) -> S { reduction == .mean ? 1 / S(n) : 1 }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let total = inputs[0].scalars.withUnsafeBufferPointer { x in
      inputs[1].scalars.withUnsafeBufferPointer { t in binaryCrossEntropySum(x, t) }
    }
    return ([], [total * scale(inputs[0].count)])
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let x = c.inputs[0]
    let gs = g * scale(x.count)
    // ∂ℓ/∂t = −x, so soft targets that require a gradient get one too.
    let dt = c.needsGradient(1) ? -x * gs : nil
    let dx = c.needsGradient(0) ? (x.sigmoid() - c.inputs[1]) * gs : nil
    return [dx, dt]
  }

  func jvp<S>(_ tangents: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    let x = c.inputs[0], t = c.inputs[1]
    var y = Tensor<S>(0)
    if let dx = tangents[0] { y = y + ((x.sigmoid() - t) * dx).sum() }
    if let dt = tangents[1] { y = y + (-x * dt).sum() }
    return y * scale(x.count)
  }

  func forwardFormula(_ n: [String]) -> String { "BCE(σ(\(n[0])), \(n[1]))" }

  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    let n = reduction == .mean ? c.inputShapes[k].reduce(1, *) : 1
    let (x, t) = (c.inputNames[0], c.inputNames[1])
    return GradientFormula(k == 0 ? "δ · (σ(\(x)) − \(t)) / \(n)" : "δ · (−\(x)) / \(n)", .scale, .row)
  }
}
