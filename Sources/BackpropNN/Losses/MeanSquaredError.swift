/// How a loss combines the per-sample (or per-element) terms.
public enum LossReduction: Sendable, Equatable {
  /// The average (PyTorch's default, `reduction='mean'`).
  case mean
  /// The sum.
  case sum
}

/// Mean squared error of `prediction` against `target`, PyTorch's `F.mse_loss(input, target)`:
/// `L = (1/n) Σᵢ (ŷᵢ − yᵢ)²` over all `n` elements (or the sum, with `reduction: .sum`).
///
/// Gradient: `∂L/∂ŷ = 2(ŷ − y)/n`. Shapes that differ are a programming error (like an
/// out-of-range index) and stop with both shapes; data read from outside is checked where it is read.
public func meanSquaredError<Scalar>(
  _ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
  require(prediction.shape == target.shape, "meanSquaredError",
          "prediction \(prediction.shape) and target \(target.shape) must have the same shape")
  let squares = (prediction - target).squared()
  return reduction == .mean ? squares.mean() : squares.sum()
}

/// `meanSquaredError(_:_:reduction:)` with labels, as the rest of the loss functions read.
public func meanSquaredError<Scalar>(
  predicted: Tensor<Scalar>, target: Tensor<Scalar>, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
  meanSquaredError(predicted, target, reduction: reduction)
}
