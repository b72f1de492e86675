// Normalisation layers (PyTorch's nn.BatchNorm1d/2d, nn.LayerNorm, nn.GroupNorm). Batch norm
// keeps the buffers `running_mean`, `running_var` and `num_batches_tracked` (PyTorch's names),
// updated in training mode and used in evaluation mode.

/// Batch normalisation with running statistics; `BatchNorm1d` and `BatchNorm2d` differ only in
/// the input ranks they accept.
public class BatchNormLayer<Scalar: TensorScalar>: Layer {
  /// γ, ones at first (or `nil` without `affine`).
  public let weight: Tensor<Scalar>?
  /// β, zeros at first.
  public let bias: Tensor<Scalar>?
  /// The running mean, zeros at first (a buffer: saved, not trained).
  public private(set) var runningMean: Tensor<Scalar>
  /// The running (unbiased) variance, ones at first.
  public private(set) var runningVariance: Tensor<Scalar>
  /// The number of training batches seen (PyTorch's `num_batches_tracked`).
  public private(set) var batchesTracked = 0
  public let momentum: Double
  public let eps: Double
  public var isTraining = true
  let ranks: Set<Int>
  let kind: String

  init(kind: String, ranks: Set<Int>, features: Int, eps: Double, momentum: Double, affine: Bool) {
    require(features > 0, "\(kind) needs a positive number of features, got \(features)")
    (self.kind, self.ranks, self.eps, self.momentum) = (kind, ranks, eps, momentum)
    weight = affine ? Tensor(repeating: 1, shape: [features], requiresGrad: true) : nil
    bias = affine ? Tensor(repeating: 0, shape: [features], requiresGrad: true) : nil
    runningMean = .zeros([features])
    runningVariance = Tensor(repeating: 1, shape: [features])
  }

  /// Normalises with the batch's statistics and updates the running ones (training), or with
  /// the running statistics (evaluation).
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    require(ranks.contains(input.rank) && input.shape[1] == runningMean.count,
                 "\(summaryName): input of shape \(input.shape) must have rank \(ranks.sorted()) and \(runningMean.count) channels")
    let result = Tensor.batchNorm(input, runningMean: runningMean, runningVariance: runningVariance, weight: weight, bias: bias,
                                  training: isTraining, momentum: Scalar(momentum), eps: Scalar(eps))
    if isTraining {
      runningMean = result.runningMean!
      runningVariance = result.runningVariance!
      batchesTracked += 1
    }
    return result.output
  }

  public var namedParameters: [(String, Tensor<Scalar>)] {
    (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `running_mean`, `running_var`, `num_batches_tracked` (PyTorch's `state_dict` names).
  public var namedBuffers: [(String, Tensor<Scalar>)] {
    [("running_mean", runningMean), ("running_var", runningVariance), ("num_batches_tracked", Tensor(Scalar(batchesTracked)))]
  }

  /// Replaces the buffers with `buffers`' values (from a checkpoint).
  /// - Throws: `TensorError.shapeMismatch` when a buffer has the wrong shape.
  public func loadBuffers(_ buffers: [String: Tensor<Scalar>]) throws {
    for (name, t) in buffers {
      switch name {
      case "running_mean", "running_var":
        guard t.shape == runningMean.shape else {
          throw TensorError.shapeMismatch(op: kind, lhs: runningMean.shape, rhs: t.shape, reason: "buffer '\(name)'")
        }
        if name == "running_mean" { runningMean = t.detached() } else { runningVariance = t.detached() }
      case "num_batches_tracked": batchesTracked = Int(t.scalars.first.map { Double($0) } ?? 0)
      default: continue
      }
    }
  }

  public var summaryName: String { "\(kind)(\(runningMean.count))" }
  /// `.batchNorm(…)` (affine layers only: the spec implies `weight` and `bias`).
  public var spec: LayerSpec? {
    weight == nil ? nil : .batchNorm(features: runningMean.count, rank: kind == "BatchNorm1d" ? 1 : 2, eps: eps, momentum: momentum)
  }
}

/// Batch normalisation of (N, C) or (N, C, L) (PyTorch's `nn.BatchNorm1d`).
public final class BatchNorm1d<Scalar: TensorScalar>: BatchNormLayer<Scalar> {
  public init(_ features: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true) {
    super.init(kind: "BatchNorm1d", ranks: [2, 3], features: features, eps: eps, momentum: momentum, affine: affine)
  }
}

/// Batch normalisation of (N, C, H, W) (PyTorch's `nn.BatchNorm2d`).
public final class BatchNorm2d<Scalar: TensorScalar>: BatchNormLayer<Scalar> {
  public init(_ features: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true) {
    super.init(kind: "BatchNorm2d", ranks: [4], features: features, eps: eps, momentum: momentum, affine: affine)
  }
}

/// Layer normalisation over the last axes (PyTorch's `nn.LayerNorm`): `weight` ones and `bias`
/// zeros of `normalizedShape`.
public final class LayerNorm<Scalar: TensorScalar>: Layer {
  public let normalizedShape: [Int]
  public let weight: Tensor<Scalar>?
  public let bias: Tensor<Scalar>?
  public let eps: Double
  public var isTraining = true

  public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true) {
    require(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 }, "LayerNorm(\(normalizedShape)) needs positive sizes")
    (self.normalizedShape, self.eps) = (normalizedShape, eps)
    weight = elementwiseAffine ? Tensor(repeating: 1, shape: normalizedShape, requiresGrad: true) : nil
    bias = elementwiseAffine ? Tensor(repeating: 0, shape: normalizedShape, requiresGrad: true) : nil
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.layerNorm(normalizedShape: normalizedShape, weight: weight, bias: bias, eps: Scalar(eps))
  }
  public var namedParameters: [(String, Tensor<Scalar>)] {
    (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
  }
  public var summaryName: String { "LayerNorm(\(normalizedShape))" }
  public var spec: LayerSpec? { weight == nil ? nil : .layerNorm(shape: normalizedShape, eps: eps) }
}

/// Group normalisation (PyTorch's `nn.GroupNorm(numGroups, numChannels)`).
public final class GroupNorm<Scalar: TensorScalar>: Layer {
  public let groups: Int
  public let weight: Tensor<Scalar>?
  public let bias: Tensor<Scalar>?
  public let eps: Double
  public var isTraining = true

  public init(_ groups: Int, _ channels: Int, eps: Double = 1e-5, affine: Bool = true) {
    require(groups > 0 && channels % groups == 0, "GroupNorm(\(groups), \(channels)): groups must divide the channels")
    (self.groups, self.eps) = (groups, eps)
    weight = affine ? Tensor(repeating: 1, shape: [channels], requiresGrad: true) : nil
    bias = affine ? Tensor(repeating: 0, shape: [channels], requiresGrad: true) : nil
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.groupNorm(groups: groups, weight: weight, bias: bias, eps: Scalar(eps))
  }
  public var namedParameters: [(String, Tensor<Scalar>)] {
    (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
  }
  public var summaryName: String { "GroupNorm(\(groups), \(weight?.count ?? 0))" }
  public var spec: LayerSpec? { weight.map { .groupNorm(groups: groups, channels: $0.count, eps: eps) } }
}
