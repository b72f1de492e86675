import BackpropCore

/// The transformer of `backprop lm --arch transformer`: a `GPT` (pre-norm blocks, learned
/// positions, head tied to the token embedding) read as a `LanguageModel`; sampling uses its
/// key/value cache.
extension GPT: LanguageModel {
  /// `transformer`.
  public var architecture: String { "transformer" }
  /// The token embedding's rows.
  public var vocabularySize: Int { configuration.vocabularySize }
  /// The block size (learned positions).
  public var contextLength: Int { configuration.blockSize }

  /// `(batchSize, T, V)` logits for row-major `tokens`.
  public func logits(_ tokens: [Int], batchSize: Int) -> Tensor<Scalar> {
    require(batchSize > 0 && tokens.count % batchSize == 0, "GPT", "\(tokens.count) tokens do not split into \(batchSize) rows")
    let t = tokens.count / batchSize
    return logits((0..<batchSize).map { Array(tokens[$0 * t..<($0 + 1) * t]) })
  }

  /// The new tokens of `GPT.sample` (key/value cache; the prefix is read once).
  public func sample(
    prompt: [Int], maxNewTokens: Int, temperature: Double, stopToken: Int?, using generator: inout SeededGenerator
  ) -> [Int] {
    Array(sample(prompt: prompt, count: maxNewTokens, temperature: temperature, stopToken: stopToken, using: &generator)
      .dropFirst(prompt.count))
  }
}

/// A recurrent character model: token embedding → `LSTM` or `GRU` → linear head, as makemore's
/// RNN. The recurrent stack runs time-major (`batchFirst == false`): the embedding gathers the
/// rows in time-major order and only the `V`-wide logits are permuted back to `(batch, T, V)`,
/// instead of permuting the `E`-wide input and `H`-wide output of the stack. Parameter names: `embedding.weight`, `rnn.<PyTorch names>`, `head.weight`,
/// `head.bias`.
public final class RecurrentLanguageModel<Scalar: TensorScalar>: LanguageModel {
  /// `lstm` or `gru`.
  public let architecture: String
  /// Token embedding `(V, E)`.
  public let embedding: Embedding<Scalar>
  /// The recurrent stack.
  public let rnn: any Layer<Scalar>
  /// Output head `(V, H)`.
  public let head: Linear<Scalar>
  /// The training context (a recurrent model reads any length).
  public let contextLength: Int
  /// Training mode.
  public var isTraining = true
  /// `V`.
  public var vocabularySize: Int { embedding.vocabularySize }

  /// A new model; `architecture` is `lstm` or `gru`. Weights come from `generator` (head) and the
  /// global generator (embedding, recurrent layers), which the caller seeds.
  public init(architecture: String, vocabularySize: Int, embedding e: Int, hidden h: Int, layers: Int, contextLength: Int,
              using generator: inout SeededGenerator) {
    require(architecture == "lstm" || architecture == "gru", "RecurrentLanguageModel", "architecture must be lstm or gru, got \(architecture)")
    self.architecture = architecture
    embedding = Embedding(vocabularySize, e)
    rnn = architecture == "lstm" ? LSTM<Scalar>(inputSize: e, hiddenSize: h, numLayers: layers, batchFirst: false)
      : GRU<Scalar>(inputSize: e, hiddenSize: h, numLayers: layers, batchFirst: false)
    head = Linear(h, vocabularySize, using: &generator)
    self.contextLength = contextLength
  }

  /// `(batchSize, T, V)` logits.
  public func logits(_ tokens: [Int], batchSize: Int) -> Tensor<Scalar> {
    require(batchSize > 0 && tokens.count % batchSize == 0, "RecurrentLanguageModel", "\(tokens.count) tokens do not split into \(batchSize) rows")
    let steps = tokens.count / batchSize
    // Row t·B + b of the time-major input is token b·T + t.
    let timeMajor = (0..<tokens.count).map { tokens[($0 % batchSize) * steps + $0 / batchSize] }
    let x = embedding(indices: timeMajor, shape: [steps, batchSize])
    return head(rnn(x)).permuted([1, 0, 2])
  }

  /// Continues `prompt` one token at a time, carrying the recurrent state: the prompt is read
  /// once, then each new token is one step of the cells (no window is recomputed, as makemore's
  /// RNN sampling). While prompt and new tokens fit in `contextLength` this draws the same
  /// tokens as the windowed default; past it, the state keeps the whole history instead of the
  /// last `contextLength` tokens.
  public func sample(
    prompt: [Int], maxNewTokens: Int, temperature: Double, stopToken: Int?, using generator: inout SeededGenerator
  ) -> [Int] {
    require(!prompt.isEmpty && temperature > 0, "RecurrentLanguageModel.sample",
            "needs a non-empty prompt and a positive temperature, got \(prompt.count) tokens and \(temperature)")
    var new: [Int] = []
    withoutGradient {
      var state: [Tensor<Scalar>]? = nil
      var input = prompt
      for _ in 0..<maxNewTokens {
        let (logits, next) = step(input, state: state)
        state = next
        let token = drawToken(logits: Array(logits.scalars.suffix(vocabularySize)), temperature: temperature, using: &generator)
        new.append(token)
        if token == stopToken { break }
        input = [token]
      }
    }
    return new
  }

  /// Logits `(1, T, V)` of `tokens` read from `state` (the recurrent layer's `h`, or `h` and `c`;
  /// zeros when `nil`), and the state after them.
  public func step(_ tokens: [Int], state: [Tensor<Scalar>]?) -> (logits: Tensor<Scalar>, state: [Tensor<Scalar>]) {
    // One row: time-major [T, 1, E] and batch-first [1, T, …] are the same memory.
    let x = embedding(indices: tokens, shape: [tokens.count, 1])
    let logits = { (output: Tensor<Scalar>) in self.head(output).reshaped(to: [1, tokens.count, self.vocabularySize]) }
    if let lstm = rnn as? LSTM<Scalar> {
      require(state == nil || state!.count == 2, "RecurrentLanguageModel.step", "an LSTM state is (h, c), got \(state!.count) tensors")
      let r = lstm(x, state: state.map { ($0[0], $0[1]) })
      return (logits(r.output), [r.state.h, r.state.c])
    }
    guard let gru = rnn as? GRU<Scalar> else { opFailure("RecurrentLanguageModel.step", "the recurrent layer is neither LSTM nor GRU") }
    require(state == nil || state!.count == 1, "RecurrentLanguageModel.step", "a GRU state is (h), got \(state!.count) tensors")
    let r = gru(x, state: state?[0])
    return (logits(r.output), [r.state])
  }

  /// `embedding.*`, `rnn.*`, `head.*`.
  public var namedParameters: [(String, Tensor<Scalar>)] {
    embedding.namedParameters.map { ("embedding.\($0.0)", $0.1) } + rnn.namedParameters.map { ("rnn.\($0.0)", $0.1) }
      + head.namedParameters.map { ("head.\($0.0)", $0.1) }
  }
  /// The trainable tensors, in the order of `namedParameters`.
  public var parameters: [Tensor<Scalar>] { namedParameters.map(\.1) }
  /// The number of trainable scalars.
  public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.1.count } }
}
