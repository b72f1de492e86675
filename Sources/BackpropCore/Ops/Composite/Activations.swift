import RealModule

extension Tensor {
  /// max(x, slope·x): `relu(x) − slope·relu(−x)`.
  public func leakyRelu(slope: Scalar = 0.01) -> Tensor {
    relu() - (-self).relu() * slope
  }

  /// Gaussian error linear unit, x·Φ(x) = ½x(1 + erf(x/√2)) (PyTorch's exact `GELU`).
  public func gelu() -> Tensor {
    self * ((self * Scalar(1 / 2.0.squareRoot())).erf() + 1) * Scalar(0.5)
  }
}
