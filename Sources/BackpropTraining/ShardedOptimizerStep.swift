import BackpropDistributed
import BackpropOptim

// The optimizer step of a data-parallel group, sharded across the ranks where it can be
// (`DataParallel.shardsUpdates`, ZeRO stage 1 on one host): shared by `Trainer` and
// `LanguageModelTrainer`, and public for a training loop of one's own.
extension DataParallel {
  /// Shards the coming steps' updates of the large parameters when `enabled`, the ranks sum in
  /// shared memory, `optimizer` updates piecewise (SGD, Adam, AdamW) and nothing reads the
  /// gradients before its step (`clips` is false). Turning sharding off completes the
  /// optimizer's state first (`completeState(of:)`), so the next full step starts from the
  /// same state on every rank. Collective: every rank calls it alike.
  /// - Throws: `DistributedError.rankLost` when completing the state finds a rank lost.
  public func allowShardedUpdates(for optimizer: any Optimizer<Float>, enabled: Bool, clips: Bool) throws {
    let shards = enabled && reducesInSharedMemory && !clips && optimizer is any PiecewiseOptimizer<Float>
    if !shards { try completeState(of: optimizer) }
    shardsUpdates = shards
  }

  /// `optimizer.step()` after `finishGradients()`: the sharded parameters updated shard by
  /// shard from the ranks' summed pieces (`applyShardedUpdates(_:)`), the others from `.grad`
  /// as usual.
  /// - Throws: `DistributedError.rankLost` when another rank's updated weights do not come.
  public func step(_ optimizer: any Optimizer<Float>) throws {
    guard !shardedParameters.isEmpty else { return optimizer.step() }
    guard let piecewise = optimizer as? any PiecewiseOptimizer<Float> else {
      preconditionFailure("DataParallel.step: this step was sharded (shardsUpdates) but \(type(of: optimizer)) cannot update piecewise; "
        + "use allowShardedUpdates(for:enabled:clips:)")
    }
    try applyShardedUpdates(piecewise.step(deferring: shardedParameters).apply)
  }

  /// Brings every rank's shards of `optimizer`'s state (momentum, Adam's moments) to every rank
  /// after sharded steps (`completeShardedState(_:)`), so that `optimizer.state` is whole: call
  /// it on every rank before saving a checkpoint. Does nothing when no sharded step ran since.
  /// - Throws: `DistributedError.rankLost` when a rank does not answer.
  public func completeState(of optimizer: any Optimizer<Float>) throws {
    guard shardedStateIsStale else { return }
    var state = optimizer.state
    try completeShardedState(&state.slots)
    try optimizer.loadState(state)
  }
}

extension Optimizer where Scalar == Float {
  /// `step()`, or in a data-parallel group `parallel.step(self)` (sharded where it applies).
  func step(in parallel: DataParallel?) throws {
    if let parallel { try parallel.step(self) } else { step() }
  }
}
