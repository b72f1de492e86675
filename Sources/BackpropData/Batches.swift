/// The index batches of one epoch: `order` cut into consecutive runs of `batchSize`.
///
/// The last batch is shorter when `order.count` is not a multiple of `batchSize`, unless
/// `dropLast` is set, in which case it is left out.
public struct Batches: RandomAccessCollection, Sendable, Equatable {
  /// The sample indices of the epoch, in visiting order.
  public let order: [Int]
  /// Samples per batch.
  public let batchSize: Int
  /// Whether a final batch smaller than `batchSize` is left out.
  public let dropLast: Bool

  /// Cuts `order` into batches.
  ///
  /// - Throws: `TensorError.invalidArgument` when `batchSize` is not positive.
  public init(order: [Int], batchSize: Int, dropLast: Bool = false) throws {
    guard batchSize > 0 else {
      throw TensorError.invalidArgument(op: "Batches", message: "batchSize must be positive, got \(batchSize)")
    }
    self.order = order
    self.batchSize = batchSize
    self.dropLast = dropLast
  }

  /// Position of the first batch (0).
  public var startIndex: Int { 0 }
  /// One past the last batch: the number of batches.
  public var endIndex: Int { dropLast ? order.count / batchSize : (order.count + batchSize - 1) / batchSize }

  /// The sample indices of batch `position`.
  public subscript(position: Int) -> ArraySlice<Int> {
    order[position * batchSize..<Swift.min(order.count, (position + 1) * batchSize)]
  }
}

extension Batches {
  /// Rank `rank`'s share of every batch when `ranks` processes train on it together (data
  /// parallelism; PyTorch's `DistributedSampler`): one index list per batch, in batch order.
  ///
  /// Cut the epoch into *global* batches of `perRankBatchSize × ranks` samples, then give rank r
  /// the r-th of `ranks` consecutive slices of each: every rank sees a disjoint part of the same
  /// seeded permutation, and together the ranks see each global batch exactly once. A full batch
  /// splits into equal slices of the per-rank batch size; a short last batch of L samples gives
  /// rank r the samples ⌊r·L/ranks⌋ ..< ⌊(r+1)·L/ranks⌋ (sizes differ by at most one, and can be
  /// zero when L < ranks). Every rank gets the same number of lists, so all ranks take the same
  /// number of steps.
  ///
  /// - Throws: `TensorError.invalidArgument` unless `0 ≤ rank < ranks`.
  public func shard(rank: Int, of ranks: Int) throws -> [[Int]] {
    guard ranks > 0, (0..<ranks).contains(rank) else {
      throw TensorError.invalidArgument(op: "Batches.shard", message: "rank must be in 0..<ranks, got rank \(rank) of \(ranks)")
    }
    return indices.map { position in
      let batch = self[position]
      let length = batch.count
      let lower = batch.startIndex + rank * length / ranks, upper = batch.startIndex + (rank + 1) * length / ranks
      return Array(order[lower..<upper])
    }
  }
}

/// Seeded, stateless batching: the order of epoch `e` depends only on `seed` and `e`, so training
/// can resume at any epoch (or any batch of it) from just the seed and the epoch number.
///
/// ```swift
/// let sampler = try BatchSampler(sampleCount: train.count, batchSize: 128, seed: 42)
/// for epoch in 0..<10 {
///   for indices in sampler.batches(epoch: epoch) { let batch = train.batch(indices) ... }
/// }
/// ```
public struct BatchSampler: Sendable, Equatable {
  /// Number of samples to draw from (`0..<sampleCount`).
  public let sampleCount: Int
  /// Samples per batch.
  public let batchSize: Int
  /// Whether each epoch visits the samples in a fresh random order (otherwise `0, 1, 2, ...`).
  public let shuffle: Bool
  /// Whether a final batch smaller than `batchSize` is left out.
  public let dropLast: Bool
  /// The seed every epoch's order is derived from.
  public let seed: UInt64

  /// - Throws: `TensorError.invalidArgument` for a negative `sampleCount` or a non-positive `batchSize`.
  public init(sampleCount: Int, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64 = 0)
    throws
  {
    guard sampleCount >= 0, batchSize > 0 else {
      throw TensorError.invalidArgument(
        op: "BatchSampler", message: "need sampleCount >= 0 and batchSize > 0, got \(sampleCount) and \(batchSize)")
    }
    self.sampleCount = sampleCount
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.seed = seed
  }

  /// Batches per epoch.
  public var batchesPerEpoch: Int { dropLast ? sampleCount / batchSize : (sampleCount + batchSize - 1) / batchSize }

  /// The generator epoch `epoch` shuffles with: seeded from a SplitMix64 hash of `seed` and `epoch`.
  public static func generator(seed: UInt64, epoch: Int) -> SeededGenerator {
    SeededGenerator(seed: splitMix64(seed ^ splitMix64(UInt64(bitPattern: Int64(epoch)))))
  }

  /// The visiting order of epoch `epoch`: a permutation of `0..<sampleCount`.
  public func order(epoch: Int) -> [Int] {
    guard shuffle else { return Array(0..<sampleCount) }
    var generator = Self.generator(seed: seed, epoch: epoch)
    return shuffledIndices(sampleCount, using: &generator)
  }

  /// The batches of epoch `epoch`.
  public func batches(epoch: Int) -> Batches {
    // batchSize was checked in init.
    try! Batches(order: order(epoch: epoch), batchSize: batchSize, dropLast: dropLast)
  }
}

/// Seeded batching with one running generator: each `next()` shuffles with the generator's
/// current state and advances it, so the sequence of epochs continues exactly after a restore.
///
/// Save `stateWords` in a checkpoint (before calling `next()` for the epoch to resume) and
/// restore with `init(sampleCount:batchSize:shuffle:dropLast:stateWords:)`.
public struct EpochIterator: IteratorProtocol, Sequence, Sendable, Equatable {
  /// Number of samples to draw from.
  public let sampleCount: Int
  /// Samples per batch.
  public let batchSize: Int
  /// Whether each epoch is shuffled.
  public let shuffle: Bool
  /// Whether a final short batch is left out.
  public let dropLast: Bool
  /// The generator the next epoch will shuffle with.
  public private(set) var generator: SeededGenerator
  /// Epochs produced so far (the index of the next one).
  public private(set) var epoch: Int

  /// Starts at epoch 0 with a generator seeded with `seed`.
  ///
  /// - Throws: `TensorError.invalidArgument` for a negative `sampleCount` or a non-positive `batchSize`.
  public init(sampleCount: Int, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64) throws {
    try self.init(
      sampleCount: sampleCount, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast,
      stateWords: SeededGenerator(seed: seed).stateWords + [0])
  }

  /// Resumes from saved `stateWords`.
  ///
  /// - Throws: `TensorError.invalidArgument` when `stateWords` is not 5 words or the sizes are invalid.
  public init(sampleCount: Int, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, stateWords: [UInt64])
    throws
  {
    guard sampleCount >= 0, batchSize > 0, stateWords.count == 5, stateWords[4] <= UInt64(Int.max) else {
      throw TensorError.invalidArgument(
        op: "EpochIterator",
        message: "need sampleCount >= 0, batchSize > 0 and 5 state words, got \(sampleCount), \(batchSize), \(stateWords.count)")
    }
    self.sampleCount = sampleCount
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.dropLast = dropLast
    generator = SeededGenerator(stateWords: Array(stateWords[0..<4]))
    epoch = Int(stateWords[4])
  }

  /// Everything needed to resume: the generator's four state words, then the epoch number.
  public var stateWords: [UInt64] { generator.stateWords + [UInt64(epoch)] }

  /// The next epoch's batches (never `nil`: the sequence is endless; bound it with `prefix(_:)`).
  public mutating func next() -> Batches? {
    let order = shuffle ? shuffledIndices(sampleCount, using: &generator) : Array(0..<sampleCount)
    epoch += 1
    return try! Batches(order: order, batchSize: batchSize, dropLast: dropLast)
  }
}

/// One batch gathered from a `Dataset`: its rows of features and their labels or targets.
public struct Batch: Sendable, Equatable {
  /// The dataset indices of the rows, in order.
  public var indices: [Int]
  /// Features, row-major `count × featureCount`.
  public var features: [Float]
  /// Features per sample.
  public var featureCount: Int
  /// Class labels (classification), one per row; empty for regression.
  public var labels: [Int]
  /// Targets (regression), row-major `count × targetCount`; empty for classification.
  public var targets: [Float]
  /// Rows in the batch.
  public var count: Int { indices.count }
}

extension Dataset {
  /// Gathers the rows at `indices` (for example one element of `Batches`).
  ///
  /// Indices must lie in `0..<count`, as the samplers produce them; use `subset(indices:)` for
  /// indices from elsewhere, which checks and throws.
  ///
  /// Rows are written straight into the batch's `features`; a data set that keeps its
  /// features as bytes decodes just these rows (it never builds its whole `features` array).
  public func batch<C: Collection>(_ indices: C) -> Batch where C.Element == Int {
    let rows = Array(indices)
    let x = [Float](unsafeUninitializedCapacity: rows.count * featureCount) { buffer, initialized in
      storage.gather(rows: rows, columns: featureCount, rowCount: count, into: buffer)
      initialized = rows.count * featureCount
    }
    var y = [Int]()
    var t = [Float]()
    y.reserveCapacity(labels.isEmpty ? 0 : rows.count)
    t.reserveCapacity(rows.count * targetCount)
    for i in rows {
      if !labels.isEmpty { y.append(labels[i]) }
      if targetCount > 0 { t.append(contentsOf: targets[i * targetCount..<(i + 1) * targetCount]) }
    }
    return Batch(indices: rows, features: x, featureCount: featureCount, labels: y, targets: t)
  }

  /// The batches of one epoch, gathered lazily (one batch in memory at a time).
  public func batches(_ epoch: Batches) -> LazyMapSequence<Batches, Batch> {
    epoch.lazy.map { self.batch($0) }
  }
}

// MARK: - Seeded shuffling (stable across platforms and Swift versions)

/// SplitMix64's output function, used to derive seeds.
func splitMix64(_ x: UInt64) -> UInt64 {
  var z = x &+ 0x9E37_79B9_7F4A_7C15
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}

/// A uniform integer in `0..<bound` (Lemire's multiply-and-reject, so no modulo bias).
///
/// Written out rather than using `Int.random(in:using:)`, whose algorithm the standard library
/// may change: shuffles and splits must be identical on every machine and toolchain.
func uniformIndex(below bound: Int, using generator: inout SeededGenerator) -> Int {
  require(bound > 0, "random index: the bound must be positive, got \(bound)")
  let n = UInt64(bound)
  var m = generator.next().multipliedFullWidth(by: n)
  if m.low < n {
    let threshold = (0 &- n) % n
    while m.low < threshold { m = generator.next().multipliedFullWidth(by: n) }
  }
  return Int(m.high)
}

/// Fisher–Yates shuffle of `elements` with our own `uniformIndex` (see there for why).
func shuffle<T>(_ elements: inout [T], using generator: inout SeededGenerator) {
  guard elements.count > 1 else { return }
  for i in stride(from: elements.count - 1, to: 0, by: -1) {
    elements.swapAt(i, uniformIndex(below: i + 1, using: &generator))
  }
}

/// A random permutation of `0..<count`.
func shuffledIndices(_ count: Int, using generator: inout SeededGenerator) -> [Int] {
  var indices = Array(0..<count)
  shuffle(&indices, using: &generator)
  return indices
}
