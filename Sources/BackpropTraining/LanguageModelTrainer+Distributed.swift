import BackpropCore
import BackpropData
import BackpropDistributed
import BackpropNN

extension LanguageModelTrainer {
  /// Makes this trainer one rank of `parallel`'s group, as `Trainer.distribute(over:)` does:
  /// checks that every rank has the same configuration (and `configurationText`), then gives
  /// every rank rank 0's weights. `configuration.batchSize` stays the global batch: every rank
  /// draws the same windows (the batch generator advances alike everywhere) and trains on its
  /// rows r·B/N ..< (r+1)·B/N, so N ranks take the steps one process takes with the whole batch,
  /// and a checkpoint resumes on any number of ranks.
  /// - Throws: `DistributedError.configurationMismatch` on every rank when the ranks' settings
  ///   differ; `CommunicatorError` for a failed or timed-out collective.
  public func distribute(over parallel: DataParallel, configurationText: String = "") throws {
    try parallel.join(settings: configuration, configurationText: configurationText, position: "step \(completedSteps)")
    dataParallel = parallel
  }

  /// Backward through this rank's rows of the global `batch`, with the gradients averaged over
  /// the ranks during backward; returns the global batch's mean loss per scored character.
  func distributedGradients(of batch: LanguageModelBatch, over parallel: DataParallel) throws -> Double {
    let rows = parallel.rank * batch.batchSize / parallel.size..<(parallel.rank + 1) * batch.batchSize / parallel.size
    let local = batch.rows(rows)
    let scored = local.targets.filter { $0 != LanguageModelBatch.ignored }.count
    let allScored = batch.targets.filter { $0 != LanguageModelBatch.ignored }.count
    // The loss is a mean over scored characters: this rank's mean weighs by its share of them.
    try parallel.allowShardedUpdates(for: optimizer, enabled: shardsOptimizerStep, clips: configuration.gradientClipNorm > 0)
    parallel.beginStep(sampleShare: Float(scored) / Float(max(allScored, 1)))
    var loss: Tensor<Float>?
    if scored > 0 {
      loss = languageModelLoss(logits: model.logits(local.inputs, batchSize: local.batchSize), targets: local.targets)
    }
    try parallel.shareMetrics([loss.map { Double($0.item) * Double(scored) } ?? 0, Double(scored)])
    if let loss { parallel.backward(loss) }
    let (sum, count) = try parallel.finishGradients().pair
    return sum / max(count, 1)
  }
}

extension Array where Element == Double {
  /// The first two elements (the sums of a reduced pair).
  var pair: (Double, Double) { (self[0], self[1]) }
}
