import Foundation

extension LayerSpec {
  /// The per-sample output shape (no batch axis) of a layer of this spec for a per-sample input
  /// of shape `input`: the one place that follows shapes through specs (used by
  /// `Sequential.checkInput(shape:)` and `ArchitectureGrammar`).
  ///
  /// Convolution and pooling: `out = ⌊(in + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1`.
  /// - Throws: `TensorError.shapeMismatch` naming the layer and the shapes when the input does not fit.
  public func outputShape(for input: [Int]) throws -> [Int] {
    func mismatch(_ expected: [Int], _ why: String) -> TensorError {
      .shapeMismatch(op: description, lhs: input, rhs: expected, reason: why)
    }
    func spatial(_ k: Size2D, _ s: Size2D, _ p: Size2D, _ d: Size2D) throws -> (Int, Int) {
      guard input.count == 3 else { throw mismatch([], "\(description) takes [channels, height, width], got \(input)") }
      let h = (input[1] + 2 * p.height - d.height * (k.height - 1) - 1) / s.height + 1
      let w = (input[2] + 2 * p.width - d.width * (k.width - 1) - 1) / s.width + 1
      guard input[1] + 2 * p.height >= d.height * (k.height - 1) + 1, input[2] + 2 * p.width >= d.width * (k.width - 1) + 1,
            h > 0, w > 0 else {
        throw mismatch([], "\(description): kernel \(sizeText(k)) is larger than the padded input \(input[1] + 2 * p.height)x\(input[2] + 2 * p.width) (input \(input))")
      }
      return (h, w)
    }
    switch self {
    case let .linear(i, o, _):
      guard input.last == i else { throw mismatch([o, i], "\(description) takes \(i) features but gets shape \(input)") }
      return input.dropLast() + [o]
    case .flatten: return [input.reduce(1, *)]
    case let .conv2d(c):
      guard input.count == 3, input[0] == c.inChannels else {
        throw mismatch([c.inChannels, -1, -1], "\(description) takes \(c.inChannels) channels as [channels, height, width], got \(input)")
      }
      switch c.padding {
      case .same: return [c.outChannels, input[1], input[2]]
      case let .explicit(p):
        let (h, w) = try spatial(c.kernel, c.stride, p, c.dilation)
        return [c.outChannels, h, w]
      }
    case let .maxPool2d(k, s, p), let .avgPool2d(k, s, p, _):
      let (h, w) = try spatial(k, s, p, 1)
      return [input[0], h, w]
    case let .adaptiveAvgPool2d(size):
      guard input.count == 3 else { throw mismatch([], "\(description) takes [channels, height, width], got \(input)") }
      return [input[0], size.height, size.width]
    case let .batchNorm(f, rank, _, _):
      guard input.count == (rank == 1 ? 1 : 3), input[0] == f else {
        throw mismatch([f], "\(description) takes \(rank == 1 ? "[\(f)]" : "[\(f), height, width]"), got \(input)")
      }
      return input
    case let .layerNorm(shape, _):
      guard input.count >= shape.count, Array(input.suffix(shape.count)) == shape else {
        throw mismatch(shape, "\(description) normalises the last axes \(shape), got \(input)")
      }
      return input
    case let .groupNorm(_, c, _):
      guard input.first == c else { throw mismatch([c], "\(description) takes \(c) channels, got \(input)") }
      return input
    case .relu, .leakyRelu, .sigmoid, .tanh, .gelu, .softmax, .dropout, .silu, .elu, .dropout2d:
      return input
    }
  }
}
