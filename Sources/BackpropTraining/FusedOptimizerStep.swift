import BackpropDistributed
import BackpropOptim

// The optimizer step of a data-parallel trainer, fused with the ranks' gradient sum where it can
// be (`DataParallel.defersUpdates`): shared by `Trainer` and `LanguageModelTrainer`.
extension DataParallel {
  /// Lets the coming steps defer the large parameters' updates when `enabled`, the ranks sum in
  /// shared memory, `optimizer` updates piecewise (SGD, Adam, AdamW) and nothing reads the
  /// gradients before its step (`clips` is false).
  func allowFusedUpdates(for optimizer: any Optimizer<Float>, enabled: Bool, clips: Bool) {
    defersUpdates = enabled && reducesInSharedMemory && !clips && optimizer is any PiecewiseOptimizer<Float>
  }

  /// `optimizer.step()` after `finishGradients()`: the deferred parameters updated from the
  /// ranks' summed pieces (`applyDeferredUpdates(_:)`), the others from `.grad` as usual.
  func step(_ optimizer: any Optimizer<Float>) {
    guard !deferredParameters.isEmpty, let piecewise = optimizer as? any PiecewiseOptimizer<Float> else {
      optimizer.step()
      return
    }
    applyDeferredUpdates(piecewise.step(deferring: deferredParameters).apply)
  }
}
