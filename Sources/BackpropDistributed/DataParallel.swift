import BackpropCore
import BackpropKernels
import BackpropNN

/// Data-parallel training over the processes of an `mpirun` job (PyTorch's
/// `DistributedDataParallel`, Horovod): every rank holds a full copy of the model, runs forward
/// and backward on its own shard of each global batch, and the gradients are averaged across
/// ranks before the optimizer step, so every rank takes the same step and the copies stay
/// bit-identical.
///
/// ```swift
/// let world = try Communicator()                       // under mpirun -np N
/// let parallel = try DataParallel(model, communicator: world)
/// try parallel.broadcastInitialState()                 // rank 0's weights everywhere
/// for step in … {
///   parallel.beginStep(sampleShare: Float(local.count) / Float(global.count))
///   model.zeroGrad(); let loss = loss(local)
///   try parallel.shareMetrics([Double(loss.item) * n, n]) // summed while backward runs
///   loss.backward()                                    // buckets start during backward
///   let sums = try parallel.finishGradients()          // ∑ᵣ shareᵣ · ∇Lᵣ in every .grad
///   optimizer.step()
/// }
/// ```
///
/// Buckets: the gradients are grouped, in reverse parameter order (the order backward produces
/// them), into buckets of about `bucketBytes` bytes. When the last gradient of a bucket is ready
/// (`Tensor.gradientReadyHook`), the bucket's `MPI_Iallreduce` starts, so the communication of
/// the last layers overlaps backward through the first ones. Buckets always start in index
/// order, the same on every rank, as MPI requires of collectives.
///
/// A parameter with a bucket of its own (any parameter of `bucketBytes` or more: most of a
/// model's gradient) is reduced in place in its `.grad` storage, PyTorch's
/// `gradient_as_bucket_view`: no copy into a bucket and back. Smaller parameters are packed
/// into a shared buffer and copied back into their `.grad` storage afterwards. Until
/// `finishGradients()` returns, the `.grad` of a parameter being reduced in place is empty.
/// `backward(_:)` seeds backward with this rank's share, so the gradients need no scaling pass.
///
/// Gradient blocks (`gradientBlocks` > 1): the first parameter, when it is a matrix with a
/// bucket of its own (the first `Linear` layer's weight, most of an MLP's gradient and the last
/// one backward produces), is reduced in row blocks, one bucket each: its op writes ∂L/∂W block
/// by block (`Tensor.gradientBlockHook`) and each block's allreduce starts as soon as it is
/// written, in place, while the next block is computed. Launch order puts these buckets before
/// the parameter after it (that layer's bias, produced by the same op). The weight must feed one
/// op only (no tied weights); the bits are those of `gradientBlocks: 1`.
///
/// Every wait gives up after `timeout` seconds (a lost rank) with a `CommunicatorError` instead
/// of hanging.
public final class DataParallel {
  /// The processes that train together.
  public let communicator: Communicator
  /// This process's rank.
  public var rank: Int { communicator.rank }
  /// The number of ranks.
  public var size: Int { communicator.size }
  /// The target size of one bucket in bytes (a parameter larger than this gets its own bucket).
  public let bucketBytes: Int
  /// Seconds any collective may take before the run is declared broken (a lost rank).
  public var timeout: Double
  /// Seconds spent waiting for gradient reductions after backward returned, summed since the
  /// last `resetTimers()`: the communication that backward did not hide.
  public private(set) var exposedCommunicationSeconds = 0.0
  /// Buckets whose allreduce started while backward was still running, and all buckets
  /// started, since the last `resetTimers()` (the overlap actually achieved).
  public private(set) var bucketsStarted = (duringBackward: 0, total: 0)

  /// Buckets reduced in place in a parameter's `.grad` storage (no packing), in the last step.
  public private(set) var bucketsReducedInPlace = 0
  /// Row blocks the first parameter's gradient is reduced in (1: not split).
  public let gradientBlocks: Int

  let parameters: [Tensor<Float>]
  let buffers: [Tensor<Float>]
  /// The buckets, in launch order: ranges of parameter indices (descending) and their offsets in `flat`.
  let buckets: [Bucket]
  /// Parameter index → (bucket index, offset of the parameter in `flat`).
  private let placement: [(bucket: Int, offset: Int)]
  /// One contiguous buffer for all gradients, in bucket order: packed buckets live here, and a
  /// one-parameter bucket falls back to it when its parameter got no gradient this step.
  private let flat: UnsafeMutableBufferPointer<Float>
  /// Whether parameter i's gradient arrived this step (the others are reduced as zeros).
  private var arrived: [Bool]
  /// One-parameter buckets reduced in place: the `.grad` tensor, and its storage, moved out of
  /// it while MPI writes into it (so nothing else can copy or resize it), moved back afterwards.
  private var inPlace: [(grad: Tensor<Float>, storage: [Float])?]
  /// Where each bucket reduced in place is, once its gradient (or block) is written.
  private var inPlaceBuffer: [UnsafeMutableBufferPointer<Float>?]
  /// The blocked parameter's gradient tensor while its op writes it block by block (kept alive
  /// until finishGradients(), as MPI works in its storage), and the storage's address.
  private var blockGradient: (tensor: Tensor<Float>, base: UnsafeMutablePointer<Float>)?
  /// Whether this step's backward was seeded with `share` (`backward(_:)`): no scaling pass.
  private var seededWithShare = false
  private var readyCount: [Int]
  private var pending: [PendingReduction?]
  private var nextToStart = 0
  /// This step's metrics, summed over ranks in flight beside the gradients.
  private let metrics = UnsafeMutableBufferPointer<Double>.allocate(capacity: DataParallel.metricCapacity)
  private var metricCount = 0
  private var metricsPending: PendingReduction?
  static let metricCapacity = 16
  private var share: Float = 1
  private var collecting = false

  struct Bucket {
    /// Parameter indices, in the order their gradients usually become ready.
    var members: [Int]
    /// The bucket's part of `flat`.
    var range: Range<Int>
    /// For one row block of a blocked parameter: its rows.
    var rows: Range<Int>? = nil
  }

  /// Wraps `model`'s parameters and buffers for training on `communicator`'s ranks.
  /// - Parameters:
  ///   - bucketBytes: target bucket size (256 KiB by default; PyTorch's default is 25 MiB, made
  ///     for much larger models than an MLP).
  ///   - timeout: seconds to wait for the other ranks before giving up (default 20).
  ///   - gradientBlocks: row blocks for the first parameter's gradient (1: none; see above).
  /// - Throws: `TensorError.invalidArgument` for a bucket size or timeout that is not positive.
  public convenience init<Model: Layer>(
    _ model: Model, communicator: Communicator, bucketBytes: Int = 256 << 10, timeout: Double = 20, gradientBlocks: Int = 1
  ) throws where Model.Scalar == Float {
    try self.init(parameters: model.parameters, buffers: model.namedBuffers.map(\.1), communicator: communicator,
                  bucketBytes: bucketBytes, timeout: timeout, gradientBlocks: gradientBlocks)
  }

  /// Wraps `parameters` (and `buffers`, kept equal to rank 0's) for training on `communicator`'s ranks.
  public init(parameters: [Tensor<Float>], buffers: [Tensor<Float>] = [], communicator: Communicator,
              bucketBytes: Int = 256 << 10, timeout: Double = 20, gradientBlocks: Int = 1) throws {
    guard bucketBytes > 0 else {
      throw TensorError.invalidArgument(op: "DataParallel", message: "the bucket size must be positive, got \(bucketBytes) bytes")
    }
    guard timeout > 0, timeout.isFinite else {
      throw TensorError.invalidArgument(op: "DataParallel", message: "the timeout must be positive, got \(timeout) s")
    }
    guard gradientBlocks >= 1 else {
      throw TensorError.invalidArgument(op: "DataParallel", message: "the gradient blocks must be at least 1, got \(gradientBlocks)")
    }
    self.parameters = parameters
    self.buffers = buffers
    self.communicator = communicator
    self.bucketBytes = bucketBytes
    self.timeout = timeout
    // Blocks only for a matrix with a bucket of its own: a smaller one is packed with others.
    let first = parameters.first
    let blocked = first.flatMap { p in
      gradientBlocks > 1 && p.rank == 2 && p.shape[0] > 1 && p.count * MemoryLayout<Float>.size >= bucketBytes
        ? (parameter: 0, rows: p.shape[0], blocks: min(gradientBlocks, p.shape[0])) : nil
    }
    self.gradientBlocks = blocked?.blocks ?? 1
    let layout = Self.bucketLayout(counts: parameters.map(\.count), bucketBytes: bucketBytes, blocked: blocked)
    buckets = layout.buckets
    placement = layout.placement
    flat = .allocate(capacity: max(1, layout.total))
    flat.initialize(repeating: 0)
    arrived = Array(repeating: false, count: parameters.count)
    inPlace = Array(repeating: nil, count: buckets.count)
    inPlaceBuffer = Array(repeating: nil, count: buckets.count)
    readyCount = Array(repeating: 0, count: buckets.count)
    pending = Array(repeating: nil, count: buckets.count)
    for (i, p) in parameters.enumerated() {
      p.gradientReadyHook = { [unowned self] t in self.gradientReady(i, t) }
    }
    if let blocked {
      let p = parameters[blocked.parameter]
      p.gradientBlocks = blocked.blocks
      p.gradientBlockHook = { [unowned self] g, rows in self.blockReady(g, rows) }
    }
  }

  deinit {
    for p in parameters { p.gradientReadyHook = nil; p.gradientBlockHook = nil; p.gradientBlocks = 1 }
    flat.deallocate()
    metrics.deallocate()
  }

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

  // MARK: - Start-up

  /// Replaces every rank's parameters and buffers by rank 0's (MPI_Bcast), so all ranks start
  /// from the same weights whatever their seeds.
  public func broadcastInitialState() throws {
    for t in parameters + buffers {
      try communicator.broadcast(&t.scalars, root: 0)
    }
  }

  /// Throws on every rank unless all ranks passed the same `configuration` text (compared by a
  /// 64-bit hash): `mpirun` started with different options on different ranks would otherwise
  /// train diverging models, or hang in a collective that only some ranks reach.
  /// - Throws: `DistributedError.configurationMismatch` naming the ranks that differ from rank 0.
  public func checkSameConfiguration(_ configuration: String) throws {
    let mine = fnv1a64(Array(configuration.utf8))
    let (root, ranks) = try compareWithRoot(mine)
    guard ranks.isEmpty else {
      throw DistributedError.configurationMismatch(rank: rank, differingRanks: ranks, hash: mine, rootHash: root)
    }
  }

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
  private func gradientReady(_ i: Int, _ t: Tensor<Float>) {
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
      let columns = g.count / parameters[i].shape[0]
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
      g.scalars.withUnsafeBufferPointer { source in
        if scale == 1 {
          _ = UnsafeMutableBufferPointer(rebasing: flat[offset..<offset + source.count]).update(fromContentsOf: source)
        } else {
          for k in 0..<source.count { flat[offset + k] = source[k] * scale }
        }
      }
    }
    readyCount[b] += 1
    try? startReadyBuckets(force: false)
    for k in 0..<nextToStart where pending[k]?.isComplete == false { _ = try? communicator.test(&pending[k]!) }
  }

  /// Called by the blocked parameter's op when `rows` of its gradient `g` are written: scale
  /// them unless backward was seeded with the share, and start every bucket that is ready.
  private func blockReady(_ g: Tensor<Float>, _ rows: Range<Int>) {
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
    if !seededWithShare && share != 1 { for k in block.indices { block[k] *= share } }
    inPlaceBuffer[b] = block
    readyCount[b] = 1
    try? startReadyBuckets(force: false)
  }

  private func startReadyBuckets(force: Bool) throws {
    while nextToStart < buckets.count, force || readyCount[nextToStart] == buckets[nextToStart].members.count {
      let b = nextToStart
      if let buffer = inPlaceBuffer[b] {
        // The storage stays owned by `inPlace[b]` (or `blockGradient`), unchanged, until the
        // reduction has finished: the pointer outlives its closure only under that rule (as MPI
        // needs of any buffer).
        pending[b] = try communicator.startAllreduceSum(buffer)
      } else if buckets[b].rows != nil {
        // The loss did not reach the blocked parameter: its rows add zeros.
        UnsafeMutableBufferPointer(rebasing: flat[buckets[b].range]).update(repeating: 0)
        pending[b] = try communicator.startAllreduceSum(UnsafeMutableBufferPointer(rebasing: flat[buckets[b].range]))
      } else {
        for i in buckets[b].members where !arrived[i] {
          // The loss did not reach this parameter (or the shard was empty): it adds zeros.
          let offset = placement[i].offset
          UnsafeMutableBufferPointer(rebasing: flat[offset..<offset + parameters[i].count]).update(repeating: 0)
        }
        pending[b] = try communicator.startAllreduceSum(UnsafeMutableBufferPointer(rebasing: flat[buckets[b].range]))
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
      if metricsPending != nil { try communicator.wait(&metricsPending!, timeout: timeout) }
      for b in buckets.indices { try communicator.wait(&pending[b]!, timeout: timeout) }
    }
    exposedCommunicationSeconds += monotonicClock() - start
    bucketsReducedInPlace = 0
    blockGradient = nil
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
      if wasInPlace || (buckets[b].rows != nil && placement[buckets[b].members[0]].bucket != b) { continue }
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

  /// Sums `values` over all ranks (metrics: loss × samples, correct predictions, samples).
  public func sum(_ values: [Double]) throws -> [Double] {
    var v = values
    try watching("the metrics allreduce") { try communicator.allreduce(&v, timeout: timeout) }
    return v
  }

  /// Runs `body`, turning a timed-out collective into `DistributedError.rankLost`.
  private func watching(_ during: String, _ body: () throws -> Void) throws {
    do { try body() } catch let error as CommunicatorError where error.timedOut {
      throw DistributedError.rankLost(rank: rank, suspects: (0..<size).filter { $0 != rank }, seconds: timeout, during: during)
    }
  }

  /// The largest of each of `values` over all ranks (e.g. an epoch's seconds).
  public func maximum(_ values: [Double]) throws -> [Double] {
    var v = values
    try watching("the metrics allreduce") { try communicator.allreduce(&v, maximum: true, timeout: timeout) }
    return v
  }

  /// Zeroes `exposedCommunicationSeconds` and `bucketsStarted`.
  public func resetTimers() { exposedCommunicationSeconds = 0; bucketsStarted = (0, 0) }

  // MARK: - Checking replicas

  /// A 64-bit FNV-1a hash of the bits of every parameter and buffer: equal on two ranks exactly
  /// when their weights are bit-identical (up to hash collisions).
  public func weightDigest() -> UInt64 { BackpropDistributed.weightDigest(of: parameters + buffers) }

  /// Throws unless every rank's `weightDigest()` equals rank 0's.
  /// - Throws: `DistributedError.replicasDiverged` naming the ranks that differ.
  public func checkReplicasIdentical() throws {
    let digest = weightDigest()
    let (root, ranks) = try compareWithRoot(digest)
    guard ranks.isEmpty else { throw DistributedError.replicasDiverged(rank: rank, differingRanks: ranks, digest: digest, rootDigest: root) }
  }

  /// Broadcasts rank 0's `value`; returns it and the ranks whose own `value` differs (on every rank).
  private func compareWithRoot(_ value: UInt64) throws -> (root: UInt64, differing: [Int]) {
    var bytes = withUnsafeBytes(of: value.littleEndian) { Array($0) }
    try communicator.broadcast(&bytes, root: 0)
    let root = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    var differs = [Double](repeating: 0, count: size)
    differs[rank] = value == root ? 0 : 1
    try watching("a comparison with rank 0") { try communicator.allreduce(&differs, timeout: timeout) }
    return (root, differs.indices.filter { differs[$0] != 0 })
  }
}

/// A 64-bit FNV-1a hash of the bits of `tensors`' elements, in order.
public func weightDigest(of tensors: [Tensor<Float>]) -> UInt64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for t in tensors {
    t.scalars.withUnsafeBytes { bytes in
      for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    }
  }
  return hash
}

/// FNV-1a over `bytes`.
func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
  return hash
}
