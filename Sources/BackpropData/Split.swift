/// Which part of a data set with a fixed train/test split to load.
public enum DataSplit: String, Sendable, CaseIterable {
  /// The training part.
  case train
  /// The held-out test part.
  case test
}

extension Dataset {
  /// Splits into a training and a validation part with a seeded shuffle.
  ///
  /// The validation part gets `validationFraction × count` samples, rounded to nearest.
  /// See `split(validationCount:seed:stratified:)` for the details.
  public func split(validationFraction: Double, seed: UInt64, stratified: Bool = true) throws
    -> (train: Dataset, validation: Dataset)
  {
    guard validationFraction >= 0, validationFraction <= 1 else {
      throw Self.invalid("validationFraction must be in [0, 1], got \(validationFraction)", op: "Dataset.split")
    }
    return try split(
      validationCount: Int((validationFraction * Double(count)).rounded()), seed: seed, stratified: stratified)
  }

  /// Splits into a training and a validation part of exactly `validationCount` samples.
  ///
  /// With `stratified` (the default; ignored for regression), each class keeps its share: class
  /// `k` gives `validationCount × n_k / count` samples, rounded by largest remainder so the total
  /// is exact. Both parts keep the original sample order; only the choice is random. The result
  /// depends only on the data, the count and the seed — the same on every machine.
  ///
  /// - Throws: `TensorError.invalidArgument` when `validationCount` is not in `0...count`.
  public func split(validationCount: Int, seed: UInt64, stratified: Bool = true) throws
    -> (train: Dataset, validation: Dataset)
  {
    let (train, validation) = try splitIndices(validationCount: validationCount, seed: seed, stratified: stratified)
    var trainPart = try subset(indices: train)
    var validationPart = try subset(indices: validation)
    trainPart.name = name + "/train"
    validationPart.name = name + "/validation"
    return (trainPart, validationPart)
  }

  /// The indices `split(validationCount:seed:stratified:)` would put in each part, ascending.
  public func splitIndices(validationCount: Int, seed: UInt64, stratified: Bool = true) throws
    -> (train: [Int], validation: [Int])
  {
    guard (0...count).contains(validationCount) else {
      throw Self.invalid("validationCount must be in 0...\(count), got \(validationCount)", op: "Dataset.split")
    }
    var generator = SeededGenerator(seed: seed)
    var chosen = [Bool](repeating: false, count: count)
    if stratified && task == .classification {
      var byClass = [[Int]](repeating: [], count: classCount)
      for (i, label) in labels.enumerated() { byClass[label].append(i) }
      let quotas = largestRemainderQuotas(total: validationCount, weights: byClass.map(\.count))
      for k in 0..<classCount {
        shuffle(&byClass[k], using: &generator)
        for i in byClass[k].prefix(quotas[k]) { chosen[i] = true }
      }
    } else {
      for i in shuffledIndices(count, using: &generator).prefix(validationCount) { chosen[i] = true }
    }
    let all = Array(0..<count)
    return (all.filter { !chosen[$0] }, all.filter { chosen[$0] })
  }
}

/// Shares of `total` proportional to `weights`, rounded by largest remainder (ties go to the
/// lower index) so that they add up to `total` exactly.
func largestRemainderQuotas(total: Int, weights: [Int]) -> [Int] {
  let sum = weights.reduce(0, +)
  guard sum > 0 else { return weights.map { _ in 0 } }
  // Integer arithmetic: quota = floor(total × w / sum), remainder = (total × w) mod sum.
  var quotas = weights.map { total * $0 / sum }
  let remainders = weights.map { total * $0 % sum }
  let missing = total - quotas.reduce(0, +)
  let order = weights.indices.sorted { remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1 }
  for k in order.prefix(missing) { quotas[k] += 1 }
  return quotas
}
