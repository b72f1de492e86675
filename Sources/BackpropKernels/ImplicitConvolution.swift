import CBackpropKernels

/// `Float` convolutions at stride 1 as an implicit GEMM (conv_implicit.c): each image is copied
/// kw times at the output's width, copy j shifted by tap column j (zeros outside the image), and
/// the micro-kernel's B operand is read straight from those copies (no im2col matrix, no packing
/// of B), with `A` (the weights) packed once per call.
///
/// `y[r][oy][ox] = bias[r] + Σ_{c,i,j} A[r][(c,i,j)] · x[c][oy − padding.h + i·dilation.h][ox − padding.w + j·dilation.w]`
/// (zero outside the image). The sums run in a different order from `Gemm.sgemm` over im2col
/// patches, so results agree with that path to Float rounding, not bit for bit; the result does
/// not depend on the thread count (each image is one call's work).
public enum ImplicitConvolution {
  /// The number of `Float`s `packWeight` writes for `rows` rows of depth `channels · kh · kw`.
  public static func packedCount(rows: Int, depth: Int) -> Int { bp_f32_conv_s1_packed_count(rows, depth) }

  /// Packs `A` for `convolve`. `flipped == false`: `A[r][(c,i,j)] = w[r][c][i][j]` (`w` is
  /// rows × channels × kh × kw, conv2d's weight). `flipped == true`: `A[r][(c,i,j)] =
  /// w[c][r][kh−1−i][kw−1−j]` (`w` is channels × rows × kh × kw), which turns a stride-1
  /// transposed convolution into a convolution.
  public static func packWeight(_ w: UnsafePointer<Float>, rows: Int, channels: Int, kernel: (height: Int, width: Int),
                                flipped: Bool, into packed: UnsafeMutablePointer<Float>) {
    bp_f32_conv_s1_pack(w, rows, channels, kernel.height, kernel.width, flipped ? 1 : 0, packed)
  }

  /// `y` (samples × rows × oh × ow, every element written) for `samples` consecutive images `x`
  /// (channels × height × width), on the calling thread; `oh = height + 2·padding.h −
  /// dilation.h·(kh − 1)`, `ow` likewise. `bias` (rows values) may be nil.
  public static func convolve(packed: UnsafePointer<Float>, rows: Int, _ x: UnsafePointer<Float>, samples: Int,
                              channels: Int, height: Int, width: Int, kernel: (height: Int, width: Int),
                              padding: (height: Int, width: Int), dilation: (height: Int, width: Int),
                              bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
                              isa: KernelISA = Gemm.kernelISA) {
    bp_f32_conv_s1(packed, rows, x, samples, channels, height, width, kernel.height, kernel.width,
                   padding.height, padding.width, dilation.height, dilation.width, bias, y, isa.cValue)
  }

  /// The weight gradient of `convolve`'s convolution, summed over `samples` images `x` (channels ×
  /// height × width) and output gradients `g` (rows × oh × ow), written into `dw` (rows × channels
  /// × kh × kw): `dw[r][(c,i,j)] = Σ_s Σ_{oy,ox} g[s][r][oy][ox] · x[s][c][oy − padding.h + i·dilation.h][ox − padding.w + j·dilation.w]`.
  /// On the calling thread; AVX-512 when `isa` allows, else portable loops (a reference, slow).
  public static func weightGradient(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, samples: Int, channels: Int,
                                    height: Int, width: Int, rows: Int, kernel: (height: Int, width: Int),
                                    padding: (height: Int, width: Int), dilation: (height: Int, width: Int),
                                    into dw: UnsafeMutablePointer<Float>, isa: KernelISA = Gemm.kernelISA) {
    bp_f32_conv_s1_weight_gradient(x, g, samples, channels, height, width, rows, kernel.height, kernel.width,
                                   padding.height, padding.width, dilation.height, dilation.width, dw, isa.cValue)
  }

  /// The most bytes of per-thread scratch the implicit path may take (8 MiB). Its scratch (kw
  /// shifted copies of one image; for the weight gradient also one sample's transposed output
  /// gradient) stays with each thread until it exits, so larger shapes (64 channels of 224 × 224
  /// take ≈ 39 MB of copies) run im2col + GEMM, whose work space is freed after each call.
  public static let scratchLimit = 8 << 20

  /// The bytes of per-thread scratch `convolve` takes for one image of this shape.
  public static func scratchBytes(rows: Int, channels: Int, height: Int, width: Int, kernel: (height: Int, width: Int),
                                  padding: (height: Int, width: Int), dilation: (height: Int, width: Int)) -> Int {
    bp_f32_conv_s1_scratch_bytes(rows, channels, height, width, kernel.height, kernel.width, padding.height,
                                 padding.width, dilation.height, dilation.width)
  }

  /// The bytes of per-thread scratch `weightGradient` takes for this shape at `isa`.
  public static func weightGradientScratchBytes(rows: Int, channels: Int, height: Int, width: Int,
                                                kernel: (height: Int, width: Int), padding: (height: Int, width: Int),
                                                dilation: (height: Int, width: Int),
                                                isa: KernelISA = Gemm.kernelISA) -> Int {
    bp_f32_conv_s1_weight_gradient_scratch_bytes(rows, channels, height, width, kernel.height, kernel.width,
                                                 padding.height, padding.width, dilation.height, dilation.width,
                                                 isa.cValue)
  }

  /// Whether `weightGradient` is expected to beat im2col + GEMM: AVX-512 (its only vector kernel),
  /// depth ≥ 64, and at least 3/4 of its 64-channel tiles used. Measured 2026-12-06 (32 samples of
  /// the CNN's second layer, one thread): 0.77× the time of im2col + OpenBLAS.
  public static func paysForWeightGradient(depth: Int, rows: Int, isa: KernelISA = Gemm.kernelISA) -> Bool {
    isa == .avx512 && depth >= 64 && 4 * rows >= 3 * ((rows + 63) / 64 * 64)
  }

  /// Whether the implicit path is expected to beat im2col + GEMM: vector kernels only (the
  /// portable loops are the reference, not a fast path) and a depth of at least 64. Measured
  /// 2026-12-06 (AVX-512, batch 128, one thread): depth 288 (32 channels, 3×3) 0.81–0.84× the time of
  /// im2col + OpenBLAS; depth 9 (one channel) 1.37×.
  public static func pays(depth: Int, isa: KernelISA = Gemm.kernelISA) -> Bool {
    isa != .portable && depth >= 64
  }
}
