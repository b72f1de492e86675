import BackpropCore

/// Rescales all gradients together so that their global L2 norm is at most `maxNorm`, as
/// PyTorch's `clip_grad_norm_`:
///
///     ‖g‖ = √(Σ_p Σ_i g_{p,i}²),   g ← g · min(1, maxNorm / (‖g‖ + 1e-6))
///
/// The direction of the update is kept; only its length is limited, which tames exploding
/// gradients. Parameters without a gradient are ignored.
/// - Returns: the total norm before clipping (worth logging).
@discardableResult
public func clipGradientNorm<Scalar: TensorScalar>(_ parameters: [Tensor<Scalar>], maxNorm: Double) -> Double {
  var sumOfSquares = 0.0
  for p in parameters {
    guard let g = p.grad else { continue }
    sumOfSquares += g.scalars.withUnsafeBufferPointer { BackpropOptim.sumOfSquares($0) }
  }
  let total = sumOfSquares.squareRoot()
  let coefficient = maxNorm / (total + 1e-6)
  if coefficient < 1 {
    let c = Scalar(coefficient)
    for p in parameters {
      guard let g = p.grad else { continue }
      g.update { values in values.withUnsafeMutableBufferPointer { scale($0, by: c) } }
    }
  }
  return total
}
