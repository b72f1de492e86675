/// How a loss combines the per-sample (or per-element) terms.
public enum LossReduction: Sendable, Equatable {
  /// The average (PyTorch's default, `reduction='mean'`).
  case mean
  /// The sum.
  case sum
}

/// Mean squared error `L = (1/n) Σᵢ (ŷᵢ − yᵢ)²` over all `n` elements (PyTorch's `MSELoss`).
///
/// Gradient: `∂L/∂ŷ = 2(ŷ − y)/n`.
/// - Throws: `TensorError.shapeMismatch` unless `predicted` and `target` have the same shape.
public func meanSquaredError<Scalar>(
  predicted: Tensor<Scalar>, target: Tensor<Scalar>, reduction: LossReduction = .mean
) throws -> Tensor<Scalar> {
  guard predicted.shape == target.shape else {
    throw TensorError.shapeMismatch(op: "meanSquaredError", lhs: predicted.shape, rhs: target.shape,
                                    reason: "prediction and target must have the same shape")
  }
  let squares = try (predicted - target).squared()
  return reduction == .mean ? squares.mean() : squares.sum()
}
