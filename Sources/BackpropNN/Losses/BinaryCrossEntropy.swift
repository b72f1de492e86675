import RealModule

/// Binary cross-entropy from logits (PyTorch's `BCEWithLogitsLoss`), for targets in [0, 1]:
///
///     ℓ(x, t) = −[t·log σ(x) + (1 − t)·log(1 − σ(x))] = max(x, 0) − x·t + log(1 + e^−|x|)
///
/// The right-hand form never overflows and never takes the log of 0, whatever the logit.
/// One fused op with gradient `∂ℓ/∂x = σ(x) − t` (divided by the element count for `.mean`);
/// under `backward(createGraph: true)` that formula is built from differentiable ops.
///
/// - Throws: `TensorError.shapeMismatch` unless `logits` and `targets` have the same shape.
public func binaryCrossEntropy<Scalar>(
  logits: Tensor<Scalar>, targets: Tensor<Scalar>, reduction: LossReduction = .mean
) throws -> Tensor<Scalar> {
  guard logits.shape == targets.shape, logits.count > 0 else {
    throw TensorError.shapeMismatch(op: "binaryCrossEntropy", lhs: logits.shape, rhs: targets.shape,
                                    reason: "logits and targets must have the same non-empty shape")
  }
  let scale = reduction == .mean ? 1 / Scalar(logits.count) : 1
  let total = logits.scalars.withUnsafeBufferPointer { x in
    targets.scalars.withUnsafeBufferPointer { t in binaryCrossEntropySum(x, t) }
  }
  return try Tensor.recordResult("binaryCrossEntropy", shape: [], scalars: [total * scale], inputs: [logits, targets],
    formula: "g ⊙ (σ(x) − t) / N, g ⊙ −x / N",
    pullback: { g, c in
      let x = c.inputs[0]
      let gs = g * scale
      // ∂ℓ/∂t = −x, so soft targets that require a gradient get one too.
      let dt = c.needsGradient(1) ? try -x * gs : nil
      let dx = c.needsGradient(0) ? try (x.sigmoid() - c.inputs[1]) * gs : nil
      return [dx, dt]
    },
    pushforward: { tangents, c in
      let x = c.inputs[0], t = c.inputs[1]
      var y = Tensor<Scalar>(0)
      if let dx = tangents[0] { y = try y + ((x.sigmoid() - t) * dx).sum() }
      if let dt = tangents[1] { y = try y + (-x * dt).sum() }
      return y * scale
    })
}
