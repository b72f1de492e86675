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

  /// `optimizer.step()` after `finishGradients()`: the deferred parameters updated shard by
  /// shard from the ranks' summed pieces (`applyDeferredUpdates(_:)`), the others from `.grad`
  /// as usual.
  /// - Throws: `DistributedError.rankLost` when another rank's updated weights do not come.
  public func step(_ optimizer: any Optimizer<Float>) throws {
    guard !deferredParameters.isEmpty, let piecewise = optimizer as? any PiecewiseOptimizer<Float> else {
      optimizer.step()
      return
    }
    try applyDeferredUpdates(piecewise.step(deferring: deferredParameters).apply)
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
