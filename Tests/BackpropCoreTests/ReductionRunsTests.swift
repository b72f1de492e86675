import BackpropCore
import BackpropKernels
import Testing
import _BackpropTestSupport

// Sums over runs of adjacent axes (one pass over each contiguous block, eight running sums):
// Float and Double against a plain loop over every element in Double, for block lengths around
// the eight-sum step.
@Suite struct ReductionRunsTests {
  /// Float sums of ≤ 2,000 values in [−1, 1]: a few ulps of the total's scale.
  static let tolerance = Tolerance(rtol: 1e-5, atol: 1e-4, rationale: "Float sums of ≤ 2,000 values in [−1, 1]")

  @Test(arguments: [1, 3, 7, 8, 9, 17, 28])
  func sumsOverAdjacentAxesMatchDouble(_ width: Int) {
    let shape = [3, 4, 5, width]
    let x = Tensor<Double>.seeded(shape, .uniform(-1, 1), seed: stableSeed("ReductionRunsTests", salt: UInt64(width)))
    let f = Tensor<Float>(shape: shape, scalars: x.scalars.map { Float($0) })
    for axes in [[0, 2, 3], [2, 3], [1, 2, 3], [0, 1, 2, 3], [0, 1], [3], [1, 3]] {
      let expected = Self.loopSum(x, axes)
      let got = f.sum(alongAxes: axes)
      #expect(got.shape == expected.shape, "\(axes)")
      expectClose(got, Tensor<Float>(shape: expected.shape, scalars: expected.scalars.map { Float($0) }), Self.tolerance,
                  "width \(width), axes \(axes)")
      expectClose(x.sum(alongAxes: axes), expected, Self.tolerance, "Double, width \(width), axes \(axes)")
      #expect(f.max(alongAxes: axes).scalars == x.max(alongAxes: axes).scalars.map { Float($0) }, "max, axes \(axes)")
    }
  }

  /// Rows of a large reduction split over two threads: the same bits as on one thread, and the
  /// loop's sums (a CNN bias gradient's shape).
  @Test func sumsSplitOverTwoThreadsGiveTheSameBits() {
    let x = Tensor<Double>.seeded([16, 8, 32, 32], .uniform(-1, 1), seed: 21)
    let f = Tensor<Float>(shape: x.shape, scalars: x.scalars.map { Float($0) })
    for axes in [[0, 2, 3], [2, 3], [1]] {
      let one = Gemm.withSettings(threadCount: 1) { f.sum(alongAxes: axes) }!
      let two = Gemm.withSettings(threadCount: 2) { f.sum(alongAxes: axes) }!
      #expect(one.scalars.map(\.bitPattern) == two.scalars.map(\.bitPattern), "\(axes)")
      let expected = Self.loopSum(x, axes)
      expectClose(two, Tensor<Float>(shape: expected.shape, scalars: expected.scalars.map { Float($0) }),
                  Tolerance(rtol: 1e-5, atol: 1e-3, rationale: "Float sums of ≤ 16,384 values in [−1, 1]"), "\(axes)")
    }
  }

  /// The sum over `axes` by visiting every element once, in Double.
  static func loopSum(_ x: Tensor<Double>, _ axes: [Int]) -> Tensor<Double> {
    let kept = x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    var out = [Double](repeating: 0, count: kept.reduce(1, *))
    for flat in 0..<x.count {
      var rest = flat, index = 0, scale = 1
      for axis in stride(from: x.rank - 1, through: 0, by: -1) {
        let i = rest % x.shape[axis]
        rest /= x.shape[axis]
        if !axes.contains(axis) { index += i * scale; scale *= x.shape[axis] }
      }
      out[index] += x.scalars[flat]
    }
    return Tensor<Double>(shape: kept, scalars: out)
  }
}
