import BackpropCore
import BackpropIO
import Foundation

/// The shape of a `GPT`: vocabulary, context length, layers, heads, embedding width.
public struct GPTConfiguration: Sendable, Equatable, Codable {
  public var vocabularySize: Int
  /// The longest context (number of learned positions).
  public var blockSize: Int
  public var layers: Int
  public var heads: Int
  public var embedDimension: Int
  /// Whether the output head shares the token embedding's matrix (nanoGPT's default).
  public var tiedHead: Bool
  /// Whether an untied head has a bias `lm_head.bias` (PyTorch's `nn.Linear(E, V)`); a tied
  /// head never has one.
  public var headBias: Bool

  public init(vocabularySize: Int, blockSize: Int, layers: Int, heads: Int, embedDimension: Int, tiedHead: Bool = true,
              headBias: Bool = false) {
    (self.vocabularySize, self.blockSize, self.layers, self.heads, self.embedDimension, self.tiedHead) =
      (vocabularySize, blockSize, layers, heads, embedDimension, tiedHead)
    self.headBias = headBias && !tiedHead
  }
}

/// How a `GPT`'s weights start.
public enum GPTInitialization: String, Sendable, Codable, CaseIterable {
  /// nanoGPT's: embeddings and weights `N(0, 0.02²)`, the two output projections of each block
  /// `N(0, (0.02/√(2·layers))²)`, biases zero.
  case nanoGPT = "nanogpt"
  /// PyTorch's module defaults, as a GPT written with `nn.Embedding`, `nn.MultiheadAttention`
  /// and `nn.Linear` gets them: embeddings `N(0, 1)`; the packed q/k/v projection
  /// Xavier-uniform with zero bias; the attention output projection `U(±1/√E)` with zero bias;
  /// the MLP and the head `U(±1/√fan_in)` for weight and bias.
  case pytorch
}

/// A GPT-2-style decoder-only transformer (nanoGPT's `GPT`): token and learned position
/// embeddings, `layers` pre-norm `TransformerBlock`s, a final LayerNorm and a linear head to
/// vocabulary logits, optionally tied to the token embedding.
///
/// Parameter names are nanoGPT's, so its `state_dict` loads: `transformer.wte.weight`,
/// `transformer.wpe.weight`, `transformer.h.0.ln_1.weight`, `transformer.h.0.attn.c_attn.weight`,
/// …, `transformer.ln_f.{weight,bias}`, and `lm_head.weight` (and `lm_head.bias` if it has one)
/// only when the head is not tied.
public final class GPT<Scalar: TensorScalar>: Layer {
  public let configuration: GPTConfiguration
  /// `transformer.wte`.
  public let tokenEmbedding: Embedding<Scalar>
  /// `transformer.wpe`.
  public let positionEmbedding: Embedding<Scalar>
  /// `transformer.h`.
  public let blocks: [TransformerBlock<Scalar>]
  /// `transformer.ln_f`.
  public let finalNorm: LayerNorm<Scalar>
  /// `lm_head.weight` `[vocabulary, E]`: the token embedding's own tensor when tied.
  public let headWeight: Tensor<Scalar>
  /// `lm_head.bias` `[vocabulary]` when `configuration.headBias`.
  public let headBias: Tensor<Scalar>?
  public var isTraining = true

  /// A model initialised as `initialization` says (nanoGPT's by default), from the global generator.
  public init(_ c: GPTConfiguration, initialization: GPTInitialization = .nanoGPT) {
    require(c.vocabularySize > 0 && c.blockSize > 0 && c.layers > 0, "GPT", "needs positive sizes, got \(c)")
    configuration = c
    let embeddingStd = initialization == .nanoGPT ? 0.02 : 1
    tokenEmbedding = Embedding(c.vocabularySize, c.embedDimension, standardDeviation: embeddingStd)
    positionEmbedding = Embedding(c.blockSize, c.embedDimension, standardDeviation: embeddingStd)
    blocks = (0..<c.layers).map { _ in
      TransformerBlock(embedDimension: c.embedDimension, heads: c.heads, layers: c.layers, initialization: initialization)
    }
    finalNorm = LayerNorm([c.embedDimension])
    if c.tiedHead {
      (headWeight, headBias) = (tokenEmbedding.weight, nil)
    } else if initialization == .nanoGPT {
      headWeight = Tensor.randomNormal([c.vocabularySize, c.embedDimension], standardDeviation: 0.02, requiresGrad: true)
      headBias = c.headBias ? Tensor.zeros([c.vocabularySize], requiresGrad: true) : nil
    } else {
      let head = Linear<Scalar>(c.embedDimension, c.vocabularySize, bias: c.headBias)
      (headWeight, headBias) = (head.weight, head.bias)
    }
  }

  /// Logits `[batch, T, vocabulary]` for `tokens` (`batch` rows of `T` indices). With `cache`,
  /// `tokens` continue the cached prefix: positions start at `cache.length`, and the cache grows.
  public func logits(_ tokens: [[Int]], cache: KeyValueCache<Scalar>? = nil) -> Tensor<Scalar> {
    let b = tokens.count, t = tokens.first?.count ?? 0
    require(b > 0 && t > 0 && tokens.allSatisfy { $0.count == t }, "GPT", "tokens must be a non-empty rectangle, got \(tokens.map(\.count))")
    let start = cache?.length ?? 0
    require(start + t <= configuration.blockSize, "GPT",
            "context of \(start + t) positions is longer than the model's \(configuration.blockSize)")
    let positions = positionEmbedding(indices: Array(start..<start + t), shape: [1, t])
    var x = tokenEmbedding(indices: tokens.flatMap { $0 }, shape: [b, t]) + positions
    for (i, block) in blocks.enumerated() { x = block(x, cache: cache, layer: i) }
    return Tensor.linear(finalNorm(x), weight: headWeight, bias: headBias)
  }

  /// Logits for a `[batch, T]` tensor of integral token values.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    require(input.rank == 2, "GPT", "input must be [batch, T] token indices, got \(input.shape)")
    let t = input.shape[1]
    let ids = input.scalars.map { Int($0) }
    return logits((0..<input.shape[0]).map { Array(ids[$0 * t..<($0 + 1) * t]) })
  }

  /// Continues `prompt` by `count` tokens drawn from softmax(logits / temperature), reading
  /// each new token once through a key/value cache (the prefix is not recomputed). The model
  /// sees the last `blockSize` tokens, as nanoGPT's `generate`: once the context is full, each
  /// step recomputes that window (positions are learned, absolute). A token equal
  /// to `stopToken` ends the sample early (it is included). `temperature` 0 takes the argmax.
  public func sample(prompt: [Int], count: Int, temperature: Double = 1, stopToken: Int? = nil,
                     using generator: inout SeededGenerator) -> [Int] {
    require(!prompt.isEmpty, "GPT.sample", "the prompt needs at least one token")
    var tokens = prompt
    withoutGradient {
      var cache = KeyValueCache<Scalar>(layers: blocks.count)
      var window = Array(prompt.suffix(configuration.blockSize))
      var last = logits([window], cache: cache)
      for _ in 0..<count {
        let v = configuration.vocabularySize
        let row = last.scalars[(last.count - v)...].map { Double($0) }
        let next = Self.draw(row, temperature: temperature, using: &generator)
        tokens.append(next)
        if next == stopToken { break }
        if cache.length >= configuration.blockSize {
          // Learned absolute positions: a sliding window cannot reuse keys computed at other
          // positions, so past the context each step reads the last `blockSize` tokens afresh.
          cache = KeyValueCache(layers: blocks.count)
          window = Array(tokens.suffix(configuration.blockSize))
          last = logits([window], cache: cache)
        } else {
          last = logits([[next]], cache: cache)
        }
      }
    }
    return tokens
  }

  /// An index drawn from softmax(row / temperature) (argmax for temperature 0).
  static func draw(_ row: [Double], temperature: Double, using generator: inout SeededGenerator) -> Int {
    let top = row.indices.max { row[$0] < row[$1] }!
    guard temperature > 0 else { return top }
    let weights = row.map { Foundation.exp(($0 - row[top]) / temperature) }
    var u = Double.random(in: 0..<1, using: &generator) * weights.reduce(0, +)
    for (i, w) in weights.enumerated() { u -= w; if u < 0 { return i } }
    return row.count - 1
  }

  public var namedParameters: [(String, Tensor<Scalar>)] {
    var p: [(String, Tensor<Scalar>)] = [("transformer.wte.weight", tokenEmbedding.weight),
                                          ("transformer.wpe.weight", positionEmbedding.weight)]
    for (i, block) in blocks.enumerated() { p += block.namedParameters.map { ("transformer.h.\(i).\($0.0)", $0.1) } }
    p += finalNorm.namedParameters.map { ("transformer.ln_f.\($0.0)", $0.1) }
    if !configuration.tiedHead { p.append(("lm_head.weight", headWeight)) }
    if let headBias { p.append(("lm_head.bias", headBias)) }
    return p
  }
  public var summaryName: String {
    let c = configuration
    return "GPT(vocabulary \(c.vocabularySize), context \(c.blockSize), \(c.layers) layers, \(c.heads) heads, \(c.embedDimension) dims)"
  }
}
