// Composite ops: built from primitives, so their derivatives (of any order) come for free.

extension Tensor {
  /// log Σ exp(x) along `axes`, computed stably as `m + log Σ exp(x − m)` with m = max(x)
  /// (m is held constant: the result does not depend on it, so neither does the gradient).
  ///
  /// Gradient: `∂/∂x = softmax(x)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func logSumExp(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    let axes = reductionAxes(axes, op: "logSumExp")
    let m = max(alongAxes: axes, keepingDims: true).detached()
    let lse = (self - m).exp().sum(alongAxes: axes, keepingDims: true).log() + m
    return keepingDims ? lse : lse.squeezingShape(at: axes)
  }

  /// log Σ exp(x) along one axis.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func logSumExp(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor {
    logSumExp(alongAxes: [axis], keepingDims: keepingDims)
  }

  /// softmax(x)ᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x) along `axis` (default: the last).
  ///
  /// Jacobian: `diag(s) − s sᵀ`; its VJP is `s ⊙ (g − Σ g ⊙ s)`, found here by the chain rule.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func softmax(alongAxis axis: Int = -1) -> Tensor {
    _ = Shape.normalize(axis: axis, rank: rank, op: "softmax")
    let m = max(alongAxes: [axis], keepingDims: true).detached()
    let e = (self - m).exp()
    return e / e.sum(alongAxes: [axis], keepingDims: true)
  }

  /// log softmax(x) = x − logSumExp(x) along `axis`, stable for large logits.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
    _ = Shape.normalize(axis: axis, rank: rank, op: "logSoftmax")
    return self - logSumExp(alongAxes: [axis], keepingDims: true)
  }
}
