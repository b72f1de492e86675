import BackpropCore

/// A next-token model over a fixed vocabulary: given `(batch, T)` token ids it gives
/// `(batch, T, vocabularySize)` logits, position `t` predicting token `t + 1`.
///
/// Every architecture of `backprop lm` (bigram, transformer, LSTM, GRU) conforms, so the
/// trainer, checkpoints and sampling work the same for all of them.
public protocol LanguageModel<Scalar>: AnyObject {
  /// The element type of the parameters.
  associatedtype Scalar: TensorScalar
  /// The architecture's name as `--arch` spells it (`bigram`, `transformer`, …).
  var architecture: String { get }
  /// Tokens in the vocabulary (the logits' last dimension).
  var vocabularySize: Int { get }
  /// The longest input the model accepts (for a bigram model, any length; it reports the
  /// context it was trained with).
  var contextLength: Int { get }
  /// The logits `(batchSize, T, vocabularySize)` for `tokens`, row-major `(batchSize, T)`.
  func logits(_ tokens: [Int], batchSize: Int) -> Tensor<Scalar>
  /// The trainable tensors with PyTorch-style names, in a fixed order (the state dict).
  var namedParameters: [(String, Tensor<Scalar>)] { get }
  /// The trainable tensors, in the order of `namedParameters` (`Layer`'s, for models that are layers).
  var parameters: [Tensor<Scalar>] { get }
  /// The number of trainable scalars.
  var parameterCount: Int { get }
  /// Training or evaluation mode (dropout).
  var isTraining: Bool { get set }
  /// Continues `prompt` by up to `maxNewTokens` tokens drawn from `softmax(logits / temperature)`,
  /// stopping after `stopToken` when given; returns the new tokens only.
  ///
  /// The default recomputes the logits of the whole window per token; models with a key/value
  /// cache or a recurrent state provide their own.
  func sample(
    prompt: [Int], maxNewTokens: Int, temperature: Double, stopToken: Int?, using generator: inout SeededGenerator
  ) -> [Int]
}

extension LanguageModel {
  /// Windowed sampling: the last `contextLength` tokens in, one token out, repeated.
  public func sample(
    prompt: [Int], maxNewTokens: Int, temperature: Double, stopToken: Int?, using generator: inout SeededGenerator
  ) -> [Int] {
    require(!prompt.isEmpty && temperature > 0, "LanguageModel.sample", "needs a non-empty prompt and a positive temperature, got \(prompt.count) tokens and \(temperature)")
    var tokens = prompt
    var new: [Int] = []
    withoutGradient {
      for _ in 0..<maxNewTokens {
        let window = Array(tokens.suffix(contextLength))
        let logits = self.logits(window, batchSize: 1)
        let last = Array(logits.scalars.suffix(vocabularySize))
        let next = drawToken(logits: last, temperature: temperature, using: &generator)
        tokens.append(next)
        new.append(next)
        if next == stopToken { break }
      }
    }
    return new
  }
}

/// A token drawn from `softmax(logits / temperature)` (computed in Double, max subtracted).
public func drawToken<S: TensorScalar>(logits: [S], temperature: Double, using generator: inout SeededGenerator) -> Int {
  let z = logits.map { Double($0) / temperature }
  let m = z.max() ?? 0
  let weights = z.map { Foundation_exp($0 - m) }
  let total = weights.reduce(0, +)
  var u = Double.random(in: 0..<1, using: &generator) * total
  for (i, w) in weights.enumerated() {
    u -= w
    if u < 0 { return i }
  }
  return weights.count - 1
}

@inline(__always) private func Foundation_exp(_ x: Double) -> Double { x.isFinite ? .exp(x) : 0 }

/// Mean cross-entropy of `logits` `(batch, T, V)` against `targets` (row-major `(batch, T)`),
/// over the positions whose target is not `ignored` (padding), as PyTorch's
/// `F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-1)`.
///
/// Built from `gatheringRows` (keeps the scored positions) and the fused
/// `softmaxCrossEntropy`, so its gradient is theirs: `(softmax − onehot) / n` on the kept rows,
/// zero on the ignored ones.
public func languageModelLoss<Scalar>(
  logits: Tensor<Scalar>, targets: [Int], ignored: Int = -1, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
  require(logits.rank == 3 && logits.shape[0] * logits.shape[1] == targets.count, "languageModelLoss",
          "needs logits (batch, T, V) and batch·T targets, got \(logits.shape) and \(targets.count)")
  let v = logits.shape[2]
  let kept = targets.indices.filter { targets[$0] != ignored }
  require(!kept.isEmpty, "languageModelLoss", "every target is ignored")
  let rows = logits.reshaped(to: [targets.count, v])
  let scored = kept.count == targets.count ? rows : rows.gatheringRows(kept)
  return softmaxCrossEntropy(logits: scored, labels: kept.map { targets[$0] }, reduction: reduction)
}
