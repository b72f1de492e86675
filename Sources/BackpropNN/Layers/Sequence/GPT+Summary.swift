import BackpropCore

extension GPT {
  /// One row per part, for a `[1, sequenceLength]` input: token and position embeddings, each
  /// block, the final LayerNorm and the head (its parameters counted only when not tied).
  /// Shapes are computed, not run: embeddings and blocks give `[1, T, E]`, the head `[1, T, V]`.
  public func summary(sequenceLength: Int? = nil) -> ModelSummary {
    let c = configuration, t = sequenceLength ?? c.blockSize
    let hidden = [1, t, c.embedDimension]
    var rows: [ModelSummary.Row] = [
      .init(index: 0, name: "wte: " + tokenEmbedding.summaryName, outputShape: hidden, parameterCount: tokenEmbedding.parameterCount),
      .init(index: 1, name: "wpe: " + positionEmbedding.summaryName, outputShape: hidden,
            parameterCount: positionEmbedding.parameterCount),
    ]
    for (i, block) in blocks.enumerated() {
      rows.append(.init(index: rows.count, name: "h.\(i): " + block.summaryName, outputShape: hidden,
                        parameterCount: block.parameterCount))
    }
    rows.append(.init(index: rows.count, name: "ln_f: " + finalNorm.summaryName, outputShape: hidden,
                      parameterCount: finalNorm.parameterCount))
    rows.append(.init(index: rows.count, name: c.tiedHead ? "lm_head (tied to wte)" : c.headBias ? "lm_head (with bias)" : "lm_head",
                      outputShape: [1, t, c.vocabularySize], parameterCount: c.tiedHead ? 0 : headWeight.count + (headBias?.count ?? 0)))
    return ModelSummary(rows: rows, inputShape: [1, t])
  }
}
