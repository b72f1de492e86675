// Batch, layer and group normalisation: the `normalize` op (one kernel, its own VJP and JVP) for
// the statistics of the input, then the affine γ, β; evaluation-mode batch norm uses the running
// statistics as constants.

/// What `batchNorm` returns: the normalised output and, in training, the running statistics
/// after this batch's update (detached constants, to store in the layer's buffers).
public struct BatchNormResult<Scalar: TensorScalar> {
  /// The normalised (and scaled, shifted) input.
  public var output: Tensor<Scalar>
  /// `(1 − momentum)·runningMean + momentum·batchMean` in training; the running mean in evaluation.
  public var runningMean: Tensor<Scalar>?
  /// `(1 − momentum)·runningVariance + momentum·unbiasedBatchVariance` in training.
  public var runningVariance: Tensor<Scalar>?
}

extension Tensor {
  /// Batch normalisation of (N, C, …) over every axis but the channels — PyTorch's `F.batch_norm`.
  ///
  /// Training: `y = (x − μ_B) / √(σ²_B + ε) · γ + β` with the batch mean and *biased* variance
  /// (gradients flow through both), and the running statistics updated with `momentum` and the
  /// *unbiased* variance (returned, not written in place). Evaluation: the running statistics
  /// are used instead (constants). `weight` γ and `bias` β have shape (C).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func batchNorm(_ x: Tensor, runningMean: Tensor?, runningVariance: Tensor?, weight: Tensor? = nil,
                               bias: Tensor? = nil, training: Bool, momentum: Scalar = 0.1,
                               eps: Scalar = 1e-5) -> BatchNormResult<Scalar> {
    require(x.rank >= 2, "batchNorm", "the input has shape \(x.shape); it must be (N, C, …)")
    let channels = x.shape[1]
    let statShape = [1, channels] + [Int](repeating: 1, count: x.rank - 2)
    for (name, t) in [("runningMean", runningMean), ("runningVariance", runningVariance), ("weight", weight), ("bias", bias)] {
      if let t { require(t.shape == [channels], "batchNorm", "\(name) has shape \(t.shape); it must be [\(channels)]") }
    }
    var result = BatchNormResult<Scalar>(output: x, runningMean: runningMean, runningVariance: runningVariance)
    var y: Tensor
    if training || runningMean == nil || runningVariance == nil {
      let count = x.count / Swift.max(channels, 1)
      require(count > 1 || !training, "batchNorm",
              "training needs more than one value per channel (input \(x.shape))")
      var op = Normalize(kept: 1..<2, eps: Double(eps))
      if training {
        // One pass over x for the moments serves both the output and the running statistics.
        let (means, variances) = op.moments(x)
        op.statistics = (means, variances)
        let m = momentum, correction = Scalar(count) / Scalar(count - 1)
        let batchMean = Tensor(shape: [channels], scalars: means.map { Scalar($0) })
        let unbiased = Tensor(shape: [channels], scalars: variances.map { Scalar($0) * correction })
        if let runningMean { result.runningMean = (runningMean.detached() * (1 - m) + batchMean * m).detached() }
        if let runningVariance { result.runningVariance = (runningVariance.detached() * (1 - m) + unbiased * m).detached() }
      }
      y = .apply(op, to: [x])
    } else {
      let mean = runningMean!.detached().reshaped(to: statShape)
      let variance = runningVariance!.detached().reshaped(to: statShape)
      y = (x - mean) / (variance + eps).sqrt()
    }
    if let weight { y = y * weight.reshaped(to: statShape) }
    if let bias { y = y + bias.reshaped(to: statShape) }
    result.output = y
    return result
  }

  /// Layer normalisation over the last `normalizedShape.count` axes — PyTorch's `F.layer_norm`:
  /// `(x − μ) / √(σ² + ε) · γ + β` with the mean and biased variance of those axes; `weight` γ and
  /// `bias` β have shape `normalizedShape`. With both γ and β it is one op (`LayerNormOp`: one
  /// kernel forward, one for a first-order backward); otherwise `normalized` and the affine ops.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func layerNorm(normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Scalar = 1e-5) -> Tensor {
    let k = normalizedShape.count
    require(k >= 1 && k <= rank && Array(shape.suffix(k)) == normalizedShape, "layerNorm",
            "the input's shape \(shape) does not end in the normalised shape \(normalizedShape)")
    for (name, t) in [("weight", weight), ("bias", bias)] {
      if let t { require(t.shape == normalizedShape, "layerNorm", "\(name) has shape \(t.shape); it must be \(normalizedShape)") }
    }
    if let weight, let bias {
      return .apply(LayerNormOp(rowSize: normalizedShape.reduce(1, *), eps: Double(eps)), to: [self, weight, bias])
    }
    var y = normalized(keepingAxes: 0..<(rank - k), eps: eps)
    if let weight { y = y * weight }
    if let bias { y = y + bias }
    return y
  }

  /// Group normalisation of (N, C, …) — PyTorch's `F.group_norm`: the channels split into
  /// `groups` groups, each normalised over its channels and positions; `weight` and `bias` (C).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func groupNorm(groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Scalar = 1e-5) -> Tensor {
    require(rank >= 2 && groups >= 1 && shape[1] % groups == 0, "groupNorm",
            "groups \(groups) must divide the channels of the input \(shape) (N, C, …)")
    let channels = shape[1]
    for (name, t) in [("weight", weight), ("bias", bias)] {
      if let t { require(t.shape == [channels], "groupNorm", "\(name) has shape \(t.shape); it must be [\(channels)]") }
    }
    var y = reshaped(to: [shape[0], groups, -1]).normalized(keepingAxes: 0..<2, eps: eps).reshaped(to: shape)
    let statShape = [1, channels] + [Int](repeating: 1, count: rank - 2)
    if let weight { y = y * weight.reshaped(to: statShape) }
    if let bias { y = y + bias.reshaped(to: statShape) }
    return y
  }
}
