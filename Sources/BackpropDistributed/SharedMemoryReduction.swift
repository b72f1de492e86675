import BackpropKernels

/// `DataParallel`'s gradient reduction when every rank runs on this host: each rank writes its
/// buckets into its own segment of memory the ranks share (MPI-3 `MPI_Win_allocate_shared`),
/// and every rank then adds all ranks' segments, in rank order, straight into its own
/// gradient. Nothing is sent: no fragments, no copies into and out of a transport's buffers, no
/// progress calls. Each rank reads each peer's gradient once (the least any allreduce moves
/// between two cores), and the sum `s₀ + s₁ + …` is formed in the same order on every rank, so
/// every rank gets the same bits (for 2 ranks `a + b`, what `MPI_Allreduce` gives).
///
/// Per bucket and step: the rank fills its part of `stepBase` (the blocked first layer's GEMM
/// writes its gradient there directly; other buckets are copied in, where `MPI_Iallreduce`
/// would have copied them into its own buffers) and `publish`es it, raising its flag for `b` to
/// the step number; `progress()`, called whenever backward hands over a gradient, sums every bucket that
/// all ranks have published into its destination. No work happens on another thread.
///
/// The rank's reads cost (ranks − 1) × the gradient, so `DataParallel` takes this path for
/// up to `maximumRanks` ranks; beyond, `MPI_Iallreduce`'s ring moves less per rank.
///
/// Sharded buckets (`publish(_:into:sharded:)`, ZeRO stage 1 on one host): instead of every
/// rank summing the whole bucket, rank r sums only its shard (`shard(_:of:)`, 1/ranks of the
/// elements) and updates those weights from it (`sumShard`), writes the updated weights into
/// its own slot where its gradient shard was (which no other rank reads: each reads only its own
/// shard of every slot) and raises its weight flag (`publishWeights`); every rank then copies
/// the other ranks' shards of the weights (`gatherWeights`). Per element each rank reads
/// 2 gradients and writes 1 weight instead of reading ranks × gradient and writing the sum, and
/// the optimizer touches 1/ranks of the weights and state.
///
/// Segments are double-buffered by step parity: a rank reaches step s + 2 only after it saw
/// every other rank publish all of step s + 1, which each did only after its sums (and its copy
/// of the other ranks' weights) of step s, so no one overwrites data still being read. Flags are
/// step numbers, each written by its own rank only (release) and read by the others (acquire),
/// one cache line each: a gradient flag and a weight flag per bucket.
final class SharedMemoryReduction {
  /// The most ranks for which this path is chosen (every rank reads every other's gradient).
  static let maximumRanks = 4

  let rank: Int, size: Int
  let segments: [UnsafeMutableRawPointer]
  let buckets: [Range<Int>]
  let dataOffset: Int
  /// Floats from one parity's half of a segment's data to the other's (the gradient's element
  /// count, rounded up to a cache line).
  let parityStride: Int
  /// The current step (1 for the first): this step's flags and the parity of its slots.
  private(set) var step: Int64 = 0
  private var destination: [UnsafeMutableBufferPointer<Float>?]
  private var summed: [Bool]
  /// Sharded buckets of this step whose shard has not been summed and published yet
  /// (`publishWeights`), and those whose other shards have not been gathered yet.
  private var unpublished: [Bool], ungathered: [Bool]
  /// Elements of this rank's shard of each sharded bucket written by `writeWeights` this step.
  private var weightsWritten: [Int]
  /// The sources of one sum (a slot per rank), kept so that no sum allocates.
  private let sources: UnsafeMutableBufferPointer<UnsafePointer<Float>?>
  /// Buckets before this one are all summed (the scan for work starts here).
  private var firstUnsummed = 0

  /// The shared segments for `buckets` (ranges of a `total`-element gradient), or nil when some
  /// rank is on another host. Collective: every rank calls it alike.
  init?(communicator: Communicator, buckets: [Range<Int>], total: Int) throws {
    let dataOffset = 2 * buckets.count * 64  // a cache line per flag: gradient flags, then weight flags
    // Whole pages per rank: Open MPI lays the segments end to end, so each rank's flags start a
    // page (no cache line shared with the rank before) and its data is 64-byte aligned.
    // Each parity's half starts on a cache line (`shard` splits buckets at cache lines).
    let parityStride = (max(total, 1) + 15) / 16 * 16
    let bytes = (dataOffset + 2 * parityStride * MemoryLayout<Float>.size + 4095) / 4096 * 4096
    guard let segments = try communicator.sharedSegments(bytes: bytes) else {
      return nil
    }
    (rank, size, self.segments, self.buckets, self.dataOffset, self.parityStride) =
      (communicator.rank, communicator.size, segments, buckets, dataOffset, parityStride)
    destination = Array(repeating: nil, count: buckets.count)
    summed = Array(repeating: true, count: buckets.count)
    unpublished = Array(repeating: false, count: buckets.count)
    ungathered = unpublished
    weightsWritten = Array(repeating: 0, count: buckets.count)
    sources = .allocate(capacity: communicator.size)
    sources.initialize(repeating: nil)
    for b in buckets.indices { SharedFlag.store(flag(rank, b), 0); SharedFlag.store(weightFlag(rank, b), 0) }
    try communicator.barrier()  // every rank's flags are 0 before anyone reads them
  }

  deinit { sources.deallocate() }

  /// Adds elements `offset..<offset + count` of bucket `b` over the ranks' slots, in rank
  /// order, into `destination`.
  private func sum(_ b: Int, offset: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
    for r in 0..<size { sources[r] = UnsafePointer(slot(r, b) + offset) }
    Arithmetic.sumInOrder(into: destination, UnsafeBufferPointer(sources), count: count)
  }

  private func flag(_ r: Int, _ b: Int) -> UnsafeMutablePointer<Int64> {
    (segments[r] + b * 64).assumingMemoryBound(to: Int64.self)
  }

  /// Rank `r`'s flag for its shard of sharded bucket `b`'s updated weights.
  private func weightFlag(_ r: Int, _ b: Int) -> UnsafeMutablePointer<Int64> {
    (segments[r] + (buckets.count + b) * 64).assumingMemoryBound(to: Int64.self)
  }

  /// Rank `r`'s shard of bucket `b`: its elements (indices within the bucket) that rank `r`
  /// sums and updates when the bucket is sharded. Contiguous, in rank order, each edge on a
  /// cache line of the slot, so the line a rank writes its weights into is never one another
  /// rank reads its gradient shard from.
  func shard(_ b: Int, of r: Int) -> Range<Int> {
    Self.shard(of: buckets[b].count, rank: r, ranks: size, offset: buckets[b].lowerBound)
  }

  /// Rank `rank`'s share of `count` elements that start `offset` floats after a cache line,
  /// split among `ranks`: contiguous, in rank order, every inner edge at a multiple of 16 floats
  /// (64 bytes) from that line.
  static func shard(of count: Int, rank: Int, ranks: Int, offset: Int = 0) -> Range<Int> {
    func edge(_ k: Int) -> Int {
      k == ranks ? count : min(count, max(0, (offset + count * k / ranks) / 16 * 16 - offset))
    }
    return edge(rank)..<edge(rank + 1)
  }

  /// Rank `r`'s memory for the current step (the half of its data area of this step's parity),
  /// indexed like the gradient.
  private func stepBase(of r: Int) -> UnsafeMutablePointer<Float> {
    (segments[r] + dataOffset).assumingMemoryBound(to: Float.self) + Int(step & 1) * parityStride
  }

  private func slot(_ r: Int, _ b: Int) -> UnsafeMutablePointer<Float> { stepBase(of: r) + buckets[b].lowerBound }

  /// This rank's memory for the current step, indexed like the gradient (bucket `b` at
  /// `buckets[b]`): fill a bucket's part, then `publish(_:into:)` it.
  var stepBase: UnsafeMutablePointer<Float> { stepBase(of: rank) }

  /// Starts a step: no bucket published yet. Starting again before publishing anything is
  /// allowed (a step begun twice); a step whose buckets were published must be finished first,
  /// its sharded buckets' weights published and gathered (or discarded).
  func beginStep() {
    if !summed.allSatisfy({ $0 }) && destination.allSatisfy({ $0 == nil }) { return }
    precondition(summed.allSatisfy { $0 }, "SharedMemoryReduction.beginStep: the previous step was not finished")
    precondition(!unpublished.contains(true) && !ungathered.contains(true),
                 "DataParallel.beginStep: the previous step's sharded updates were neither applied nor discarded")
    step += 1
    for b in buckets.indices { summed[b] = false; destination[b] = nil }
    firstUnsummed = 0
  }

  /// Publishes this rank's `slot(b)` (filled); the sum over ranks goes to `destination`, which
  /// must stay alive, and not be read, until `finish(timeout:)` returns. A `sharded` bucket is
  /// not summed there: `finish` only waits for every rank's part, `sumShard` hands out this
  /// rank's shard of the sum in pieces, and `publishWeights` and `gatherWeights` exchange the
  /// weights updated from them (`destination` is left as it is).
  func publish(_ b: Int, into destination: UnsafeMutableBufferPointer<Float>, sharded: Bool = false) {
    precondition(self.destination[b] == nil && !summed[b] && destination.count == buckets[b].count,
                 "SharedMemoryReduction.publish: bucket \(b) published twice, or \(destination.count) elements for \(buckets[b].count)")
    self.destination[b] = destination
    (unpublished[b], ungathered[b]) = (sharded, sharded)
    SharedFlag.store(flag(rank, b), step)
  }

  /// Sums every bucket that all ranks have published, without waiting; returns whether every
  /// bucket of the step is summed (sharded buckets: ready for `sumShard`).
  @discardableResult
  func progress() -> Bool {
    var b = firstUnsummed
    while b < buckets.count {
      defer { b += 1 }
      guard !summed[b], let out = destination[b] else { continue }
      guard (0..<size).allSatisfy({ $0 == rank || SharedFlag.load(flag($0, b)) >= step }) else { continue }
      if !unpublished[b], let start = out.baseAddress { sum(b, offset: 0, count: out.count, into: start) }
      summed[b] = true
    }
    while firstUnsummed < buckets.count && summed[firstUnsummed] { firstUnsummed += 1 }
    return firstUnsummed == buckets.count
  }

  /// Sums elements `piece` (indices within the bucket, inside this rank's shard) of sharded
  /// bucket `b`, after `finish(timeout:)`, over the ranks in rank order into `destination`.
  func sumShard(_ b: Int, _ piece: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
    requireUnpublished(b, piece, "sumShard")
    sum(b, offset: piece.lowerBound, count: piece.count, into: destination)
  }

  /// Stops unless bucket `b` is sharded, summable, its weights not yet published, and `piece`
  /// lies in this rank's shard.
  private func requireUnpublished(_ b: Int, _ piece: Range<Int>, _ caller: String) {
    let mine = shard(b, of: rank)
    precondition(unpublished[b] && summed[b] && piece.lowerBound >= mine.lowerBound && piece.upperBound <= mine.upperBound,
                 "SharedMemoryReduction.\(caller): bucket \(b) is not sharded, or not finished, or its weights were published, or elements \(piece) are not in shard \(mine)")
  }

  /// Writes updated weights `piece` (indices within the bucket, inside this rank's shard) of
  /// sharded bucket `b` into this rank's slot, over its own gradient shard (no other rank reads
  /// that), for `publishWeights` to hand over.
  func writeWeights(_ b: Int, _ piece: Range<Int>, from weights: UnsafePointer<Float>) {
    requireUnpublished(b, piece, "writeWeights")
    (slot(rank, b) + piece.lowerBound).update(from: weights, count: piece.count)
    weightsWritten[b] += piece.count
  }

  /// Hands this rank's shard of sharded bucket `b`'s updated weights, all written
  /// (`writeWeights`), to the other ranks: raises its weight flag.
  func publishWeights(_ b: Int) {
    let mine = shard(b, of: rank)
    precondition(unpublished[b] && weightsWritten[b] == mine.count,
                 "SharedMemoryReduction.publishWeights: bucket \(b) is not sharded, or \(weightsWritten[b]) of its shard's \(mine.count) weights were written")
    SharedFlag.store(weightFlag(rank, b), step)
    (unpublished[b], weightsWritten[b]) = (false, 0)
  }

  /// Copies every other rank's shard of sharded bucket `b`'s updated weights into `weights`
  /// (indexed like the bucket), waiting for each at most `timeout` seconds.
  /// - Throws: `RanksSilent` naming the ranks whose weights did not come.
  func gatherWeights(_ b: Int, into weights: UnsafeMutablePointer<Float>, timeout: Double) throws {
    precondition(!unpublished[b] && ungathered[b], "SharedMemoryReduction.gatherWeights: bucket \(b) is not sharded, or this rank's shard was not published")
    for r in 0..<size where r != rank {
      var wait = PollingWait(timeout: timeout)
      while SharedFlag.load(weightFlag(r, b)) < step {
        if !wait.pause() { throw RanksSilent(ranks: (0..<size).filter { $0 != rank && SharedFlag.load(weightFlag($0, b)) < step }) }
      }
      let theirs = shard(b, of: r)
      (weights + theirs.lowerBound).update(from: slot(r, b) + theirs.lowerBound, count: theirs.count)
    }
    ungathered[b] = false
  }

  /// Drops this step's sharded updates (a step that is not applied: a non-finite loss, on
  /// every rank alike).
  func discardShardedUpdates() {
    for b in buckets.indices { (unpublished[b], ungathered[b], weightsWritten[b]) = (false, false, 0) }
  }

  /// No gradients from `ranks` within the timeout: they were lost (killed, or stopped).
  struct RanksSilent: Error { let ranks: [Int] }

  /// Waits until every bucket is summed, at most `timeout` seconds, pausing between polls as
  /// `Communicator.waitMode` says (spin while each rank has a core, else yield).
  /// - Throws: `RanksSilent` naming the ranks that have not published all of this step.
  func finish(timeout: Double) throws {
    precondition(!destination.contains { $0 == nil }, "SharedMemoryReduction.finish: a bucket was never published")
    var wait = PollingWait(timeout: timeout)
    while !progress() {
      if !wait.pause() {
        throw RanksSilent(ranks: (0..<size).filter { r in r != rank && buckets.indices.contains { SharedFlag.load(flag(r, $0)) < step } })
      }
    }
  }
}
