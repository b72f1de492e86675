import BackpropCore
import BackpropKernels

// The buckets of `DataParallel`: their layout, and one step's reductions (gradients copied or
// reduced in place as backward produces them, buckets started in order, waited for at the end).
extension DataParallel {
  /// Packs parameters of `counts` elements, last parameter first, into buckets of about
  /// `bucketBytes` bytes: the layout every rank computes alike. A `blocked` parameter gets one
  /// bucket per block of rows, launched before the parameter after it (its op's bias).
  static func bucketLayout(counts: [Int], bucketBytes: Int, blocked: (parameter: Int, rows: Int, blocks: Int)? = nil)
    -> (buckets: [Bucket], placement: [(bucket: Int, offset: Int)], total: Int)
  {
    let capacity = max(1, bucketBytes / MemoryLayout<Float>.size)
    var buckets: [Bucket] = []
    var placement = Array(repeating: (bucket: 0, offset: 0), count: counts.count)
    var offset = 0, members: [Int] = [], start = 0
    var order = Array(counts.indices.reversed())
    if let blocked, let k = order.firstIndex(of: blocked.parameter), k > 0, order[k - 1] == blocked.parameter + 1 {
      order.swapAt(k - 1, k)
    }
    for i in order {
      if let blocked, i == blocked.parameter {
        if !members.isEmpty { buckets.append(Bucket(members: members, range: start..<offset)); members = [] }
        placement[i] = (buckets.count, offset)
        let columns = counts[i] / blocked.rows
        for b in 0..<blocked.blocks {
          let rows = blocked.rows * b / blocked.blocks..<blocked.rows * (b + 1) / blocked.blocks
          buckets.append(Bucket(members: [i], range: offset + rows.lowerBound * columns..<offset + rows.upperBound * columns, rows: rows))
        }
        offset += counts[i]
        start = offset
        continue
      }
      if !members.isEmpty && offset - start + counts[i] > capacity {
        buckets.append(Bucket(members: members, range: start..<offset))
        members = []
        start = offset
      }
      placement[i] = (buckets.count, offset)
      members.append(i)
      offset += counts[i]
    }
    if !members.isEmpty { buckets.append(Bucket(members: members, range: start..<offset)) }
    return (buckets, placement, offset)
  }

  /// The number of buckets and their sizes in elements (launch order).
  public var bucketSizes: [Int] { buckets.map(\.range.count) }


  // MARK: - One step

  /// Prepares the reduction of one step's gradients. `sampleShare` is this rank's part of the
  /// global batch (its samples ÷ the global batch's): gradients of per-rank mean losses are
  /// weighted by it, so the sum over ranks is the gradient of the global batch's mean loss,
  /// even when a short last batch splits unevenly.
  public func beginStep(sampleShare: Float) {
    precondition(!collecting || nextToStart == 0, "DataParallel.beginStep: the previous step's reductions were started but never finished")
    share = sampleShare
    for b in buckets.indices { readyCount[b] = 0; pending[b] = nil; inPlace[b] = nil; inPlaceBuffer[b] = nil }
    blockGradient = nil
    for i in arrived.indices { arrived[i] = false }
    nextToStart = 0
    collecting = true
    seededWithShare = false
    metricsPending = nil
    metricCount = 0
    precondition(shardsUpdates || !shardedStateIsStale,
                 "DataParallel.beginStep: sharding was turned off while each rank's optimizer state is current only on its shards; call completeState(of:) on every rank first")
    shared?.beginStep()
    stepShards = shardsUpdates && shared != nil
    bucketsShardedLastStep = 0
    blocksInSharedMemory = false
    // No zero-fill of the buckets: every gradient that arrives overwrites its part, and
    // finishGradients() zeroes only the parts of parameters the loss did not reach.
  }

  /// Runs `loss.backward()` seeded with this rank's sample share instead of 1, so that every
  /// gradient comes out already weighted (d(share · L)/dθ = share · dL/dθ) and is reduced as it
  /// is, with no scaling pass over it. Gives the same bits as `loss.backward()` (after which the
  /// share is applied while packing): a share that is not a power of two is applied that way.
  public func backward(_ loss: Tensor<Float>) {
    precondition(collecting, "DataParallel.backward(_:) without beginStep(sampleShare:)")
    // Only a power of two (equal shards on 2ⁿ ranks, the usual case) scales every gradient
    // exactly; another share would round differently from scaling afterwards, and a ReLU
    // near zero can turn that ulp into a visible difference later: those are scaled when packed.
    guard share != 1, share.isNormal, share.significandBitPattern == 0 else { loss.backward(); return }
    seededWithShare = true
    loss.backward(gradient: Tensor(shape: loss.shape, scalars: Array(repeating: share, count: loss.count)))
  }

  /// Starts summing this step's `values` (loss × samples, correct predictions, samples) over
  /// the ranks, before `backward()`, so that the reduction runs while backward does; the sums
  /// come back from `finishGradients()`. Call it on every rank, with as many values, or on none.
  /// - Throws: `CommunicatorError` when the reduction cannot start.
  public func shareMetrics(_ values: [Double]) throws {
    precondition(collecting && metricsPending == nil && values.count <= Self.metricCapacity,
                 "DataParallel.shareMetrics: once per step, after beginStep, at most \(Self.metricCapacity) values")
    metricCount = values.count
    for (i, v) in values.enumerated() { metrics[i] = v }
    metricsPending = try communicator.startAllreduce(UnsafeMutableBufferPointer(rebasing: metrics[0..<values.count]))
  }

  /// Called by backward when parameter `i`'s gradient is final: reduce it in place (a bucket of
  /// its own) or copy it into its bucket, scaled by the share unless backward was seeded with it;
  /// start every bucket that is complete, in order; let MPI progress earlier ones.
  func gradientReady(_ i: Int, _ t: Tensor<Float>) {
    guard collecting, let g = t.grad else { return }
    let (b, offset) = placement[i]
    precondition(!arrived[i] && (b >= nextToStart || blockGradient != nil),
                 "DataParallel: a second gradient for parameter \(i) in one step (one backward() per beginStep)")
    arrived[i] = true
    let scale: Float = seededWithShare ? 1 : share
    if let (_, base) = blockGradient, buckets[b].rows != nil {
      // Written block by block: its blocks are already reduced in place (or queued).
      var storage: [Float] = []
      swap(&storage, &g.scalars)
      precondition(storage.withUnsafeBufferPointer { $0.baseAddress } == UnsafePointer(base),
                   "DataParallel: parameter \(i)'s gradient was reduced in blocks, but its .grad has other storage "
                   + "(a weight used by several ops, or gradients accumulated): use gradientBlocks: 1")
      inPlace[b] = (g, storage)
      return
    }
    if buckets[b].rows != nil {
      // A blocked parameter whose op did not write it in blocks: reduce its blocks in place.
      var storage: [Float] = []
      swap(&storage, &g.scalars)
      let whole = storage.withUnsafeMutableBufferPointer { x in
        if scale != 1 { for k in x.indices { x[k] *= scale } }
        return x
      }
      inPlace[b] = (g, storage)
      // (`g` is empty now: its storage was moved out.)
      let columns = parameters[i].count / parameters[i].shape[0]
      var block = b
      while block < buckets.count, let r = buckets[block].rows, buckets[block].members == [i] {
        inPlaceBuffer[block] = UnsafeMutableBufferPointer(rebasing: whole[r.lowerBound * columns..<r.upperBound * columns])
        readyCount[block] = 1
        block += 1
      }
      try? startReadyBuckets(force: false)
      return
    }
    if buckets[b].members.count == 1 {
      // Move the storage out of the tensor: this object is then its only owner, so its address
      // is stable and nothing reads or copies it until finishGradients() moves it back.
      var storage: [Float] = []
      swap(&storage, &g.scalars)
      storage.withUnsafeMutableBufferPointer { x in
        if scale != 1 { for k in x.indices { x[k] *= scale } }
      }
      inPlace[b] = (g, storage)
      inPlaceBuffer[b] = inPlace[b]!.storage.withUnsafeMutableBufferPointer { $0 }
    } else {
      let stage = staging + offset
      g.scalars.withUnsafeBufferPointer { source in
        if scale == 1 {
          stage.update(from: source.baseAddress!, count: source.count)
        } else {
          for k in 0..<source.count { stage[k] = source[k] * scale }
        }
      }
    }
    readyCount[b] += 1
    try? startReadyBuckets(force: false)
    for k in 0..<nextToStart where pending[k]?.isComplete == false { _ = try? communicator.test(&pending[k]!) }
    shared?.progress()
  }

  /// Called by the blocked parameter's op when `rows` of its gradient `g` are written: scale
  /// them unless backward was seeded with the share, and start every bucket that is ready.
  func blockReady(_ g: Tensor<Float>, _ rows: Range<Int>) {
    guard collecting else { return }
    let i = 0, first = placement[i].bucket
    if blockGradient == nil {
      // `g` is new and its storage unique: the address stays valid while we hold `g`.
      blockGradient = (g, g.scalars.withUnsafeMutableBufferPointer { $0.baseAddress! })
    }
    precondition(blockGradient!.tensor === g, "DataParallel: the blocked parameter's gradient was written twice in one step")
    guard let b = (first..<buckets.count).first(where: { buckets[$0].rows == rows }) else {
      preconditionFailure("DataParallel: rows \(rows) are not one of the parameter's \(gradientBlocks) blocks")
    }
    let columns = g.count / g.shape[0]
    let block = UnsafeMutableBufferPointer(start: blockGradient!.base + rows.lowerBound * columns, count: rows.count * columns)
    // The op wrote the rows into shared memory when it asked for a destination (the sums will
    // fill `block`, unless the step is sharded: then the weights are updated from the shards and
    // `block` stays unread), else into `block`.
    let written = blocksInSharedMemory ? UnsafeMutableBufferPointer(start: staging + buckets[b].range.lowerBound, count: block.count) : block
    if !seededWithShare && share != 1 { for k in written.indices { written[k] *= share } }
    inPlaceBuffer[b] = block
    readyCount[b] = 1
    try? startReadyBuckets(force: false)
    shared?.progress()
  }

  /// The index, within its parameter, of bucket `b`'s first element (a row block starts inside it).
  func firstElement(of b: Int) -> Int { buckets[b].range.lowerBound - placement[buckets[b].members[0]].offset }

  /// The elements of bucket `b`'s parameter that rank `r` sums and updates when `b` is sharded.
  func shardElements(_ b: Int, of r: Int) -> Range<Int> {
    let first = firstElement(of: b), mine = shared!.shard(b, of: r)
    return first + mine.lowerBound..<first + mine.upperBound
  }

  /// Applies `update` (`PiecewiseUpdate.apply` of `optimizer.step(deferring: shardedParameters)`)
  /// to this rank's shard of each parameter `finishGradients()` left to the shards, giving it
  /// each piece of the gradient as the ranks' sum in rank order (the bits that would have been
  /// written into `.grad`) when it asks, and taking each updated piece into shared memory; then
  /// copies the other ranks' updated shards (ZeRO stage 1 on one host: see `shardsUpdates`). Every
  /// rank ends with the same weights, bit for bit those of `step()` from `.grad`. The optimizer's
  /// state of the other ranks' shards is not updated on this rank: `completeShardedState(_:)`
  /// brings it in.
  /// - Throws: `DistributedError.rankLost` when another rank's weights do not come within `timeout`.
  public func applyShardedUpdates(
    _ update: (_ parameter: Int, _ elements: Range<Int>, _ gradient: (Range<Int>, UnsafeMutablePointer<Float>) -> Void,
               _ updated: (Range<Int>, UnsafePointer<Float>) -> Void) -> Void
  ) throws {
    guard let shared, !shardedParameters.isEmpty else { return }
    defer { shardedParameters = [] }
    // finishGradients() leaves every bucket of one parameter to the shards, or none.
    let sharded = ownBuckets
    bucketsShardedLastStep = sharded.count
    for b in sharded {
      let start = firstElement(of: b)
      update(buckets[b].members[0], shardElements(b, of: rank), { piece, into in
        shared.sumShard(b, piece.lowerBound - start..<piece.upperBound - start, into: into)
      }, { piece, weights in
        // Straight from the optimizer's piece, still in cache, over this rank's gradient shard.
        shared.writeWeights(b, piece.lowerBound - start..<piece.upperBound - start, from: weights)
      })
      shared.publishWeights(b)
    }
    shardedStateIsStale = true
    let exchange = monotonicClock()
    defer { exposedCommunicationSeconds += monotonicClock() - exchange }
    try watching("the weight exchange") {
      for b in sharded {
        let start = firstElement(of: b)
        try parameters[buckets[b].members[0]].update { values in
          try values.withUnsafeMutableBufferPointer { try shared.gatherWeights(b, into: $0.baseAddress! + start, timeout: timeout) }
        }
      }
    }
  }

  /// Drops the sharded updates of the last step (a step that must not be applied, such as one
  /// with a non-finite loss, which every rank sees alike as the loss is reduced): those
  /// parameters keep their values. A rank that drops a step the others apply (an anomaly only it
  /// detected) leaves them waiting for its weights until `timeout` (`DistributedError.rankLost`).
  public func discardShardedUpdates() {
    shared?.discardShardedUpdates()
    shardedParameters = []
  }

  /// Completes optimizer state after sharded updates (`shardedStateIsStale`): `slots` maps each
  /// state name (such as `momentum_buffer`) to one buffer per parameter (or nil), as
  /// `OptimizerState.slots` does. Of each sharded parameter's buffers, only this rank's shard is
  /// up to date here; afterwards every rank holds every rank's shard. Collective: every rank
  /// calls it alike (an allreduce per buffer, in which the other ranks add −0: that leaves each
  /// value's bits as they are, −0 and NaN included). Does nothing when no sharded update ran
  /// since the last call.
  /// - Throws: `DistributedError.rankLost` when a rank does not answer within `timeout`.
  public func completeShardedState(_ slots: inout [String: [[Float]?]]) throws {
    guard shared != nil, shardedStateIsStale else { return }
    for name in slots.keys.sorted() {  // the same order on every rank (a dictionary's is not)
      precondition(slots[name]!.count == parameters.count,
                   "DataParallel.completeShardedState: \(slots[name]!.count) '\(name)' buffers for \(parameters.count) parameters")
      for i in ownBucketParameters {
        guard let values = slots[name]![i] else { continue }
        precondition(values.count == parameters[i].count,
                     "DataParallel.completeShardedState: parameter \(i) has \(parameters[i].count) elements, its '\(name)' \(values.count)")
        // This rank's shard of each of the parameter's buckets, −0 elsewhere.
        var kept = [Float](repeating: -0.0, count: values.count)
        for b in ownBuckets where buckets[b].members[0] == i {
          let elements = shardElements(b, of: rank)
          kept[elements] = values[elements]
        }
        try watching("the optimizer state exchange") {
          try kept.withUnsafeMutableBufferPointer { buffer in
            var pending = try communicator.startAllreduceSum(buffer)
            try communicator.wait(&pending, timeout: timeout)
          }
        }
        slots[name]![i] = kept
      }
    }
    shardedStateIsStale = false
  }

  /// Where this step's buckets are assembled, at their offsets in `flat`: this rank's shared
  /// memory for the step, or `flat` itself when MPI reduces.
  var staging: UnsafeMutablePointer<Float> { shared?.stepBase ?? flat.baseAddress! }

  /// The blocked parameter's op asks where to write its gradient blocks: in shared memory, they
  /// are where the other ranks read them, with no copy.
  func blockDestination() -> UnsafeMutablePointer<Float>? {
    guard collecting, shared != nil else { return nil }
    blocksInSharedMemory = true
    return staging + placement[0].offset
  }

  func startReadyBuckets(force: Bool) throws {
    while nextToStart < buckets.count, force || readyCount[nextToStart] == buckets[nextToStart].members.count {
      let b = nextToStart
      // The bucket's data is assembled in `stage` (this rank's shared memory, or `flat` for
      // MPI), and its sum over ranks lands in `buffer` (MPI reduces in place: the same memory).
      let range = buckets[b].range
      let stage = UnsafeMutableBufferPointer(start: staging + range.lowerBound, count: range.count)
      let buffer: UnsafeMutableBufferPointer<Float>
      if let inPlace = inPlaceBuffer[b] {
        // The storage stays owned by `inPlace[b]` (or `blockGradient`), unchanged, until the
        // reduction has finished: the pointer outlives its closure only under that rule (as MPI
        // needs of any buffer).
        buffer = inPlace
        // A parameter's own .grad, or blocks the op wrote there: copied into shared memory.
        if shared != nil && !(blocksInSharedMemory && buckets[b].rows != nil) { _ = stage.update(fromContentsOf: inPlace) }
      } else if buckets[b].rows != nil {
        // The loss did not reach the blocked parameter: its rows add zeros.
        stage.update(repeating: 0)
        buffer = UnsafeMutableBufferPointer(rebasing: flat[range])
      } else {
        for i in buckets[b].members where !arrived[i] {
          // The loss did not reach this parameter (or the shard was empty): it adds zeros.
          (staging + placement[i].offset).update(repeating: 0, count: parameters[i].count)
        }
        buffer = UnsafeMutableBufferPointer(rebasing: flat[range])
      }
      if let shared {
        shared.publish(b, into: buffer, sharded: stepShards && buckets[b].members.count == 1)
      } else {
        pending[b] = try communicator.startAllreduceSum(buffer)
      }
      nextToStart += 1
      bucketsStarted.total += 1
      if !force { bucketsStarted.duringBackward += 1 }
    }
  }

  /// Finishes the step's reduction after `backward()`: starts the buckets not started yet
  /// (parameters the loss did not reach, or an empty shard, contribute zeros), waits for all,
  /// and writes the averaged gradient into every parameter's `.grad`. Returns the sums over
  /// ranks of the values given to `shareMetrics(_:)` (empty when it was not called).
  /// - Throws: `DistributedError.rankLost` when a rank does not answer within `timeout` seconds.
  @discardableResult
  public func finishGradients() throws -> [Double] {
    precondition(collecting, "DataParallel.finishGradients() without beginStep(sampleShare:)")
    collecting = false
    let start = monotonicClock()
    try watching("the gradient allreduce") {
      try startReadyBuckets(force: true)
      if let shared {
        try shared.finish(timeout: timeout)
      } else {
        for b in buckets.indices { try communicator.wait(&pending[b]!, timeout: timeout) }
      }
      if metricsPending != nil { try communicator.wait(&metricsPending!, timeout: timeout) }
    }
    exposedCommunicationSeconds += monotonicClock() - start
    bucketsReducedInPlace = 0
    blockGradient = nil
    shardedParameters = stepShards ? Set(ownBucketParameters) : []
    defer {
      // A sharded parameter's .grad was never filled: nothing may read it.
      for i in shardedParameters { parameters[i].grad = nil }
    }
    for b in buckets.indices {
      let wasInPlace = inPlaceBuffer[b] != nil
      if wasInPlace { bucketsReducedInPlace += 1 }
      inPlaceBuffer[b] = nil
      if let (g, storage) = inPlace[b] {
        inPlace[b] = nil  // drop this reference first: the tensor's storage is unique again
        g.scalars = storage
        continue
      }
      // A later block of a blocked parameter: put back (or copied from `flat`) with its first.
      // A sharded one: its sum was not written anywhere.
      if wasInPlace || (stepShards && buckets[b].members.count == 1) || (buckets[b].rows != nil && placement[buckets[b].members[0]].bucket != b) { continue }
      for i in buckets[b].members {
        let p = parameters[i], offset = placement[i].offset
        let reduced = UnsafeMutableBufferPointer(rebasing: flat[offset..<offset + p.count])
        if let g = p.grad, g.count == p.count {
          g.scalars.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: reduced) }
        } else {
          p.grad = Tensor(shape: p.shape, scalars: Array(reduced))
        }
      }
    }
    if !buffers.isEmpty {
      // Buffers (batch-norm statistics) follow rank 0's, as DDP's broadcast_buffers does.
      for t in buffers { try communicator.broadcast(&t.scalars, root: 0) }
    }
    return Array(metrics[0..<metricCount])
  }
}
