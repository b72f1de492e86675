import BackpropKernels
import BackpropNN
import Testing
import _BackpropTestSupport

/// The first layer's weight gradient written in row blocks (`Tensor.gradientBlocks`, used by
/// `DataParallel`): each block is final when its hook sees it, and the whole equals the
/// one-piece `Gᵀ·x`: bit for bit with Backprop's own GEMM (each element's sum runs in the same
/// order whatever the block), within rounding with a BLAS library (OpenBLAS picks its kernel by
/// the product's size, so a block may differ from the one-piece product in the last bit).
///
/// Serialized: anomaly detection captures a backtrace per op (`CreationSite.capture`), and
/// Swift's runtime crashed reading an ELF image there ("Bad pointer dereference" in
/// `getElfImageInfo`, 4 runs in 12) while the BLAS test beside it loaded OpenBLAS.
@Suite(.serialized) struct LinearGradientBlocksTests {
  /// The gradient of a 13 → 7 layer over a batch of 9 in `blocks` row blocks, the blocks' rows
  /// as the hook saw them, and a copy of each block taken in the hook.
  func gradient(blocks: Int) -> (Tensor<Float>, [Range<Int>], [[Float]]) {
    var generator = SeededGenerator(seed: 11)
    let (batch, inputs, outputs) = (9, 13, 7)
    let x = Tensor<Float>(shape: [batch, inputs], scalars: (0..<batch * inputs).map { _ in Float.random(in: -1...1, using: &generator) })
    var g = SeededGenerator(seed: 3)
    let layer = Linear<Float>(inputs, outputs, using: &g)
    var seen: [Range<Int>] = [], copies: [[Float]] = []
    if blocks > 1 {
      layer.weight.gradientBlocks = blocks
      layer.weight.gradientBlockHook = { dw, rows in
        seen.append(rows)
        copies.append(Array(dw.scalars[rows.lowerBound * inputs..<rows.upperBound * inputs]))
      }
    }
    layer(x).relu().sum().backward()
    return (layer.weight.grad!, seen, copies)
  }

  /// Checks the blocks' rows and that each copy the hook took is the final block, bit for bit.
  func expectFinalBlocks(_ blocked: Tensor<Float>, _ rows: [Range<Int>], _ copies: [[Float]], blocks: Int) {
    let inputs = blocked.shape[1]
    #expect(rows.count == blocks && rows.first?.lowerBound == 0 && rows.last?.upperBound == blocked.shape[0], "\(rows)")
    #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(rows)")
    for (r, copy) in zip(rows, copies) {
      #expect(copy.map(\.bitPattern) == blocked.scalars[r.lowerBound * inputs..<r.upperBound * inputs].map(\.bitPattern), "rows \(r)")
    }
  }

  @Test(arguments: [2, 3, 4, 7])
  func blocksAreFinalWhenTheHookSeesThemAndEqualTheOnePieceGradientBitForBit(blocks: Int) throws {
    withComputeSettings(ComputeSettings(gemmBackend: .own)) {
      let (whole, _, _) = gradient(blocks: 1)
      let (blocked, rows, copies) = gradient(blocks: blocks)
      expectFinalBlocks(blocked, rows, copies, blocks: blocks)
      #expect(blocked.scalars.map(\.bitPattern) == whole.scalars.map(\.bitPattern))
    }
  }

  @Test(.enabled(if: GemmBackend.openBLAS.isAvailable || GemmBackend.blis.isAvailable,
                 "needs OpenBLAS or BLIS (apt-get install libopenblas0)"),
        arguments: [2, 3, 4, 7])
  func withABLASLibraryTheBlocksAreFinalAndWithinRoundingOfTheOnePieceGradient(blocks: Int) throws {
    for backend in [GemmBackend.openBLAS, .blis] where backend.isAvailable {
      withComputeSettings(ComputeSettings(gemmBackend: backend)) {
        let (whole, _, _) = gradient(blocks: 1)
        let (blocked, rows, copies) = gradient(blocks: blocks)
        expectFinalBlocks(blocked, rows, copies, blocks: blocks)
        let difference = zip(blocked.scalars, whole.scalars).map { abs($0 - $1) }.max()!
        #expect(difference <= 4 * Float.ulpOfOne * whole.scalars.map(abs).max()!, "\(backend): max |Δ| \(difference)")
      }
    }
  }

  /// With a `gradientBlockDestination` the blocks go to that memory (its owner fills the
  /// gradient), one block too (what `DataParallel` uses in shared memory), except under anomaly
  /// detection, which reads each gradient as the op returns it: then the op writes the gradient
  /// itself. One block without a destination is no block at all: the hook is never called.
  @Test func blocksGoToTheDestinationExceptUnderAnomalyDetection() throws {
    var generator = SeededGenerator(seed: 5)
    let (batch, inputs, outputs) = (6, 5, 4)
    let x = Tensor<Float>(shape: [batch, inputs], scalars: (0..<batch * inputs).map { _ in Float.random(in: -1...1, using: &generator) })
    let whole = withComputeSettings(ComputeSettings(gemmBackend: .own)) { () -> [Float] in
      var g = SeededGenerator(seed: 3)
      let layer = Linear<Float>(inputs, outputs, using: &g)
      layer(x).relu().sum().backward()
      return layer.weight.grad!.scalars
    }
    for (blocks, anomalyDetection) in [(2, false), (2, true), (1, false), (1, true)] {
      let outside = UnsafeMutablePointer<Float>.allocate(capacity: outputs * inputs)
      defer { outside.deallocate() }
      outside.initialize(repeating: .nan, count: outputs * inputs)
      var asked = 0, hooks = 0
      var g = SeededGenerator(seed: 3)
      let layer = Linear<Float>(inputs, outputs, using: &g)
      layer.weight.gradientBlocks = blocks
      layer.weight.gradientBlockHook = { _, _ in hooks += 1 }
      layer.weight.gradientBlockDestination = { asked += 1; return outside }
      try withComputeSettings(ComputeSettings(gemmBackend: .own)) {
        if anomalyDetection {
          try withAnomalyDetection { layer(x).relu().sum().backward() }
        } else {
          layer(x).relu().sum().backward()
        }
      }
      #expect(hooks == blocks, "\(blocks) blocks, anomaly detection \(anomalyDetection)")
      let written = anomalyDetection ? layer.weight.grad!.scalars : Array(UnsafeBufferPointer(start: outside, count: outputs * inputs))
      #expect(asked == (anomalyDetection ? 0 : 1), "\(blocks) blocks, anomaly detection \(anomalyDetection)")
      #expect(written.map(\.bitPattern) == whole.map(\.bitPattern), "\(blocks) blocks, anomaly detection \(anomalyDetection)")
      if anomalyDetection { #expect(outside[0].isNaN, "the destination was written under anomaly detection") }
    }
    var g = SeededGenerator(seed: 3)
    let layer = Linear<Float>(inputs, outputs, using: &g)
    var hooks = 0
    layer.weight.gradientBlockHook = { _, _ in hooks += 1 }
    layer(x).relu().sum().backward()
    #expect(hooks == 0 && layer.weight.grad != nil, "one block and no destination: the hook was called \(hooks) times")
  }
}
