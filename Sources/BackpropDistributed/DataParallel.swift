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
/// Gradient blocks (`gradientBlocks` > 1, or nil: automatic): the first parameter, when it is a matrix with a
/// bucket of its own (the first `Linear` layer's weight, most of an MLP's gradient and the last
/// one backward produces), is reduced in row blocks, one bucket each: its op writes ∂L/∂W block
/// by block (`Tensor.gradientBlockHook`) and each block's allreduce starts as soon as it is
/// written, in place, while the next block is computed. Launch order puts these buckets before
/// the parameter after it (that layer's bias, produced by the same op). The weight must feed one
/// op only (no tied weights). With Backprop's own GEMM the bits are those of
/// `gradientBlocks: 1`; with OpenBLAS a block may differ in the last bit (OpenBLAS picks its
/// kernel by the product's size), the same on every rank, so replicas stay bit-identical.
///
/// One host (2 to `SharedMemoryReduction.maximumRanks` ranks, all on this machine, and
/// `sharedMemory: true`): buckets are not sent but summed in memory the ranks share. Each rank
/// assembles its buckets in its own shared segment (the first layer's weight-gradient GEMM
/// writes there directly, no copy, in one piece or in its row blocks), raises a flag per bucket, and sums every rank's
/// segment, in rank order, straight into its `.grad` storage as soon as all ranks have raised
/// theirs: the same bits on every rank, and for 2 ranks the same bits as `MPI_Iallreduce`.
/// Otherwise (ranks on other hosts, more ranks, or `sharedMemory: false`) `MPI_Iallreduce` as
/// above. On one host the optimizer step of the large parameters can also be sharded
/// (`shardsUpdates`, ZeRO stage 1): each rank sums and updates only its shard, and the ranks
/// copy each other's updated weights. With an optimizer of BackpropOptim, a training loop of
/// one's own calls (BackpropTraining's extension):
///
/// ```swift
/// try parallel.allowShardedUpdates(for: optimizer, enabled: true, clips: false)
/// … backward, finishGradients() as above …
/// try parallel.step(optimizer)          // instead of optimizer.step()
/// try parallel.completeState(of: optimizer)  // on every rank, before saving a checkpoint
/// ```
///
/// Every wait gives up after `timeout` seconds (a lost rank) with `DistributedError.rankLost`
/// instead of hanging.
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
  /// Seconds spent waiting for gradient reductions after backward returned, and exchanging
  /// the updated weights of sharded steps, summed since the last `resetTimers()`: the
  /// communication that backward did not hide.
  public internal(set) var exposedCommunicationSeconds = 0.0
  /// Buckets whose allreduce started while backward was still running, and all buckets
  /// started, since the last `resetTimers()` (the overlap actually achieved).
  public internal(set) var bucketsStarted = (duringBackward: 0, total: 0)

  /// Buckets reduced in place in a parameter's `.grad` storage (no packing), in the last step.
  public internal(set) var bucketsReducedInPlace = 0
  /// Row blocks the first parameter's gradient is reduced in (1: not split).
  public let gradientBlocks: Int
  /// Whether gradients are summed in memory shared by the ranks (all on one host) rather than
  /// by `MPI_Iallreduce`; see `init(parameters:…)`.
  public var reducesInSharedMemory: Bool { shared != nil }
  /// Whether the optimizer step is sharded across the ranks (ZeRO stage 1, on one host only:
  /// `reducesInSharedMemory`). `finishGradients()` then leaves the sums of the buckets of one
  /// parameter (the large ones) to `applyShardedUpdates(_:)`: each rank adds the ranks'
  /// gradients over its shard of the elements only (1/ranks of them), a piece at a time, hands
  /// each piece to the optimizer's update (`PiecewiseOptimizer.step(deferring:)`), and the ranks
  /// then copy each other's updated shards. Each rank sums and updates 1/ranks of those weights
  /// instead of all of them, and the sum is never written into `.grad` and read back; the weights
  /// get the bits of `step()` from `.grad`, the same on every rank. The optimizer's state (momentum,
  /// Adam's moments) of the other ranks' shards is stale on each rank until
  /// `completeShardedState(_:)` (before a checkpoint, and before turning this off: `beginStep`
  /// stops on stale state without it). Set it only when nothing reads those gradients between
  /// `finishGradients()` and the update (no gradient clipping); their `.grad` is `nil` after
  /// `finishGradients()`.
  public var shardsUpdates = false
  /// Whether a sharded update ran since the last `completeShardedState(_:)`: each rank's
  /// optimizer state is then up to date only on its own shards.
  public internal(set) var shardedStateIsStale = false
  /// The parameters (indices into the group's parameters) whose update the last
  /// `finishGradients()` left to the shards: apply it with `applyShardedUpdates(_:)` (or drop it
  /// with `discardShardedUpdates()`) before the next `beginStep`.
  public internal(set) var shardedParameters: Set<Int> = []
  /// Buckets whose sum and update the last step sharded (0: none, the optimizer stepped from `.grad`).
  public internal(set) var bucketsShardedLastStep = 0
  /// `shardsUpdates` as this step began (with shared memory): what its buckets do.
  var stepShards = false
  /// The reduction on one host, when used.
  var shared: SharedMemoryReduction?

  let parameters: [Tensor<Float>]
  let buffers: [Tensor<Float>]
  /// The buckets, in launch order: ranges of parameter indices (descending) and their offsets in `flat`.
  let buckets: [Bucket]
  /// The buckets of one parameter (reduced in place; sharded when `shardsUpdates`), and their
  /// parameters, in ascending order.
  let ownBuckets: [Int], ownBucketParameters: [Int]
  /// Parameter index → (bucket index, offset of the parameter in `flat`).
  let placement: [(bucket: Int, offset: Int)]
  /// One contiguous buffer for all gradients, in bucket order: packed buckets live here, and a
  /// one-parameter bucket falls back to it when its parameter got no gradient this step.
  let flat: UnsafeMutableBufferPointer<Float>
  /// Whether parameter i's gradient arrived this step (the others are reduced as zeros).
  var arrived: [Bool]
  /// One-parameter buckets reduced in place: the `.grad` tensor, and its storage, moved out of
  /// it while MPI writes into it (so nothing else can copy or resize it), moved back afterwards.
  var inPlace: [(grad: Tensor<Float>, storage: [Float])?]
  /// Where each bucket reduced in place is, once its gradient (or block) is written.
  var inPlaceBuffer: [UnsafeMutableBufferPointer<Float>?]
  /// The blocked parameter's gradient tensor while its op writes it block by block (kept alive
  /// until finishGradients(), as MPI works in its storage), and the storage's address.
  var blockGradient: (tensor: Tensor<Float>, base: UnsafeMutablePointer<Float>)?
  /// Whether the blocked parameter's op wrote this step's blocks into shared memory
  /// (`blockDestination()`): those buckets need no copy there before publishing.
  var blocksInSharedMemory = false
  /// Whether the last step's first-layer gradient was written by its op straight into the
  /// memory the ranks share (no copy; not under anomaly detection, nor with `gradientBlocks: 1`).
  public var firstGradientWrittenToSharedMemory: Bool { blocksInSharedMemory }
  /// Whether this step's backward was seeded with `share` (`backward(_:)`): no scaling pass.
  var seededWithShare = false
  var readyCount: [Int]
  var pending: [PendingReduction?]
  var nextToStart = 0
  /// This step's metrics, summed over ranks in flight beside the gradients.
  let metrics = UnsafeMutableBufferPointer<Double>.allocate(capacity: DataParallel.metricCapacity)
  var metricCount = 0
  var metricsPending: PendingReduction?
  static let metricCapacity = 16
  var share: Float = 1
  var collecting = false

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
  ///   - gradientBlocks: row blocks for the first parameter's gradient (1: none; see above);
  ///     nil: 4 for `MPI_Iallreduce`; in shared memory one block, which the op writes straight
  ///     there (so the first parameter must feed one op only, as with any blocks). On one host a
  ///     rank's own core does the sums, so blocks hide nothing, and each block re-packs the
  ///     layer's input inside the GEMM (W2, 2 ranks, three alternating A/Bs on 2026-12-06: one
  ///     block written straight into shared memory ahead of 2 blocks in 9 of 15 rounds, backward
  ///     10–30 µs a step shorter in quiet rounds); over MPI more blocks hide more of the transfer.
  ///   - sharedMemory: when every rank runs on this host, sum the buckets in memory the ranks
  ///     share (`SharedMemoryReduction`) instead of by `MPI_Iallreduce`; used only if every rank
  ///     asks for it (a collective decides).
  /// - Throws: `TensorError.invalidArgument` for a bucket size or timeout that is not positive;
  ///   `CommunicatorError` when the ranks cannot agree or share memory.
  public convenience init<Model: Layer>(
    _ model: Model, communicator: Communicator, bucketBytes: Int = 256 << 10, timeout: Double = 20, gradientBlocks: Int? = 1,
    sharedMemory: Bool = true
  ) throws where Model.Scalar == Float {
    try self.init(parameters: model.parameters, buffers: model.namedBuffers.map(\.1), communicator: communicator,
                  bucketBytes: bucketBytes, timeout: timeout, gradientBlocks: gradientBlocks, sharedMemory: sharedMemory)
  }

  /// Wraps `parameters` (and `buffers`, kept equal to rank 0's) for training on `communicator`'s
  /// ranks. Collective (every rank constructs its group alike).
  public init(parameters: [Tensor<Float>], buffers: [Tensor<Float>] = [], communicator: Communicator,
              bucketBytes: Int = 256 << 10, timeout: Double = 20, gradientBlocks: Int? = 1, sharedMemory: Bool = true) throws {
    guard bucketBytes > 0 else {
      throw TensorError.invalidArgument(op: "DataParallel", message: "the bucket size must be positive, got \(bucketBytes) bytes")
    }
    guard timeout > 0, timeout.isFinite else {
      throw TensorError.invalidArgument(op: "DataParallel", message: "the timeout must be positive, got \(timeout) s")
    }
    if let gradientBlocks, gradientBlocks < 1 {
      throw TensorError.invalidArgument(op: "DataParallel", message: "the gradient blocks must be at least 1, got \(gradientBlocks)")
    }
    self.parameters = parameters
    self.buffers = buffers
    self.communicator = communicator
    self.bucketBytes = bucketBytes
    self.timeout = timeout
    var wantsSharedMemory = false
    if (2...SharedMemoryReduction.maximumRanks).contains(communicator.size) {
      // All ranks must take the same path: shared memory only when every rank asked for it.
      var declined = [sharedMemory ? 0.0 : 1.0]
      try communicator.allreduce(&declined, maximum: true, timeout: timeout)
      wantsSharedMemory = declined[0] == 0
    }
    // Blocks only for a matrix with a bucket of its own: a smaller one is packed with others.
    // In shared memory, by default (nil), even one block goes through the op's hooks, which
    // write it there; an explicit 1 means no blocks at all (a tied first weight stays safe).
    func plan(blocks: Int, sharedMemory: Bool) -> (blocked: (parameter: Int, rows: Int, blocks: Int)?, layout: (buckets: [Bucket], placement: [(bucket: Int, offset: Int)], total: Int)) {
      let blocked = parameters.first.flatMap { p in
        (blocks > 1 || sharedMemory) && p.rank == 2 && p.shape[0] > 1 && p.count * MemoryLayout<Float>.size >= bucketBytes
          ? (parameter: 0, rows: p.shape[0], blocks: min(blocks, p.shape[0])) : nil
      }
      return (blocked, Self.bucketLayout(counts: parameters.map(\.count), bucketBytes: bucketBytes, blocked: blocked))
    }
    var (blocked, layout) = plan(blocks: gradientBlocks ?? (wantsSharedMemory ? 1 : 4), sharedMemory: wantsSharedMemory && gradientBlocks == nil)
    if wantsSharedMemory {
      // nil when some rank is on another host (decided alike on every rank): MPI_Iallreduce.
      shared = try SharedMemoryReduction(communicator: communicator, buckets: layout.buckets.map(\.range), total: layout.total)
      if shared == nil { (blocked, layout) = plan(blocks: gradientBlocks ?? 4, sharedMemory: false) }
    }
    self.gradientBlocks = blocked?.blocks ?? 1
    buckets = layout.buckets
    ownBuckets = layout.buckets.indices.filter { layout.buckets[$0].members.count == 1 }
    ownBucketParameters = Set(ownBuckets.map { layout.buckets[$0].members[0] }).sorted()
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
      p.gradientBlockDestination = { [unowned self] in self.blockDestination() }
    }
  }

  deinit {
    for p in parameters {
      p.gradientReadyHook = nil; p.gradientBlockHook = nil; p.gradientBlockDestination = nil; p.gradientBlocks = 1
    }
    flat.deallocate()
    metrics.deallocate()
  }

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

  // MARK: - Other collectives (the step's reductions are in DataParallel+Buckets.swift)

  /// Sums `values` over all ranks (metrics: loss × samples, correct predictions, samples).
  public func sum(_ values: [Double]) throws -> [Double] {
    var v = values
    try watching("the metrics allreduce") { try communicator.allreduce(&v, timeout: timeout) }
    return v
  }

  /// Runs `body`, turning a timed-out collective into `DistributedError.rankLost`.
  func watching(_ during: String, _ body: () throws -> Void) throws {
    do { try body() } catch let error as CommunicatorError where error.timedOut {
      throw DistributedError.rankLost(rank: rank, suspects: (0..<size).filter { $0 != rank }, seconds: timeout, during: during)
    } catch let silent as SharedMemoryReduction.RanksSilent {
      // Shared memory shows which ranks did not hand over their gradients.
      let suspects = silent.ranks.isEmpty ? (0..<size).filter { $0 != rank } : silent.ranks
      throw DistributedError.rankLost(rank: rank, suspects: suspects, seconds: timeout, during: during)
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
