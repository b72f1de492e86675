@testable import BackpropCore
import BackpropKernels
import Testing
import _BackpropTestSupport

// The implicit-GEMM Float convolution (conv_implicit.c) against the naive Double loops: the
// kernel itself at every instruction set (the portable loops included), then conv2d and
// convTranspose2d where they take that path (depth ≥ 64), on 1 and 2 threads (bit for bit) and
// against the im2col + GEMM path (forced with the portable ISA, where the implicit path is off).
// Shapes are odd on purpose: an output plane (oh · ow) that is not a multiple of the 48- and
// 16-column tiles, row counts that are not multiples of the 8-row panel, several samples, padding
// per axis (0 to wider than the kernel's reach) and dilation.

@Suite struct ImplicitConvolutionTests {
  typealias F = Tensor<Float>

  /// Float against Double: ≤ 360 products of values in [−1, 1] per output, summed in Float.
  static let tolerance = Tolerance(rtol: 1e-4, atol: 2e-4, rationale: "Float sums of ≤ 360 products of values ≤ 1")

  static func float(_ t: T) -> F { F(shape: t.shape, scalars: t.scalars.map { Float($0) }) }

  /// (input shape, weight shape, padding (h, w), dilation (h, w)).
  static let cases: [([Int], [Int], (Int, Int), (Int, Int))] = [
    ([3, 9, 7, 11], [13, 9, 3, 3], (1, 1), (1, 1)),    // 13 rows: one full panel and a tail of 5
    ([2, 8, 14, 14], [16, 8, 3, 3], (1, 1), (1, 1)),   // the CNN's shape, smaller
    ([2, 3, 5, 23], [5, 3, 2, 4], (0, 3), (1, 1)),     // no row padding, wide column padding
    ([3, 4, 9, 6], [7, 4, 3, 3], (2, 1), (2, 2)),      // dilation, padding per axis
    ([1, 2, 1, 1], [3, 2, 1, 1], (0, 0), (1, 1)),      // a 1×1 image: the grid is one column
    ([2, 5, 4, 50], [9, 5, 3, 3], (1, 1), (1, 1)),     // rows longer than 48 columns
    ([1, 40, 4, 20], [5, 40, 3, 3], (1, 1), (1, 1)),   // 40 channels: two channel blocks added up
    // Padding past the image on both sides of a copy: w = 2, padding 3, tap columns 6 apart, so
    // copy 0 reads columns from 3 on (lo clamped to ow = 2) and copy 1 none (hi clamped to lo).
    ([2, 3, 5, 2], [5, 3, 3, 2], (1, 3), (1, 6)),
    // Padding beyond the kernel's reach d·(k − 1): the transposed convolution has no stride-1
    // convolution form (its padding would be −2), so only the forward kernel runs here.
    ([2, 4, 3, 4], [6, 4, 2, 2], (3, 3), (1, 1)),
    // 80 rows: the weight gradient's AVX-512 kernel loops over two 64-wide tiles.
    ([2, 4, 6, 7], [80, 4, 3, 3], (1, 1), (1, 1)),
  ]

  static func tensors(_ index: Int) -> (x: T, w: T, b: T) {
    let (xShape, wShape, _, _) = cases[index]
    let seed = stableSeed("ImplicitConvolutionTests", salt: UInt64(index))
    return (T.seeded(xShape, .uniform(-1, 1), seed: seed), T.seeded(wShape, .uniform(-1, 1), seed: seed + 1),
            T.seeded([wShape[0]], .uniform(5, 9), seed: seed + 2))
  }

  /// The C kernel at every ISA the CPU runs, with a bias, forward (packed as conv2d's
  /// weight) and transposed (the flipped packing) against the loops.
  @Test(arguments: 0..<10)
  func kernelMatchesTheLoopsAtEveryISA(_ index: Int) {
    let (xShape, wShape, pad, dil) = Self.cases[index]
    let (x, w, b) = Self.tensors(index)
    let geometry = Naive.Conv(pad: (pad.0, pad.0, pad.1, pad.1), dilation: dil)
    let y = Naive.conv2d(x, w, b, geometry)
    let u = T.seeded(y.shape, .uniform(-1, 1), seed: 99)
    // The transposed convolution of u: a convolution of u padded by d·(k − 1) − p.
    let dx = Naive.convTranspose2d(u, w, nil, stride: (1, 1), pad: pad, outputPadding: (0, 0), dilation: dil, groups: 1)
    let (n, c, o, kh, kw) = (xShape[0], xShape[1], wShape[0], wShape[2], wShape[3])
    let flippedPad = (dil.0 * (kh - 1) - pad.0, dil.1 * (kw - 1) - pad.1)
    let (xf, wf, bf, uf) = (Self.float(x).scalars, Self.float(w).scalars, Self.float(b).scalars, Self.float(u).scalars)
    for isa in KernelISA.allCases.filter(\.isSupported) {
      var packed = [Float](repeating: .nan, count: ImplicitConvolution.packedCount(rows: o, depth: c * kh * kw))
      ImplicitConvolution.packWeight(wf, rows: o, channels: c, kernel: (kh, kw), flipped: false, into: &packed)
      var out = [Float](repeating: .nan, count: y.count)
      ImplicitConvolution.convolve(packed: packed, rows: o, xf, samples: n, channels: c, height: xShape[2],
                                   width: xShape[3], kernel: (kh, kw), padding: pad, dilation: dil, bias: bf,
                                   into: &out, isa: isa)
      expectClose(F(shape: y.shape, scalars: out), Self.float(y), Self.tolerance, "forward, case \(index), \(isa)")
      guard flippedPad.0 >= 0 && flippedPad.1 >= 0 else { continue }
      var packedT = [Float](repeating: .nan, count: ImplicitConvolution.packedCount(rows: c, depth: o * kh * kw))
      ImplicitConvolution.packWeight(wf, rows: c, channels: o, kernel: (kh, kw), flipped: true, into: &packedT)
      var z = [Float](repeating: .nan, count: dx.count)
      ImplicitConvolution.convolve(packed: packedT, rows: c, uf, samples: n, channels: o, height: y.shape[2],
                                   width: y.shape[3], kernel: (kh, kw), padding: flippedPad, dilation: dil, bias: nil,
                                   into: &z, isa: isa)
      expectClose(F(shape: dx.shape, scalars: z), Self.float(dx), Self.tolerance, "transposed, case \(index), \(isa)")
    }
  }

  /// conv2d and convTranspose2d with depth ≥ 64 (the implicit path) against the loops on 1 and 2
  /// threads, and against the im2col + GEMM path (portable ISA: the implicit path is off there).
  @Test func opsOnTheImplicitPathMatchTheLoopsAndTheGemmPath() {
    let x = T.seeded([5, 9, 7, 11], .uniform(-1, 1), seed: 7), w = T.seeded([13, 9, 3, 3], .uniform(-1, 1), seed: 8)
    let b = T.seeded([13], .uniform(5, 9), seed: 9)
    // The last padding is beyond d·(k − 1): convTranspose2d takes the GEMM path there.
    for (pad, dil) in [((1, 1), (1, 1)), ((0, 2), (1, 1)), ((2, 1), (2, 1)), ((3, 3), (1, 1))] {
      let geometry = Naive.Conv(pad: (pad.0, pad.0, pad.1, pad.1), dilation: dil)
      let y = Naive.conv2d(x, w, b, geometry)
      let u = T.seeded(y.shape, .uniform(-1, 1), seed: 10)
      let dx = Naive.convTranspose2d(u, w, nil, stride: (1, 1), pad: pad, outputPadding: (0, 0), dilation: dil, groups: 1)
      func run() -> (F, F) {
        (F.conv2d(Self.float(x), weight: Self.float(w), bias: Self.float(b), padding: .explicit(Size2D(pad.0, pad.1)),
                  dilation: Size2D(dil.0, dil.1)),
         F.convTranspose2d(Self.float(u), weight: Self.float(w), padding: Size2D(pad.0, pad.1), dilation: Size2D(dil.0, dil.1)))
      }
      let reference = Gemm.withSettings(kernelISA: .portable) { run() }!
      let one = Gemm.withSettings(threadCount: 1) { run() }!
      let (two, usedTwo) = withTwoThreadsProved { run() }
      let label = "padding \(pad), dilation \(dil)"
      #expect(usedTwo, "\(label): the second thread never took a piece")
      // Whole images are the pieces of work: two threads give the bits of one.
      #expect(one.0.scalars.map(\.bitPattern) == two.0.scalars.map(\.bitPattern), "conv2d, \(label)")
      #expect(one.1.scalars.map(\.bitPattern) == two.1.scalars.map(\.bitPattern), "convTranspose2d, \(label)")
      expectClose(one.0, Self.float(y), Self.tolerance, "conv2d, \(label)")
      expectClose(one.1, Self.float(dx), Self.tolerance, "convTranspose2d, \(label)")
      expectClose(one.0, reference.0, Self.tolerance, "conv2d against the GEMM path, \(label)")
      expectClose(one.1, reference.1, Self.tolerance, "convTranspose2d against the GEMM path, \(label)")
    }
  }

  /// The weight-gradient kernel at every ISA the CPU runs against the loops, over all samples of
  /// each case (row counts that are not multiples of the 64-channel tile, depths that are not
  /// multiples of the 6-row tile); the output starts as NaN (it must be written, not added to).
  @Test(arguments: 0..<10)
  func weightGradientKernelMatchesTheLoopsAtEveryISA(_ index: Int) {
    let (xShape, wShape, pad, dil) = Self.cases[index]
    let (x, w, _) = Self.tensors(index)
    let geometry = Naive.Conv(pad: (pad.0, pad.0, pad.1, pad.1), dilation: dil)
    let u = T.seeded(Naive.conv2d(x, w, nil, geometry).shape, .uniform(-1, 1), seed: 98)
    let dw = Naive.conv2dWeightGradient(x, u, kernel: (wShape[2], wShape[3]), geometry)
    let (xf, uf) = (Self.float(x).scalars, Self.float(u).scalars)
    for isa in KernelISA.allCases.filter(\.isSupported) {
      var out = [Float](repeating: .nan, count: dw.count)
      ImplicitConvolution.weightGradient(xf, uf, samples: xShape[0], channels: xShape[1], height: xShape[2],
                                         width: xShape[3], rows: wShape[0], kernel: (wShape[2], wShape[3]),
                                         padding: pad, dilation: dil, into: &out, isa: isa)
      expectClose(F(shape: dw.shape, scalars: out), Self.float(dw), Self.tolerance, "weight gradient, case \(index), \(isa)")
    }
  }

  /// conv2dWeightGradient where it takes the implicit path (48 rows, depth 72) with two sample
  /// tiles (14 images of 24×24: 12 fit a tile's budget), on 1 and 2 threads, against the Double op
  /// (the reference path; the loops are too slow at this size) and the Float im2col + GEMM path
  /// (portable ISA).
  @Test func weightGradientOpMatchesTheDoublePathAndTheGemmPath() {
    let x = T.seeded([14, 8, 24, 24], .uniform(-1, 1), seed: 21)
    let u = T.seeded([14, 48, 24, 24], .uniform(-1, 1), seed: 23)
    let dw = T.conv2dWeightGradient(input: x, gradient: u, kernel: Size2D(3, 3), padding: Size2D(1, 1))
    func run() -> F {
      F.conv2dWeightGradient(input: Self.float(x), gradient: Self.float(u), kernel: Size2D(3, 3), padding: Size2D(1, 1))
    }
    // 14 · 576 products of values in [−1, 1] per element, summed in Float.
    let tolerance = Tolerance(rtol: 1e-4, atol: 2e-3, rationale: "Float sums of 8,064 products of values ≤ 1")
    let reference = Gemm.withSettings(kernelISA: .portable) { run() }!
    let one = Gemm.withSettings(threadCount: 1) { run() }!
    let (two, usedTwo) = withTwoThreadsProved { run() }
    #expect(usedTwo, "the second thread never took a tile")
    // Each tile's sum has its own slot, added in tile order: two threads give the bits of one.
    #expect(one.scalars.map(\.bitPattern) == two.scalars.map(\.bitPattern))
    expectClose(one, Self.float(dw), tolerance, "conv2dWeightGradient")
    expectClose(one, reference, tolerance, "conv2dWeightGradient against the GEMM path")
  }

  /// No input channels (the C entry point divides the depth by the channel count): every output
  /// is the bias, at every ISA.
  @Test func noChannelsGiveTheBias() {
    for isa in KernelISA.allCases.filter(\.isSupported) {
      let bias: [Float] = [1, 2, 3]
      var out = [Float](repeating: .nan, count: 2 * 3 * 4 * 5)
      ImplicitConvolution.convolve(packed: [], rows: 3, [], samples: 2, channels: 0, height: 4, width: 5,
                                   kernel: (1, 1), padding: (0, 0), dilation: (1, 1), bias: bias, into: &out, isa: isa)
      #expect(out == (0..<out.count).map { bias[($0 / 20) % 3] }, "\(isa)")
    }
  }

  /// The path choice: whole images are the implicit path's pieces of work, so fewer samples than
  /// threads in one GEMM tile take im2col + GEMM (which splits each product over the threads),
  /// and a lone weight-gradient tile on several threads does too.
  @Test func fewerSamplesThanThreadsTakeTheGemmPath() {
    let g = ConvolutionGeometry(stride: Size2D(1, 1), padding: Size2D(1, 1), dilation: Size2D(1, 1), groups: 1)
    func forward(_ samples: Int, tiles: Int, threads: Int) -> Bool {
      implicitConvolutionApplies(Float.self, g, samples: samples, rows: 48, channels: 16, height: 24, width: 24,
                                 kernel: Size2D(3, 3), padding: g.padding, gemmTiles: tiles, threads: threads, isa: .avx2)
    }
    #expect(forward(1, tiles: 1, threads: 1))
    #expect(!forward(1, tiles: 1, threads: 2))
    #expect(!forward(3, tiles: 1, threads: 4))
    #expect(forward(4, tiles: 1, threads: 4))
    #expect(forward(20, tiles: 3, threads: 32), "several GEMM tiles keep no more threads busy")
    func weights(tiles: Int, threads: Int) -> Bool {
      implicitWeightGradientApplies(Float.self, g, rows: 48, channels: 16, height: 24, width: 24, kernel: Size2D(3, 3),
                                    tiles: tiles, threads: threads, isa: .avx512)
    }
    #expect(weights(tiles: 1, threads: 1))
    #expect(!weights(tiles: 1, threads: 2))
    #expect(weights(tiles: 2, threads: 4))
  }

  /// Per-thread scratch above `ImplicitConvolution.scratchLimit` takes im2col + GEMM: 64 channels
  /// of 224 × 224 (≈ 39 MB of shifted copies) do, 28 × 28 do not. Decided from the shape alone
  /// (nothing is allocated here).
  @Test func largeImagesTakeTheGemmPath() {
    let g = ConvolutionGeometry(stride: Size2D(1, 1), padding: Size2D(1, 1), dilation: Size2D(1, 1), groups: 1)
    func forward(_ side: Int) -> Bool {
      implicitConvolutionApplies(Float.self, g, samples: 8, rows: 64, channels: 64, height: side, width: side,
                                 kernel: Size2D(3, 3), padding: g.padding, gemmTiles: 1, threads: 1, isa: .avx512)
    }
    func weights(_ side: Int) -> Bool {
      implicitWeightGradientApplies(Float.self, g, rows: 64, channels: 64, height: side, width: side,
                                    kernel: Size2D(3, 3), tiles: 1, threads: 1, isa: .avx512)
    }
    let copies = 64 * 3 * 226 * 224 * 4  // channels · kw · padded height · output width floats
    let bytes = ImplicitConvolution.scratchBytes(rows: 64, channels: 64, height: 224, width: 224, kernel: (3, 3),
                                                 padding: (1, 1), dilation: (1, 1))
    #expect(bytes >= copies && bytes < copies + 100_000, "\(bytes) bytes")
    #expect(forward(28) && !forward(224))
    #expect(!forward(120), "64 channels of 120 × 120: 10.4 MB of copies")
    if KernelISA.avx512.isSupported { #expect(weights(28) && !weights(224)) }
    // Transposed: u (64 channels of 224 × 224) padded by d·(k − 1) − p = 1.
    #expect(!implicitConvolutionApplies(Float.self, g, samples: 8, rows: 64, channels: 64, height: 224, width: 224,
                                        kernel: Size2D(3, 3), padding: Size2D(1, 1), gemmTiles: 1, threads: 1, isa: .avx2))
  }

  /// One image on two threads: conv2d, convTranspose2d and conv2dWeightGradient take im2col + GEMM
  /// (our own GEMM, whose pieces run on the pool), match the loops, and the second thread takes
  /// part in each (the implicit path would run the lone image on the calling thread).
  @Test func oneImageOnTwoThreadsUsesBoth() {
    let x = T.seeded([1, 16, 16, 16], .uniform(-1, 1), seed: 31), w = T.seeded([48, 16, 3, 3], .uniform(-1, 1), seed: 32)
    let geometry = Naive.Conv(pad: (1, 1, 1, 1), dilation: (1, 1))
    let y = Naive.conv2d(x, w, nil, geometry)
    let u = T.seeded(y.shape, .uniform(-1, 1), seed: 33)
    let dx = Naive.convTranspose2d(u, w, nil, stride: (1, 1), pad: (1, 1), outputPadding: (0, 0), dilation: (1, 1), groups: 1)
    let dw = Naive.conv2dWeightGradient(x, u, kernel: (3, 3), geometry)
    let (xf, wf, uf) = (Self.float(x), Self.float(w), Self.float(u))
    // Sums of ≤ 256 products of values in [−1, 1] in Float.
    let tolerance = Tolerance(rtol: 1e-4, atol: 1e-3, rationale: "Float sums of ≤ 256 products of values ≤ 1")
    let runs: [(String, () -> F, T)] = [
      ("conv2d", { F.conv2d(xf, weight: wf, padding: .explicit(Size2D(1, 1))) }, y),
      ("convTranspose2d", { F.convTranspose2d(uf, weight: wf, padding: Size2D(1, 1)) }, dx),
      ("conv2dWeightGradient", { F.conv2dWeightGradient(input: xf, gradient: uf, kernel: Size2D(3, 3), padding: Size2D(1, 1)) }, dw),
    ]
    for (name, run, expected) in runs {
      let (result, usedTwo) = withTwoThreadsProved { Gemm.withSettings(backend: .own) { run() }! }
      expectClose(result, Self.float(expected), tolerance, name)
      #expect(usedTwo, "\(name): the second thread never took a piece")
    }
  }
}
