import BackpropKernels

// The thread split of BackpropKernels, offered to the modules built on Core alone (BackpropOptim's
// update loops), so that they share the pool and the compute settings of GEMM and the
// elementwise kernels without importing the implementation module themselves.

/// Calls `body` on contiguous ranges covering `0..<count` exactly once, split over the threads
/// of the compute settings in force; see `Parallel.forEachChunk`. `body` must only write what its
/// range owns. Results never depend on the thread count.
package func parallelForEachChunk(count: Int, _ body: (Range<Int>) -> Void) {
  Parallel.forEachChunk(count: count, body)
}
