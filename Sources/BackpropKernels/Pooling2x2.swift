import CBackpropKernels

/// `Float` 2×2, stride-2 max pooling over planes and its adjoint, 8 windows per AVX2 step (the
/// pooling of the usual CNN). Exact: comparisons and copies only, so every `isa` gives the same
/// bits, and PyTorch's window rule (first maximum in scan order; a NaN wins, the last one).
public enum Pooling2x2 {
  /// `y[p, i, j]` = `h` at the maximum of `x` in the window `(2i…2i+1, 2j…2j+1)` of plane `p`
  /// (`y` is planes × ⌊height/2⌋ × ⌊width/2⌋); `h` may be `x`.
  public static func maxPool(h: UnsafePointer<Float>, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                             planes: Int, height: Int, width: Int, isa: KernelISA = Gemm.kernelISA) {
    guard planes > 0, height >= 2, width >= 2 else { return }
    bp_f32_maxpool2x2(h, x, y, planes, height, width, isa.cValue)
  }

  /// The adjoint of `maxPool` in `h`: `z` (shaped like `x`) is `g` at each window's maximum of `x`
  /// and 0 everywhere else; every element of `z` is written.
  public static func maxUnpool(g: UnsafePointer<Float>, x: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>,
                               planes: Int, height: Int, width: Int, isa: KernelISA = Gemm.kernelISA) {
    guard planes > 0, height > 0, width > 0 else { return }
    if height < 2 || width < 2 { z.update(repeating: 0, count: planes * height * width); return }
    bp_f32_maxunpool2x2(g, x, z, planes, height, width, isa.cValue)
  }
}
