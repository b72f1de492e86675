import CBackpropKernels

/// `Float` im2col and col2im for convolutions with stride 1: one masked vector load and store per
/// patch line (im2col.c) instead of a memcpy call and tiny fills. Copies and single adds only, so
/// every `isa` gives the same bits as the scalar loops.
public enum Im2col {
  /// `col[(c·kh + i)·kw + j][y·ow + x]` (rows `rowStride` apart) =
  /// `x[c][y − padding.h + i·dilation.h][x − padding.w + j·dilation.w]`, or 0 outside the image.
  public static func patches(_ x: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                             kernel: (height: Int, width: Int), output: (height: Int, width: Int),
                             padding: (height: Int, width: Int), dilation: (height: Int, width: Int),
                             into col: UnsafeMutablePointer<Float>, rowStride: Int, isa: KernelISA = Gemm.kernelISA) {
    bp_f32_im2col_stride1(x, channels, height, width, kernel.height, kernel.width, output.height, output.width,
                          padding.height, padding.width, dilation.height, dilation.width, col, rowStride, isa.cValue)
  }

  /// The adjoint of `patches`: adds every column entry that lies inside the image to its pixel.
  public static func addPatches(_ col: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                kernel: (height: Int, width: Int), output: (height: Int, width: Int),
                                padding: (height: Int, width: Int), dilation: (height: Int, width: Int),
                                rowStride: Int, into x: UnsafeMutablePointer<Float>, isa: KernelISA = Gemm.kernelISA) {
    bp_f32_col2im_add_stride1(col, channels, height, width, kernel.height, kernel.width, output.height, output.width,
                              padding.height, padding.width, dilation.height, dilation.width, rowStride, x, isa.cValue)
  }
}
