import BackpropData

extension Trainer {
  /// The model's mean loss and accuracy on `dataset` after an epoch. One process evaluates the
  /// whole set; under data parallelism (`distribute(over:)`) each rank evaluates its contiguous
  /// share of the samples (rank r of N: samples r·n/N ..< (r+1)·n/N) and the loss sums and
  /// correct counts are summed over the ranks, so every rank gets the figures of the whole set
  /// (the same accuracy as one process) in 1/N of the time.
  /// - Throws: shape errors when the data does not fit the model; `DistributedError.rankLost`
  ///   when a rank does not answer.
  public func evaluateModel(on dataset: Dataset) throws -> Evaluation {
    let kind = lossKind(for: dataset), batchSize = max(configuration.batchSize, 256)
    guard let parallel = dataParallel else { return try evaluate(model, on: dataset, loss: kind, batchSize: batchSize) }
    let start = monotonicSeconds()
    let n = dataset.count, (rank, size) = (parallel.rank, parallel.size)
    let (lossSum, correct) = try evaluationSums(model, on: dataset, samples: rank * n / size..<(rank + 1) * n / size,
                                                loss: kind, batchSize: batchSize)
    let totals = try parallel.sum([lossSum, Double(correct)])
    let seconds = try parallel.maximum([monotonicSeconds() - start])[0]  // the slowest rank's
    let count = Double(max(n, 1))
    return Evaluation(loss: totals[0] / count, accuracy: kind == .meanSquaredError ? nil : totals[1] / count,
                      count: n, seconds: seconds)
  }
}
