import BackpropCore

extension TransformerBlock {
  /// The causal self-attention probabilities of this block for `input` `[1, T, E]` (the
  /// block's input, before `ln_1`): `[heads, T, T]`, row `i` = softmax over keys `j ≤ i` of
  /// q_i·k_j/√d, zero above the diagonal. These are the weights the block's attention applies
  /// to the values (`scaledDotProductAttention` computes them inside its kernel).
  public func attentionWeights(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    require(input.rank == 3 && input.shape[0] == 1 && input.shape[2] == embedDimension, "TransformerBlock.attentionWeights",
            "input \(input.shape) must be [1, T, \(embedDimension)]")
    let t = input.shape[1], e = embedDimension, d = e / heads
    let qkv = attentionProjection(ln1(input))
    func split(_ part: Int) -> Tensor<Scalar> {
      qkv.sliced(alongAxis: 2, part * e..<(part + 1) * e).reshaped(to: [t, heads, d]).permuted([1, 0, 2])
    }
    let scores = Tensor.matmul(split(0), split(1), transposeB: true) * Tensor<Scalar>(Scalar(1 / Double(d).squareRoot()))
    let allowed = Tensor<Scalar>(shape: [t, t], scalars: (0..<t * t).map { $0 % t <= $0 / t ? 1 : 0 })
    return Tensor.where(allowed, scores, Tensor<Scalar>(-Scalar.infinity)).softmax(alongAxis: -1)
  }
}

extension GPT {
  /// The attention probabilities of every block for one sequence `tokens` (at most
  /// `blockSize`): one `[heads, T, T]` tensor per layer, row = query position, column = key
  /// position. Computed without gradients, in evaluation of the same forward pass as `logits`.
  public func attentionWeights(_ tokens: [Int]) -> [Tensor<Scalar>] {
    require(!tokens.isEmpty && tokens.count <= configuration.blockSize, "GPT.attentionWeights",
            "needs 1…\(configuration.blockSize) tokens, got \(tokens.count)")
    return withoutGradient {
      var x = tokenEmbedding(indices: tokens, shape: [1, tokens.count])
        + positionEmbedding(indices: Array(0..<tokens.count), shape: [1, tokens.count])
      var maps: [Tensor<Scalar>] = []
      for (i, block) in blocks.enumerated() {
        maps.append(block.attentionWeights(x))
        x = block(x, cache: nil, layer: i)
      }
      return maps
    }
  }
}
