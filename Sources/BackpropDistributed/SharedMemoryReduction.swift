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
/// Segments are double-buffered by step parity: a rank reaches step s + 2 only after it saw
/// every other rank publish all of step s + 1, which each did only after its sums of step s, so
/// no one overwrites data still being read. Flags are step numbers, each written by its own rank
/// only (release) and read by the others (acquire), one cache line each.
final class SharedMemoryReduction {
  /// The most ranks for which this path is chosen (every rank reads every other's gradient).
  static let maximumRanks = 4

  let rank: Int, size: Int
  let segments: [UnsafeMutableRawPointer]
  let buckets: [Range<Int>]
  let total: Int
  let dataOffset: Int
  /// The current step (1 for the first): this step's flags and the parity of its slots.
  private(set) var step: Int64 = 0
  private var destination: [UnsafeMutableBufferPointer<Float>?]
  private var summed: [Bool]
  /// Buckets whose sum waits for `sumDeferred(_:_:)` (published, not yet summed by it).
  private var deferred: [Bool]
  /// Buckets before this one are all summed (the scan for work starts here).
  private var firstUnsummed = 0

  /// The shared segments for `buckets` (ranges of a `total`-element gradient), or nil when some
  /// rank is on another host. Collective: every rank calls it alike.
  init?(communicator: Communicator, buckets: [Range<Int>], total: Int) throws {
    let dataOffset = buckets.count * 64  // a cache line per flag
    // Whole pages per rank: Open MPI lays the segments end to end, so each rank's flags start a
    // page (no cache line shared with the rank before) and its data is 64-byte aligned.
    let bytes = (dataOffset + 2 * max(total, 1) * MemoryLayout<Float>.size + 4095) / 4096 * 4096
    guard let segments = try communicator.sharedSegments(bytes: bytes) else {
      return nil
    }
    (rank, size, self.segments, self.buckets, self.total, self.dataOffset) =
      (communicator.rank, communicator.size, segments, buckets, total, dataOffset)
    destination = Array(repeating: nil, count: buckets.count)
    summed = Array(repeating: true, count: buckets.count)
    deferred = Array(repeating: false, count: buckets.count)
    for b in buckets.indices { SharedFlag.store(flag(rank, b), 0) }
    try communicator.barrier()  // every rank's flags are 0 before anyone reads them
  }

  private func flag(_ r: Int, _ b: Int) -> UnsafeMutablePointer<Int64> {
    (segments[r] + b * 64).assumingMemoryBound(to: Int64.self)
  }

  /// Rank `r`'s memory for the current step (the half of its data area of this step's parity),
  /// indexed like the gradient.
  private func stepBase(of r: Int) -> UnsafeMutablePointer<Float> {
    (segments[r] + dataOffset).assumingMemoryBound(to: Float.self) + Int(step & 1) * total
  }

  private func slot(_ r: Int, _ b: Int) -> UnsafeMutablePointer<Float> { stepBase(of: r) + buckets[b].lowerBound }

  /// This rank's memory for the current step, indexed like the gradient (bucket `b` at
  /// `buckets[b]`): fill a bucket's part, then `publish(_:into:)` it.
  var stepBase: UnsafeMutablePointer<Float> { stepBase(of: rank) }

  /// Starts a step: no bucket published yet. Starting again before publishing anything is
  /// allowed (a step begun twice); a step whose buckets were published must be finished first,
  /// its deferred buckets summed or discarded.
  func beginStep() {
    if !summed.allSatisfy({ $0 }) && destination.allSatisfy({ $0 == nil }) { return }
    precondition(summed.allSatisfy { $0 }, "SharedMemoryReduction.beginStep: the previous step was not finished")
    precondition(!deferred.contains(true), "DataParallel.beginStep: the previous step's deferred updates were neither applied nor discarded")
    step += 1
    for b in buckets.indices { summed[b] = false; destination[b] = nil }
    firstUnsummed = 0
  }

  /// Publishes this rank's `slot(b)` (filled); the sum over ranks goes to `destination`, which
  /// must stay alive, and not be read, until `finish(timeout:)` returns. A `deferred` bucket is
  /// not summed there: `finish` only waits for every rank's part, and `sumDeferred(_:_:)` hands
  /// its sum out in pieces (`destination` is then left as it is).
  func publish(_ b: Int, into destination: UnsafeMutableBufferPointer<Float>, deferred: Bool = false) {
    precondition(self.destination[b] == nil && !summed[b] && destination.count == buckets[b].count,
                 "SharedMemoryReduction.publish: bucket \(b) published twice, or \(destination.count) elements for \(buckets[b].count)")
    self.destination[b] = destination
    self.deferred[b] = deferred
    SharedFlag.store(flag(rank, b), step)
  }

  /// Sums every bucket that all ranks have published, without waiting; returns whether every
  /// bucket of the step is summed.
  @discardableResult
  func progress() -> Bool {
    var b = firstUnsummed
    while b < buckets.count {
      defer { b += 1 }
      guard !summed[b], let out = destination[b] else { continue }
      guard (0..<size).allSatisfy({ $0 == rank || SharedFlag.load(flag($0, b)) >= step }) else { continue }
      if !deferred[b], let start = out.baseAddress {
        Arithmetic.sumInOrder(into: start, (0..<size).map { UnsafePointer(slot($0, b)) }, count: out.count)
      }
      summed[b] = true
    }
    while firstUnsummed < buckets.count && summed[firstUnsummed] { firstUnsummed += 1 }
    return firstUnsummed == buckets.count
  }

  /// Sums elements `piece` (within the bucket) of deferred bucket `b`, after
  /// `finish(timeout:)`, over the ranks in rank order into `destination`.
  func sumDeferred(_ b: Int, _ piece: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
    precondition(deferred[b] && summed[b] && piece.upperBound <= buckets[b].count,
                 "SharedMemoryReduction.sumDeferred: bucket \(b) is not deferred, or not finished, or has no elements \(piece)")
    Arithmetic.sumInOrder(into: destination, (0..<size).map { UnsafePointer(slot($0, b) + piece.lowerBound) }, count: piece.count)
  }

  /// Marks deferred bucket `b` as summed (every piece was handed out).
  func finishDeferred(_ b: Int) { deferred[b] = false }

  /// Drops the deferred buckets' sums (a step that is not applied: a non-finite loss).
  func discardDeferred() {
    for b in deferred.indices { deferred[b] = false }
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
