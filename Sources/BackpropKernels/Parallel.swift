import CBackpropKernels

/// Splitting a large loop across the kernels' threads (the same pool and thread count as `Gemm`).
///
/// Elementwise work (activations, optimizer updates, batch conversion) is cheap per element but
/// runs on one core while the other waits between matrix products; above `minimumChunk`
/// elements per piece it is worth handing half to the other core. Pieces are contiguous and
/// each element is computed exactly as in the serial loop, so results do not depend on the
/// thread count.
public enum Parallel {
  /// `minimumChunk` for one-instruction elementwise ops (add, relu, an optimizer update):
  /// below 2 × 32,768 elements the hand-off to another core costs more than it saves.
  public static let cheapOpChunk = 32_768
  /// `minimumChunk` for ops that cost a libm call per element (≈ 10 ns): 2 × 2,048 elements
  /// already pay for the hand-off.
  public static let libmOpChunk = 2_048

  /// Calls `body` on contiguous ranges covering `0..<count` exactly once, on up to
  /// `Gemm.threadCount` threads (the caller's included). Runs `body(0..<count)` on the calling
  /// thread when there is one thread, when `count < 2 × minimumChunk`, or when the pool is busy
  /// (another thread's GEMM): small loops stay on one core.
  ///
  /// `body` must only write what its range owns (the ranges run concurrently).
  public static func forEachChunk(count: Int, minimumChunk: Int = cheapOpChunk, _ body: (Range<Int>) -> Void) {
    let threads = Gemm.threadCount
    let chunkSize = Swift.max(minimumChunk, 1)
    guard threads > 1, count >= 2 * chunkSize else {
      if count > 0 { body(0..<count) }
      return
    }
    // Two pieces per thread, so a core that is busy elsewhere costs one piece, not half.
    let pieces = Swift.min(2 * threads, count / chunkSize)
    withoutActuallyEscaping(body) { escapable in
      let job = ChunkJob(count: count, pieces: pieces, body: escapable)
      withExtendedLifetime(job) {
        bp_parallel_for(Int32(threads), pieces, { argument, piece in
          let job = Unmanaged<ChunkJob>.fromOpaque(argument!).takeUnretainedValue()
          job.body(job.range(of: piece))
        }, Unmanaged.passUnretained(job).toOpaque())
      }
    }
  }
}

extension Parallel {
  /// For the calling thread, since it started: how many parallel loops (its own
  /// `forEachChunk` calls and GEMMs) ran on the thread pool rather than serially, and how many
  /// of their pieces other threads computed. A test that claims "the same bits on 1 and 2
  /// threads" reads it before and after to prove the second thread took part.
  public static var callingThreadStatistics: (pooledJobs: Int, piecesByOtherThreads: Int) {
    var jobs = 0, pieces = 0
    bp_parallel_statistics(&jobs, &pieces)
    return (jobs, pieces)
  }
}

/// One `forEachChunk` call, handed to the C pool as its opaque argument.
private final class ChunkJob {
  let count: Int
  let pieces: Int
  let body: (Range<Int>) -> Void

  init(count: Int, pieces: Int, body: @escaping (Range<Int>) -> Void) {
    self.count = count; self.pieces = pieces; self.body = body
  }

  /// Piece `i` of `pieces` near-equal contiguous ranges.
  func range(of piece: Int) -> Range<Int> {
    (piece * count / pieces)..<((piece + 1) * count / pieces)
  }
}
