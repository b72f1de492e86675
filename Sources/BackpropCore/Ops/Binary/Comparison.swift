// Comparisons return 1 where the relation holds and 0 elsewhere. They are not differentiable:
// the results are constants (leaves) even when the inputs require gradients.

extension Tensor {
  /// 1 where a > b (broadcasting), else 0.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func greater(_ b: Tensor) -> Tensor { Tensor.constant(.greater, self, b, op: "greater") }
  /// 1 where a ≥ b, else 0.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func greaterEqual(_ b: Tensor) -> Tensor { Tensor.constant(.greaterEqual, self, b, op: "greaterEqual") }
  /// 1 where a < b, else 0.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func less(_ b: Tensor) -> Tensor { Tensor.constant(.less, self, b, op: "less") }
  /// 1 where a ≤ b, else 0.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func lessEqual(_ b: Tensor) -> Tensor { Tensor.constant(.lessEqual, self, b, op: "lessEqual") }
  /// 1 where a == b, else 0.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func equal(_ b: Tensor) -> Tensor { Tensor.constant(.equal, self, b, op: "equal") }
  /// 1 where a ≠ b, else 0.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func notEqual(_ b: Tensor) -> Tensor { Tensor.constant(.notEqual, self, b, op: "notEqual") }
}
