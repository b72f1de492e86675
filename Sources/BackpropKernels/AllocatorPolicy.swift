import CBackpropKernels

/// How the C allocator treats the buffers that every training step allocates and frees.
///
/// glibc serves blocks above its mmap threshold (128 KiB at first) with fresh `mmap`s and gives
/// the top of the heap back once more than its trim threshold is free, so each step's
/// activations and gradients (0.25–1 MiB each for W7's transformer) were new pages: the kernel
/// zeroing and mapping them took 40 % of the step (`perf`, W7 in BENCHMARKS.md). Keeping freed
/// memory in the process makes the next step reuse it.
public enum AllocatorPolicy {
  /// Serves blocks under 32 MiB from the heap and returns freed
  /// heap memory to the system only beyond 1 GiB free (glibc's `mallopt`). Returns whether the policy was applied (false off
  /// glibc). The `backprop` command calls it at start; `BACKPROP_MALLOC=default` skips it there.
  @discardableResult
  public static func keepFreedBuffers() -> Bool {
    bp_keep_freed_buffers(32 << 20, 1 << 30) == 1
  }
}
