import BackpropCore
import BackpropNN
import Testing
import _BackpropTestSupport

/// `RecurrentLanguageModel.sample` carries the LSTM/GRU state (one cell step per new token)
/// and agrees with sampling by recomputing the window.
@Suite struct RecurrentSamplingTests {
  static let vocabulary = 7, context = 12

  static func model(_ architecture: String) -> RecurrentLanguageModel<Double> {
    Random.seed(11)
    var generator = SeededGenerator(seed: 11)
    let model = RecurrentLanguageModel<Double>(architecture: architecture, vocabularySize: vocabulary, embedding: 5, hidden: 6,
                                               layers: 2, contextLength: context, using: &generator)
    // Larger recurrent and head weights than the initialisation's, so that the state changes
    // the draws: a sampler that dropped the state would then draw other tokens.
    for (name, p) in model.rnn.namedParameters + model.head.namedParameters where name.hasPrefix("weight") {
      p.update { s in for i in s.indices { s[i] *= 5 } }
    }
    return model
  }

  /// The logits of a sequence read step by step (prompt, then one token at a time, state
  /// carried) equal those of the whole sequence read at once.
  @Test(arguments: ["lstm", "gru"])
  func stepwiseLogitsEqualTheWholeSequences(_ architecture: String) {
    let model = Self.model(architecture)
    let tokens = [0, 3, 1, 6, 2, 2, 5, 4]
    let full = model.logits(tokens, batchSize: 1)
    var (first, state) = model.step(Array(tokens.prefix(3)), state: nil)
    var pieces = [first]
    for t in tokens.dropFirst(3) {
      (first, state) = model.step([t], state: state)
      pieces.append(first)
    }
    #expect(state.count == (architecture == "lstm" ? 2 : 1))
    expectClose(Tensor.concatenated(pieces, alongAxis: 1), full, .sameMathsDifferentOrder, "\(architecture): stepwise vs whole")
  }

  /// A batch's logits `(B, T, V)` are each row's own logits: the model runs time-major inside
  /// (tokens gathered in time-major order, logits permuted back), which must not mix rows.
  @Test(arguments: ["lstm", "gru"])
  func batchedLogitsAreEachRowsLogits(_ architecture: String) {
    let model = Self.model(architecture)
    let rows = [[0, 3, 1, 6, 2], [5, 4, 4, 1, 0], [2, 6, 3, 3, 1]]
    let batched = model.logits(rows.flatMap { $0 }, batchSize: rows.count)
    #expect(batched.shape == [3, 5, Self.vocabulary])
    let separate = Tensor.concatenated(rows.map { model.logits($0, batchSize: 1) }, alongAxis: 0)
    expectClose(batched, separate, .sameMathsDifferentOrder, "\(architecture): batch of 3 vs rows one by one")
  }

  /// With a fixed seed, the stateful sampler draws the same tokens as recomputing the logits of
  /// the whole prefix for every token (prompt + new tokens within the context).
  @Test(arguments: ["lstm", "gru"])
  func statefulSamplingEqualsSamplingByRecomputation(_ architecture: String) {
    let model = Self.model(architecture)
    var g1 = SeededGenerator(seed: 5), g2 = SeededGenerator(seed: 5)
    let prompt = [0, 3], count = Self.context - prompt.count
    let sampled = model.sample(prompt: prompt, maxNewTokens: count, temperature: 1.3, stopToken: nil, using: &g1)
    var tokens = prompt
    for _ in 0..<count {
      let row = Array(model.logits(tokens, batchSize: 1).scalars.suffix(Self.vocabulary))
      tokens.append(drawToken(logits: row, temperature: 1.3, using: &g2))
    }
    #expect(sampled.count == count)
    #expect(sampled == Array(tokens.dropFirst(prompt.count)), "\(architecture)")
    #expect(Set(sampled).count > 2, "the draws vary (\(sampled)), so equal sequences mean equal distributions")
  }

  /// A stop token ends the sample and is its last token.
  @Test func samplingStopsAtTheStopToken() {
    let model = Self.model("lstm")
    var g = SeededGenerator(seed: 2)
    let sampled = model.sample(prompt: [0], maxNewTokens: 200, temperature: 1, stopToken: 0, using: &g)
    #expect(sampled.last == 0 || sampled.count == 200)
    #expect(!sampled.dropLast().contains(0))
  }
}

/// `GPT.attentionWeights` are the probabilities the attention op applies: causal rows that sum
/// to 1, and P·v equals the block's `scaledDotProductAttention` output.
@Suite struct AttentionWeightsTests {
  @Test func weightsTimesValuesEqualTheAttentionOutput() {
    Random.seed(4)
    let model = GPT<Double>(GPTConfiguration(vocabularySize: 9, blockSize: 8, layers: 2, heads: 2, embedDimension: 8))
    let tokens = [0, 3, 1, 4, 1, 5, 2]
    let maps = model.attentionWeights(tokens)
    #expect(maps.count == 2 && maps.allSatisfy { $0.shape == [2, 7, 7] })
    for m in maps {
      for row in 0..<14 {
        let r = Array(m.scalars[row * 7..<(row + 1) * 7]), i = row % 7
        #expect(abs(r.reduce(0, +) - 1) < 1e-12 && r[(i + 1)...].allSatisfy { $0 == 0 } && r[...i].allSatisfy { $0 > 0 })
      }
    }
    // Layer 1's input, then q, k, v as the block splits them.
    let x0 = model.tokenEmbedding(indices: tokens, shape: [1, 7]) + model.positionEmbedding(indices: Array(0..<7), shape: [1, 7])
    let block = model.blocks[1], x = model.blocks[0](x0, cache: nil, layer: 0)
    let qkv = block.attentionProjection(block.ln1(x))
    func split(_ p: Int) -> Tensor<Double> { qkv.sliced(alongAxis: 2, p * 8..<(p + 1) * 8).reshaped(to: [1, 7, 2, 4]).permuted([0, 2, 1, 3]) }
    let op = Tensor.scaledDotProductAttention(query: split(0), key: split(1), value: split(2), causal: true)
    let composed = Tensor.matmul(maps[1].reshaped(to: [1, 2, 7, 7]), split(2))
    expectClose(composed, op, .sameMathsDifferentOrder, "P·v vs the attention op")
  }
}
