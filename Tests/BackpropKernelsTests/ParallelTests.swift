import BackpropKernels
import Synchronization
import Testing

@Suite("Parallel: splitting loops across the kernel threads")
struct ParallelTests {
  /// Every index is visited exactly once, in contiguous pieces, for sizes around the thresholds.
  @Test(arguments: [0, 1, 5, 63, 64, 65, 127, 128, 1000, 4099])
  func coversEveryIndexOnce(count: Int) {
    // Each index belongs to one piece, so plain counters per index are enough (a piece that
    // overlapped another would show up as a 2).
    let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: Swift.max(count, 1))
    visits.initialize(repeating: 0)
    defer { visits.deallocate() }
    let pieces = Mutex<[Range<Int>]>([])
    Gemm.withSettings(threadCount: 2) {
      Parallel.forEachChunk(count: count, minimumChunk: 32) { r in
        pieces.withLock { $0.append(r) }
        for i in r { visits[i] += 1 }
      }
    }
    #expect(visits.prefix(count).allSatisfy { $0 == 1 })
    // Below two pieces' worth the loop stays whole; above, at most two pieces per thread.
    let n = pieces.withLock { $0.count }
    if count < 64 { #expect(n == (count > 0 ? 1 : 0)) } else { #expect((2...4).contains(n)) }
  }

  @Test("one thread: one call with the whole range")
  func oneThreadIsOneCall() {
    var ranges: [Range<Int>] = []
    Gemm.withSettings(threadCount: 1) {
      Parallel.forEachChunk(count: 1_000_000, minimumChunk: 16) { ranges.append($0) }
    }
    #expect(ranges == [0..<1_000_000])
  }
}
