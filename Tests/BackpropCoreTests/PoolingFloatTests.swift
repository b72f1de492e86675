import BackpropCore
import BackpropKernels
import Testing
import _BackpropTestSupport

// The Float 2×2, stride-2 max pooling (Pooling2x2, 8 windows per vector step) against the generic
// window loop that Double runs, with ties, NaNs, and odd heights and widths (uncovered pixels get
// no gradient); and its vector path against its scalar one, bit for bit.

@Suite struct PoolingFloatTests {
  /// Values on a coarse grid (many ties inside windows), a few NaNs, as Float and as Double.
  static func input(_ shape: [Int], seed: UInt64) -> (Tensor<Float>, Tensor<Double>) {
    var g = SeededGenerator(seed: seed)
    let values = (0..<shape.reduce(1, *)).map { _ -> Double in g.next() % 37 == 0 ? .nan : Double(Int(g.next() % 5)) - 2 }
    return (Tensor<Float>(shape: shape, scalars: values.map { Float($0) }), Tensor<Double>(shape: shape, scalars: values))
  }

  /// How many elements differ bitwise (NaN equals NaN; a length difference counts too).
  static func differences(_ a: [Float], _ b: [Double]) -> Int {
    zip(a, b).filter { x, y in !((x.isNaN && y.isNaN) || Double(x) == y) }.count + abs(a.count - b.count)
  }

  @Test(arguments: [[2, 3, 8, 40], [3, 2, 7, 35], [1, 1, 2, 2], [2, 1, 5, 19]])
  func forwardAndGradientMatchTheGenericLoop(_ shape: [Int]) {
    let (xf, xd) = Self.input(shape, seed: stableSeed("PoolingFloatTests", salt: UInt64(shape.reduce(0, +))))
    let yf = xf.maxPool2d(kernel: 2), yd = xd.maxPool2d(kernel: 2)
    #expect(yf.shape == yd.shape)
    #expect(Self.differences(yf.scalars, yd.scalars) == 0, "forward \(shape)")
    let (uf, ud) = Self.input(yd.shape, seed: 99)
    let (u32, u64) = (Tensor<Float>(shape: uf.shape, scalars: uf.scalars.map { $0.isNaN ? 1 : $0 }),
                      Tensor<Double>(shape: ud.shape, scalars: ud.scalars.map { $0.isNaN ? 1 : $0 }))
    let gf = Tensor<Float>.maxPool2dGradient(u32, input: xf, kernel: 2)
    let gd = Tensor<Double>.maxPool2dGradient(u64, input: xd, kernel: 2)
    #expect(Self.differences(gf.scalars, gd.scalars) == 0, "gradient \(shape)")
    // Values chosen from another tensor than the one choosing positions (the second input).
    let hf = xf * 3 + 1, hd = xd * 3 + 1
    let pf = Tensor<Float>.apply2x2(hf, xf), pd = Tensor<Double>.apply2x2(hd, xd)
    #expect(Self.differences(pf.scalars, pd.scalars) == 0, "values from h \(shape)")
  }

  @Test func vectorAndScalarPathsGiveTheSameBits() {
    let (x, _) = Self.input([3, 6, 34], seed: 5)
    let (g, _) = Self.input([3, 3, 17], seed: 6)
    var results: [[Float]] = []
    for isa in [KernelISA.portable, .avx2] where isa.isSupported {
      var y = [Float](repeating: -7, count: 3 * 3 * 17), z = [Float](repeating: -7, count: x.count)
      Pooling2x2.maxPool(h: x.scalars, x: x.scalars, into: &y, planes: 3, height: 6, width: 34, isa: isa)
      Pooling2x2.maxUnpool(g: g.scalars, x: x.scalars, into: &z, planes: 3, height: 6, width: 34, isa: isa)
      results.append((y + z).map { $0.isNaN ? 12345 : $0 })
    }
    #expect(results.count < 2 || results[0] == results[1])
  }
}

extension Tensor {
  /// `h` at the 2×2 window maxima of `x`: maxPool2d's JVP at `x` along `h` (the op on `[h, x]`).
  static func apply2x2(_ h: Tensor, _ x: Tensor) -> Tensor {
    jvp(of: { $0.maxPool2d(kernel: 2) }, at: x, tangent: h).jvp
  }
}
