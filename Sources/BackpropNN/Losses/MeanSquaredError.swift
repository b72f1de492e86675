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

/// Mean squared error of `prediction` against `target`, PyTorch's `F.mse_loss(input, target)`:
/// `L = (1/n) Σᵢ (ŷᵢ − yᵢ)²` (or the sum, with `reduction: .sum`).
///
/// Gradient: `∂L/∂ŷ = 2(ŷ − y)/n`.
/// - Precondition: `prediction` and `target` have the same shape (a programming error otherwise,
///   like an out-of-range index; data read from outside is checked where it is read).
public func meanSquaredError<Scalar>(
  _ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
  precondition(prediction.shape == target.shape,
               "meanSquaredError: prediction \(prediction.shape) and target \(target.shape) must have the same shape")
  // `try!`: the only failure is the shape mismatch ruled out above.
  return try! meanSquaredError(predicted: prediction, target: target, reduction: reduction)
}
