import BackpropCore
import BackpropKernels
import Testing
import _BackpropTestSupport

// The whole-layer `lstmSequence` op (one GEMM and one gate kernel per step, ∂W_hh two GEMMs over
// the stacked steps) against the reference path it replaces in the LSTM layer: the same
// recurrence unrolled into matmul, add and `lstmCell` ops, run in Double, forward and gradients.

@Suite struct RecurrentFloatTests {
  static func values(_ shape: [Int], _ g: inout SeededGenerator, scale: Float = 1) -> Tensor<Float> {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { _ in scale * (Float(g.next() % 20_001) / 10_000 - 1) }, requiresGrad: true)
  }

  /// [T, B, 2H] by unrolled per-step ops.
  static func unrolled<T: TensorScalar>(_ p: Tensor<T>, _ w: Tensor<T>, _ h0: Tensor<T>, _ c0: Tensor<T>) -> Tensor<T> {
    let (steps, b, h) = (p.shape[0], h0.shape[0], h0.shape[1])
    var (hPrev, cPrev) = (h0, c0)
    var outs: [Tensor<T>] = []
    for t in 0..<steps {
      let g = p.sliced(alongAxis: 0, t..<t + 1).reshaped(to: [b, 4 * h]) + Tensor.matmul(hPrev, w, transposeB: true)
      (hPrev, cPrev) = Tensor.lstmCell(gates: g, c: cPrev)
      outs.append(Tensor.concatenated([hPrev, cPrev], alongAxis: 1).reshaped(to: [1, b, 2 * h]))
    }
    return Tensor.concatenated(outs, alongAxis: 0)
  }

  /// Shapes with hidden sizes below, at and across the vector widths (8, 16) and their tails;
  /// every instruction set this CPU runs (the gate kernels of lstm.c have one variant each).
  @Test(arguments: [(5, 3, 7), (1, 4, 2), (16, 8, 16), (4, 5, 37)])
  func matchesTheUnrolledCells(_ shape: (Int, Int, Int)) {
    let isas = KernelISA.allCases.filter(\.isSupported)
    #expect(isas.contains(.portable))
    for isa in isas {
      withComputeSettings(ComputeSettings(kernelISA: isa)) { compare(shape, isa: isa) }
    }
  }

  func compare(_ shape: (Int, Int, Int), isa: KernelISA) {
    let (steps, b, h) = shape
    var g = SeededGenerator(seed: stableSeed("RecurrentFloatTests", salt: UInt64(steps * 100 + b * 10 + h)))
    let p = Self.values([steps, b, 4 * h], &g, scale: 2), w = Self.values([4 * h, h], &g, scale: 0.5)
    let h0 = Self.values([b, h], &g), c0 = Self.values([b, h], &g)
    let u = Self.values([steps, b, 2 * h], &g).detached()
    let fast: [[Float]] = {
      let leaves = [p, w, h0, c0].map { Tensor<Float>(shape: $0.shape, scalars: $0.scalars, requiresGrad: true) }
      let y = Tensor.lstmSequence(projected: leaves[0], weightHH: leaves[1], h0: leaves[2], c0: leaves[3])
      (y * u).sum().backward()
      return [y.scalars] + leaves.map { $0.grad!.scalars }
    }()
    // The reference runs the unrolled cells in Double (libm σ and tanh, Swift loops): the Float
    // path shares its gate kernel with the Float `lstmCell`, so only another precision checks it.
    let leaves = [p, w, h0, c0].map { Tensor<Double>(shape: $0.shape, scalars: $0.scalars.map(Double.init), requiresGrad: true) }
    let y = Self.unrolled(leaves[0], leaves[1], leaves[2], leaves[3])
    (y * Tensor<Double>(shape: u.shape, scalars: u.scalars.map(Double.init))).sum().backward()
    let reference = ([y.scalars] + leaves.map { $0.grad!.scalars }).map { $0.map { Float($0) } }
    for (k, (a, r)) in zip(fast, reference).enumerated() {
      #expect(a.count == r.count)
      // Float rounding through up to 16 steps, against the same formulas in Double.
      let worst = zip(a, r).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
      #expect(worst < 2e-5, "\(shape) \(isa) output/gradient \(k): max relative difference \(worst)")
    }
  }

  /// The gate kernels split the batch rows over the threads: 2 threads give the bits of 1, and
  /// the second thread did take pieces. The own GEMM runs the products (the subject is the gate
  /// kernels; a BLAS library's split products are GemmTests' subject).
  @Test func twoThreadsGiveTheBitsOfOne() {
    let (steps, b, h) = (3, 64, 37)
    var g = SeededGenerator(seed: stableSeed("RecurrentFloatTests.threads"))
    let p = Self.values([steps, b, 4 * h], &g, scale: 2), w = Self.values([4 * h, h], &g, scale: 0.5)
    let h0 = Self.values([b, h], &g), c0 = Self.values([b, h], &g)
    let u = Self.values([steps, b, 2 * h], &g).detached()
    func run() -> [[UInt32]] {
      let leaves = [p, w, h0, c0].map { Tensor<Float>(shape: $0.shape, scalars: $0.scalars, requiresGrad: true) }
      let y = Tensor.lstmSequence(projected: leaves[0], weightHH: leaves[1], h0: leaves[2], c0: leaves[3])
      (y * u).sum().backward()
      return ([y.scalars] + leaves.map { $0.grad!.scalars }).map { $0.map(\.bitPattern) }
    }
    // Every instruction set this CPU runs, pinned on the calling thread: the pool's pieces must
    // use it too (they do not see the caller's override unless it is handed to them).
    for isa in KernelISA.allCases where isa.isSupported {
      let one = Gemm.withSettings(backend: .own, threadCount: 1, kernelISA: isa) { run() }!
      // The pool runs a loop serially while another test's job holds it, so try until the
      // second thread took part (the bits must match on every try).
      var shared = false
      for _ in 0..<50 where !shared {
        let before = Parallel.callingThreadStatistics.piecesByOtherThreads
        let two = Gemm.withSettings(backend: .own, threadCount: 2, kernelISA: isa) { run() }!
        shared = Parallel.callingThreadStatistics.piecesByOtherThreads > before
        #expect(one == two, "\(isa)")
      }
      #expect(shared, "\(isa): in 50 tries the second thread never took a piece")
    }
  }
}
