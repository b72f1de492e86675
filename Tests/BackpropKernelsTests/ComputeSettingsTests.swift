import BackpropKernels
import Foundation
import Synchronization
import Testing

/// One settings value: what `withComputeSettings` puts in force is what GEMM, `Parallel` and
/// `ComputeSettings.current` all read, on that thread only.
@Suite("ComputeSettings: one value for threads, GEMM backend and instruction set")
struct ComputeSettingsTests {
  @Test func scopedSettingsAreWhatEveryKernelReads() {
    let outside = ComputeSettings.current
    withComputeSettings(ComputeSettings(threadCount: 3, gemmBackend: .own, kernelISA: .portable)) {
      let inside = ComputeSettings.current
      #expect(inside == ComputeSettings(threadCount: 3, gemmBackend: .own, kernelISA: .portable))
      #expect(Gemm.threadCount == 3 && Gemm.backend == .own && Gemm.kernelISA == .portable)
      #expect(KernelInfo.threadCount == 3 && KernelInfo.backendName == "own (portable C)")
      // Nested: the innermost wins; what it leaves out is inherited.
      withComputeSettings(ComputeSettings(threadCount: 1)) {
        #expect(ComputeSettings.current == ComputeSettings(threadCount: 1, gemmBackend: .own, kernelISA: .portable))
      }
      #expect(ComputeSettings.current == inside)
    }
    #expect(ComputeSettings.current == outside)
  }

  /// `Parallel` splits by the scoped thread count: one piece at 1 thread, several at 2.
  @Test func parallelLoopsFollowTheScopedThreadCount() {
    func pieces(threads: Int) -> Int {
      let count = Mutex(0)
      withComputeSettings(ComputeSettings(threadCount: threads)) {
        Parallel.forEachChunk(count: 100_000, minimumChunk: 16) { _ in count.withLock { $0 += 1 } }
      }
      return count.withLock { $0 }
    }
    #expect(pieces(threads: 1) == 1)
    #expect(pieces(threads: 2) == 4)
  }

  /// Other threads keep their own settings while one thread has scoped ones.
  @Test func scopedSettingsStayOnTheirThread() {
    let global = ComputeSettings.current.threadCount  // no scoped settings on this test's thread yet
    let seen = Mutex(0)
    withComputeSettings(ComputeSettings(threadCount: global + 5)) {
      let done = DispatchSemaphore(value: 0)
      let thread = Thread {
        seen.withLock { $0 = ComputeSettings.current.threadCount }
        done.signal()
      }
      thread.start()
      done.wait()
      #expect(ComputeSettings.current.threadCount == global + 5)
    }
    #expect(seen.withLock { $0 } == global)
  }

  @Test func describesItself() {
    let s = ComputeSettings(threadCount: 2, gemmBackend: .own, kernelISA: .portable)
    #expect(s.description == "threads 2, GEMM own, ISA portable")
    #expect(s.isAvailable)
    #expect(ComputeSettings(threadCount: 0).threadCount == 1)
  }
}
