import BackpropKernels

/// Runs `body` on two kernel threads until another thread really computed part of it.
///
/// The thread pool runs a loop serially when it is busy (another test's GEMM), so a plain
/// `Gemm.withSettings(threadCount: 2)` may compare serial with serial. This retries (up to
/// `attempts` times) until `Parallel.callingThreadStatistics` shows pieces computed by another
/// thread, and returns the last result with that proof.
///
/// - Returns: the result of the last run, and whether a second thread took part in it.
public func withTwoThreadsProved<R>(attempts: Int = 200, _ body: () throws -> R) rethrows -> (result: R, usedTwoThreads: Bool) {
  var last: R?
  for _ in 0..<max(1, attempts) {
    let before = Parallel.callingThreadStatistics.piecesByOtherThreads
    last = try Gemm.withSettings(threadCount: 2) { try body() }
    if Parallel.callingThreadStatistics.piecesByOtherThreads > before { return (last!, true) }
  }
  return (last!, false)
}
