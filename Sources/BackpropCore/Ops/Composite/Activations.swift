import RealModule

extension Tensor {
  /// max(x, slope·x): `relu(x) − slope·relu(−x)`.
  public func leakyRelu(slope: Scalar = 0.01) -> Tensor {
    must { try relu() - (-self).relu() * slope }
  }

  /// Gaussian error linear unit, x·Φ(x) = ½x(1 + erf(x/√2)) (PyTorch's exact `GELU`).
  public func gelu() -> Tensor {
    must { try self * ((self * Scalar(1 / 2.0.squareRoot())).erf() + 1) * Scalar(0.5) }
  }

  /// Elementwise error function.
  ///
  /// VJP: `∂L/∂x = g ⊙ (2/√π)·e^(−x²)`. JVP: `ẏ = ẋ ⊙ (2/√π)·e^(−x²)`.
  public func erf() -> Tensor {
    let c = Scalar(2 / Double.pi.squareRoot())
    return Tensor.record("erf", shape: shape, scalars: scalars.map { Scalar.erf($0) }, inputs: [self],
      formula: "g ⊙ 2/√π·exp(−x²)",
      pullback: { g, ctx in [must { try g * (-(ctx.inputs[0].squared())).exp() * c }] },
      pushforward: { t, ctx in must { try t[0]! * (-(ctx.inputs[0].squared())).exp() * c } })
  }
}
