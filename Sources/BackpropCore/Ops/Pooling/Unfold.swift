/// The sliding windows of the last two axes as new axes (PyTorch's `unfold`, im2col):
/// `[…, H, W] → […, kh, kw, Ho, Wo]` with `y[…, i, j, p, q] = x[…, p·s − pad + i·d, q·s − pad + j·d]`,
/// or `padValue` outside the image (`−∞` for max pooling, 0 otherwise). Pooling is a reduction
/// of its window axes.
///
/// VJP: `∂L/∂x = fold(g)` (col2im: each window entry added back to its pixel; padding gets
/// nothing). JVP: `ẏ = unfold(ẋ)` with zero padding.
struct Unfold2D: Op {
  let name = "unfold2d"
  let kernel: Size2D
  let geometry: ConvolutionGeometry
  var padValue: Double = 0
  var parameters: [(name: String, value: String)] {
    [("kernel", kernel.description)] + geometry.parameters + (padValue == 0 ? [] : [("padValue", "\(padValue)")])
  }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0]
    require(x.rank >= 2, name, "the input has shape \(x.shape); it needs height and width as its last two axes")
    let (h, w) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
    let lead = Array(x.shape.dropLast(2)), planes = lead.reduce(1, *)
    require(kernel.height >= 1 && kernel.width >= 1 && geometry.stride.height >= 1 && geometry.stride.width >= 1,
            name, "kernel \(kernel) and stride \(geometry.stride) must be ≥ 1")
    let spanH = geometry.dilation.height * (kernel.height - 1) + 1, spanW = geometry.dilation.width * (kernel.width - 1) + 1
    require(spanH <= h + 2 * geometry.padding.height && spanW <= w + 2 * geometry.padding.width, name,
            "the window \(kernel) is larger than the padded input \(h + 2 * geometry.padding.height)×"
            + "\(w + 2 * geometry.padding.width) (input \(x.shape), padding \(geometry.padding))")
    let out = geometry.outputSize(height: h, width: w, kernel: kernel)
    let shape = lead + [kernel.height, kernel.width, out.height, out.width]
    let count = shape.reduce(1, *)
    var y = [S](repeating: 0, count: count)
    if count == 0 { return (shape, y) }
    x.scalars.withUnsafeBufferPointer { xp in
      y.withUnsafeMutableBufferPointer { yp in
        im2col(xp.baseAddress!, channels: planes, height: h, width: w, kernel: kernel, output: out, geometry,
               padValue: S(padValue), into: yp.baseAddress!)
      }
    }
    return (shape, y)
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let x = c.inputs[0]
    return [.apply(Fold2D(kernel: kernel, geometry: geometry, height: x.shape[x.rank - 2], width: x.shape[x.rank - 1]), to: [g])]
  }

  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    .apply(Unfold2D(kernel: kernel, geometry: geometry), to: [t[0]!])
  }

  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("fold(δ): window entries added back to their pixels", .rearrange, .selection)
  }
}

/// The adjoint of `unfold2d` (col2im): `[…, kh, kw, Ho, Wo] → […, H, W]`, each window entry added
/// to the pixel it came from.
///
/// VJP: `∂L/∂x = unfold(g)` (zero padding). JVP: `ẏ = fold(ẋ)`.
struct Fold2D: Op {
  let name = "fold2d"
  let kernel: Size2D
  let geometry: ConvolutionGeometry
  let height: Int
  let width: Int
  var parameters: [(name: String, value: String)] {
    [("kernel", kernel.description)] + geometry.parameters + [("outputSize", "\(height)×\(width)")]
  }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0]
    let out = geometry.outputSize(height: height, width: width, kernel: kernel)
    require(x.rank >= 4 && Array(x.shape.suffix(4)) == [kernel.height, kernel.width, out.height, out.width], name,
            "the input \(x.shape) must end in [\(kernel.height), \(kernel.width), \(out.height), \(out.width)] "
            + "(windows \(kernel) of a \(height)×\(width) image)")
    let lead = Array(x.shape.dropLast(4)), planes = lead.reduce(1, *)
    var y = [S](repeating: 0, count: planes * height * width)
    if y.isEmpty || x.count == 0 { return (lead + [height, width], y) }
    x.scalars.withUnsafeBufferPointer { xp in
      y.withUnsafeMutableBufferPointer { yp in
        col2imAdding(xp.baseAddress!, channels: planes, height: height, width: width, kernel: kernel, output: out,
                     geometry, into: yp.baseAddress!)
      }
    }
    return (lead + [height, width], y)
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    [.apply(Unfold2D(kernel: kernel, geometry: geometry), to: [g])]
  }

  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { .apply(self, to: [t[0]!]) }

  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("unfold(δ): each pixel's δ copied to its windows", .rearrange, .expansion)
  }
}

extension Tensor {
  /// The sliding `kernel` windows of the last two axes as new axes, `[…, H, W] → […, kh, kw, Ho, Wo]`
  /// (PyTorch's `F.unfold`, with the window axes kept apart). Zero padding.
  /// VJP: `fold(g)`, each window entry added back to its pixel.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func unfolded2d(kernel: Size2D, stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1) -> Tensor {
    .apply(Unfold2D(kernel: kernel, geometry: ConvolutionGeometry(stride: stride, padding: padding, dilation: dilation, groups: 1)),
           to: [self])
  }

  /// The adjoint of `unfolded2d`: `[…, kh, kw, Ho, Wo] → […, height, width]`, window entries
  /// summed into their pixels (PyTorch's `F.fold`). VJP: `unfold(g)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func folded2d(height: Int, width: Int, kernel: Size2D, stride: Size2D = 1, padding: Size2D = 0,
                       dilation: Size2D = 1) -> Tensor {
    .apply(Fold2D(kernel: kernel, geometry: ConvolutionGeometry(stride: stride, padding: padding, dilation: dilation, groups: 1),
                  height: height, width: width), to: [self])
  }
}
