import BackpropCore
import BackpropKernels
import Testing
import _BackpropTestSupport

/// Large elementwise ops are split across the kernel threads; every element must come out
/// bit-identical to the one-thread result.
@Suite("Elementwise ops: same bits on 1 and 2 threads")
struct ParallelElementwiseTests {
  @Test func unaryAndBinaryOpsMatchAcrossThreadCounts() throws {
    var rng = SeededGenerator(seed: 11)
    let n = 300_000
    let a = Tensor<Float>(shape: [n], scalars: (0..<n).map { _ in Float(rng.nextUniform() * 4 - 2) })
    let b = Tensor<Float>(shape: [n], scalars: (0..<n).map { _ in Float(rng.nextUniform() * 4 - 2) })
    func compute() throws -> [[Float]] {
      [a.tanh(), a.relu(), a.exp(), a + b, a * b, a / b, a * 3, 1 - a, Tensor.maximum(a, b)].map(\.scalars)
    }
    let one = try #require(try Gemm.withSettings(threadCount: 1) { try compute() })
    let (two, usedTwoThreads) = try withTwoThreadsProved { try compute() }
    #expect(usedTwoThreads, "the 2-thread run never got a second thread: it compared serial with serial")
    for (x, y) in zip(one, two) { #expect(x.map(\.bitPattern) == y.map(\.bitPattern)) }
  }
}
