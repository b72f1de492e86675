import BackpropCore
import BackpropKernels
import Testing
import _BackpropTestSupport

// conv2d in Float, with and without bias, against the naive Double loops, with tiles of several
// samples and with one sample per tile, on 1 and 2 threads. The output buffer is not zero-filled and the bias is the GEMM's starting
// value, so a bias-free convolution that read the fresh buffer would show garbage or a stale bias
// here: each case runs with a bias first, so the allocator likely hands the next call that memory.

@Suite struct ConvolutionFloatTests {
  typealias F = Tensor<Float>

  /// Float against Double: k ≤ 49 products of values in [−1, 1] per output, summed in Float.
  static let tolerance = Tolerance(rtol: 1e-4, atol: 1e-4, rationale: "Float sums of ≤ 49 products of values ≤ 1")

  static func float(_ t: T) -> F { F(shape: t.shape, scalars: t.scalars.map { Float($0) }) }

  /// (input shape, weight shape, padding): all 6 samples in one tile; then one sample per tile
  /// (a 7×7 kernel over 90×90 images is more patches than a tile's budget).
  static let cases: [([Int], [Int], Int)] = [([6, 3, 9, 9], [4, 3, 3, 3], 1), ([2, 1, 90, 90], [2, 1, 7, 7], 3)]

  @Test(arguments: 0..<2)
  func conv2dWithAndWithoutBiasMatchesTheLoops(_ index: Int) {
    let (xShape, wShape, pad) = Self.cases[index]
    let seed = stableSeed("ConvolutionFloatTests", salt: UInt64(index))
    let (x, w) = (T.seeded(xShape, .uniform(-1, 1), seed: seed), T.seeded(wShape, .uniform(-1, 1), seed: seed + 1))
    let b = T.seeded([wShape[0]], .uniform(5, 9), seed: seed + 2)  // far from 0: a leaked bias shows
    let geometry = Naive.Conv(pad: (pad, pad, pad, pad))
    let (withBias, without) = (Naive.conv2d(x, w, b, geometry), Naive.conv2d(x, w, nil, geometry))
    for threads in [1, 2] {
      Gemm.withSettings(threadCount: threads) {
        for _ in 0..<3 {
          let yb = F.conv2d(Self.float(x), weight: Self.float(w), bias: Self.float(b), padding: .explicit(Size2D(pad, pad)))
          expectClose(yb, Self.float(withBias), Self.tolerance, "bias, \(threads) thread(s), \(xShape)")
          let y = F.conv2d(Self.float(x), weight: Self.float(w), padding: .explicit(Size2D(pad, pad)))
          expectClose(y, Self.float(without), Self.tolerance, "no bias, \(threads) thread(s), \(xShape)")
        }
      }
    }
  }

  /// (input shape, weight shape, padding, dilation, groups) for stride 1, where Float im2col and
  /// col2im copy and add whole lines with masked vectors: rows shorter than, equal to and longer
  /// than 16 and 8 lanes, padding wider than the kernel's reach, dilation, groups.
  static let strideOneCases: [([Int], [Int], Int, Int, Int)] = [
    ([2, 3, 7, 14], [4, 3, 3, 3], 1, 1, 1), ([1, 2, 5, 16], [2, 2, 3, 3], 1, 1, 1), ([2, 2, 6, 37], [4, 1, 3, 5], 2, 2, 2),
    ([1, 1, 4, 9], [3, 1, 2, 2], 3, 1, 1), ([2, 4, 5, 8], [2, 4, 1, 1], 0, 1, 1),
  ]

  /// Float conv2d, its input gradient (convTranspose2d: col2im) and its weight gradient
  /// (im2col again) at stride 1 against the loops in Double, at every vector width the CPU runs
  /// and on 2 threads.
  @Test(arguments: 0..<5)
  func strideOneConvolutionAndItsGradientsMatchTheLoops(_ index: Int) {
    let (xShape, wShape, pad, dilation, groups) = Self.strideOneCases[index]
    let seed = stableSeed("ConvolutionFloatTests.strideOne", salt: UInt64(index))
    let (x, w) = (T.seeded(xShape, .uniform(-1, 1), seed: seed), T.seeded(wShape, .uniform(-1, 1), seed: seed + 1))
    let geometry = Naive.Conv(pad: (pad, pad, pad, pad), dilation: (dilation, dilation), groups: groups)
    let y = Naive.conv2d(x, w, nil, geometry)
    let u = T.seeded(y.shape, .uniform(-1, 1), seed: seed + 2)
    let dx = Naive.convTranspose2d(u, w, nil, stride: (1, 1), pad: (pad, pad), outputPadding: (0, 0),
                                   dilation: (dilation, dilation), groups: groups)
    let dw = Naive.conv2dWeightGradient(x, u, kernel: (wShape[2], wShape[3]), geometry)
    // Every instruction set on one thread (the setting is per thread), then the best on two.
    let settings: [(Int, KernelISA?)] = KernelISA.allCases.filter(\.isSupported).map { (1, $0) } + [(2, nil)]
    for (threads, isa) in settings {
      Gemm.withSettings(threadCount: threads, kernelISA: isa) {
        let label = "\(xShape) ⋆ \(wShape), padding \(pad), dilation \(dilation), groups \(groups), "
          + "\(threads) thread(s), \(isa.map(\.rawValue) ?? "best")"
        expectClose(F.conv2d(Self.float(x), weight: Self.float(w), padding: .explicit(Size2D(pad, pad)),
                             dilation: Size2D(dilation, dilation), groups: groups),
                    Self.float(y), Self.tolerance, "conv2d, \(label)")
        expectClose(F.convTranspose2d(Self.float(u), weight: Self.float(w), padding: Size2D(pad, pad),
                                      dilation: Size2D(dilation, dilation), groups: groups),
                    Self.float(dx), Self.tolerance, "convTranspose2d, \(label)")
        expectClose(F.conv2dWeightGradient(input: Self.float(x), gradient: Self.float(u), kernel: Size2D(wShape[2], wShape[3]),
                                           padding: Size2D(pad, pad), dilation: Size2D(dilation, dilation), groups: groups),
                    Self.float(dw), Self.tolerance, "conv2dWeightGradient, \(label)")
      }
    }
  }

  /// The bias's gradient is the output gradient summed over the batch and the image, in Float too.
  @Test func conv2dBiasGradientInFloat() {
    let x = F.seeded([6, 3, 9, 9], .uniform(-1, 1), seed: 11)
    let w = F.seeded([4, 3, 3, 3], .uniform(-1, 1), seed: 12, requiresGrad: true)
    let b = F.seeded([4], .uniform(-1, 1), seed: 13, requiresGrad: true)
    let u = F.seeded([6, 4, 9, 9], .uniform(-1, 1), seed: 14)
    (F.conv2d(x, weight: w, bias: b, padding: 1) * u).sum().backward()
    expectClose(b.grad!, u.sum(alongAxes: [0, 2, 3]), Self.tolerance, "∂L/∂b = Σ_{n,p,q} u")
  }
}
