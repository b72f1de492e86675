import BackpropNN
import Testing
import _BackpropTestSupport

/// The first layer's weight gradient written in row blocks (`Tensor.gradientBlocks`, used by
/// `DataParallel`): each block is final when its hook sees it, and the whole equals the
/// one-piece `Gᵀ·x` bit for bit.
@Suite struct LinearGradientBlocksTests {
  @Test(arguments: [2, 3, 4, 7])
  func blocksAreFinalWhenTheHookSeesThemAndEqualTheOnePieceGradient(blocks: Int) throws {
    var generator = SeededGenerator(seed: 11)
    let (batch, inputs, outputs) = (9, 13, 7)
    let x = Tensor<Float>(shape: [batch, inputs], scalars: (0..<batch * inputs).map { _ in Float.random(in: -1...1, using: &generator) })
    func gradient(blocks: Int) -> (Tensor<Float>, [Range<Int>], [[Float]]) {
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
    let (whole, _, _) = gradient(blocks: 1)
    let (blocked, rows, copies) = gradient(blocks: blocks)
    #expect(rows.count == blocks && rows.first?.lowerBound == 0 && rows.last?.upperBound == outputs, "\(rows)")
    #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(rows)")
    #expect(blocked.scalars.map(\.bitPattern) == whole.scalars.map(\.bitPattern))
    for (r, copy) in zip(rows, copies) {
      #expect(copy.map(\.bitPattern) == whole.scalars[r.lowerBound * inputs..<r.upperBound * inputs].map(\.bitPattern), "rows \(r)")
    }
  }
}
