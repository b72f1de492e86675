import BackpropKernels

// The Float fast path shared by `conv2d` and the stride-1 `convTranspose2d` (its input gradient).

/// Whether a Float convolution of this shape runs as an implicit GEMM (`ImplicitConvolution`)
/// rather than im2col + GEMM: stride 1, one group, a depth (`channels · kh · kw`) large enough for
/// the implicit kernel to win (`ImplicitConvolution.pays`), per-thread scratch within
/// `ImplicitConvolution.scratchLimit`, and no fewer busy threads than the GEMM path. The implicit
/// path's pieces of work are whole images, so it keeps min(samples, threads) threads busy; the
/// GEMM path splits a lone sample tile's products over every thread (`Tensor.forEachTile`), so a
/// batch of fewer samples than threads in one tile runs im2col + GEMM (`gemmTiles` is the GEMM
/// path's tile count). The results then differ from the implicit path's to Float rounding: at
/// such batches the bits depend on the thread count. `padding` is the convolution's own (for a
/// transposed convolution, the flipped one); only stride, groups and dilation come from `g`.
func implicitConvolutionApplies<S>(_: S.Type, _ g: ConvolutionGeometry, samples: Int, rows: Int, channels: Int,
                                   height: Int, width: Int, kernel: Size2D, padding: Size2D, gemmTiles: Int,
                                   threads: Int = Gemm.threadCount, isa: KernelISA = Gemm.kernelISA) -> Bool {
  guard S.self == Float.self && g.stride == 1 && g.groups == 1 && padding.height >= 0 && padding.width >= 0,
        ImplicitConvolution.pays(depth: channels * kernel.height * kernel.width, isa: isa),
        gemmTiles > 1 || samples >= threads else { return false }
  let bytes = ImplicitConvolution.scratchBytes(rows: rows, channels: channels, height: height, width: width,
                                               kernel: (kernel.height, kernel.width),
                                               padding: (padding.height, padding.width),
                                               dilation: (g.dilation.height, g.dilation.width))
  return bytes <= ImplicitConvolution.scratchLimit
}

/// `y` (samples × rows × oh × ow) = bias + A · patches(x) for `samples` images x (channels ×
/// height × width), A from `w` as `ImplicitConvolution.packWeight` reads it; images are spread
/// over the threads (each image is one piece of work, so the bits do not depend on the count).
func implicitConvolution(_ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, flipped: Bool, rows: Int,
                         samples: Int, channels: Int, height: Int, width: Int, kernel: Size2D, padding: Size2D,
                         dilation: Size2D, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
  let depth = channels * kernel.height * kernel.width
  let oh = height + 2 * padding.height - dilation.height * (kernel.height - 1)
  let ow = width + 2 * padding.width - dilation.width * (kernel.width - 1)
  var packed = [Float](repeating: 0, count: ImplicitConvolution.packedCount(rows: rows, depth: depth))
  packed.withUnsafeMutableBufferPointer {
    ImplicitConvolution.packWeight(w, rows: rows, channels: channels, kernel: (kernel.height, kernel.width),
                                   flipped: flipped, into: $0.baseAddress!)
  }
  let isa = Gemm.kernelISA  // the caller's setting (it is per thread): the pieces run on other threads
  packed.withUnsafeBufferPointer { pp in
    nonisolated(unsafe) let (a, xb, yb, bb) = (pp.baseAddress!, x, y, bias)
    Parallel.forEachChunk(count: samples, minimumChunk: 1) { range in
      ImplicitConvolution.convolve(packed: a, rows: rows, xb + range.lowerBound * channels * height * width,
                                   samples: range.count, channels: channels, height: height, width: width,
                                   kernel: (kernel.height, kernel.width), padding: (padding.height, padding.width),
                                   dilation: (dilation.height, dilation.width), bias: bb,
                                   into: yb + range.lowerBound * rows * oh * ow, isa: isa)
    }
  }
}

/// Whether a Float convolution's weight gradient runs through `ImplicitConvolution.weightGradient`:
/// stride 1, one group, a shape where it wins (`ImplicitConvolution.paysForWeightGradient`),
/// per-thread scratch within `ImplicitConvolution.scratchLimit`, and not one sample tile on
/// several threads. Both paths run one tile per thread, but the GEMM path splits a lone tile's
/// products over every thread, where the implicit kernel would run on one.
func implicitWeightGradientApplies<S>(_: S.Type, _ g: ConvolutionGeometry, rows: Int, channels: Int, height: Int,
                                      width: Int, kernel: Size2D, tiles: Int, threads: Int = Gemm.threadCount,
                                      isa: KernelISA = Gemm.kernelISA) -> Bool {
  guard S.self == Float.self && g.stride == 1 && g.groups == 1,
        ImplicitConvolution.paysForWeightGradient(depth: channels * kernel.height * kernel.width, rows: rows, isa: isa),
        tiles > 1 || threads == 1 else { return false }
  let bytes = ImplicitConvolution.weightGradientScratchBytes(
    rows: rows, channels: channels, height: height, width: width, kernel: (kernel.height, kernel.width),
    padding: (g.padding.height, g.padding.width), dilation: (g.dilation.height, g.dilation.width), isa: isa)
  return bytes <= ImplicitConvolution.scratchLimit
}

/// The calling thread's kernel ISA, read before work is handed to other threads.
func currentKernelISA() -> KernelISA { Gemm.kernelISA }

/// One tile's weight gradient (written, not added) on the calling thread.
func implicitWeightGradient(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, samples: Int, channels: Int,
                            height: Int, width: Int, rows: Int, kernel: Size2D, _ geometry: ConvolutionGeometry,
                            into dw: UnsafeMutablePointer<Float>, isa: KernelISA) {
  ImplicitConvolution.weightGradient(x, g, samples: samples, channels: channels, height: height, width: width,
                                     rows: rows, kernel: (kernel.height, kernel.width),
                                     padding: (geometry.padding.height, geometry.padding.width),
                                     dilation: (geometry.dilation.height, geometry.dilation.width), into: dw, isa: isa)
}
