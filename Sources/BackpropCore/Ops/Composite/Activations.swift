import RealModule

extension Tensor {
  /// max(x, slope·x): `relu(x) − slope·relu(−x)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func leakyRelu(slope: Scalar = 0.01) -> Tensor {
    relu() - (-self).relu() * slope
  }
}

/// Which formula `gelu(approximate:)` uses (PyTorch's `approximate='none' | 'tanh'`).
public enum GELUApproximation: String, Sendable {
  /// x·Φ(x) with the error function.
  case none
  /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
  case tanh
}

extension Tensor {
  /// GELU, exact (`.none`, the default) or with PyTorch's tanh approximation
  /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))). Composite: its VJP comes from tanh, pow and multiply.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func gelu(approximate: GELUApproximation) -> Tensor {
    guard approximate == .tanh else { return gelu() }
    let inner = (self + self.pow(3) * Scalar(0.044715)) * Scalar((2 / Double.pi).squareRoot())
    return self * (inner.tanh() + 1) * Scalar(0.5)
  }

  /// SiLU (swish), x·σ(x). VJP: `g ⊙ σ(x)(1 + x(1 − σ(x)))` (from the product and sigmoid rules).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func silu() -> Tensor { self * sigmoid() }

  /// ELU, x for x > 0 and α(eˣ − 1) otherwise (PyTorch's `ELU`), as `relu(x) + α(e^(min(x, 0)) − 1)`:
  /// the exponential only ever sees x ≤ 0, so it cannot overflow. VJP: `g ⊙ (1 if x > 0 else αeˣ)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func elu(alpha: Scalar = 1) -> Tensor {
    relu() + ((-(-self).relu()).exp() - 1) * alpha
  }
}
