// Max pooling (one pass, `MaxPool2D` in MaxPool.swift), average pooling as sums of unfolded
// windows (PyTorch's `avg_pool2d`…) and adaptive average pooling built from `unfolded2d`, `sum`,
// `matmul`, whose rules compose (and differentiate again).

extension Tensor {
  /// Max pooling of (N, C, H, W) (or (C, H, W)) over `kernel` windows moved by `stride`
  /// (default: the kernel), with implicit −∞ padding — PyTorch's `F.max_pool2d`. One pass over
  /// the windows (`MaxPool2D`), split over the compute threads by planes.
  ///
  /// VJP: `∂L/∂x = maxUnpool(g)` — each window's gradient goes to its first maximum (PyTorch's
  /// choice on exact ties); differentiable again (the unpool's VJP gathers at the same positions).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func maxPool2d(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, dilation: Size2D = 1) -> Tensor {
    checkPooling("maxPool2d", kernel: kernel, padding: padding)
    let geometry = ConvolutionGeometry(stride: stride ?? kernel, padding: padding, dilation: dilation, groups: 1)
    return .apply(MaxPool2D(kernel: kernel, geometry: geometry), to: [self, self])
  }

  /// The gradient of `maxPool2d` with respect to its input, as a function of its own: `gradient`
  /// (shaped like the pooled output) added at each window's first maximum of `input` (PyTorch's
  /// `max_pool2d` backward). Differentiable in `gradient` (twice and more).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func maxPool2dGradient(_ gradient: Tensor, input: Tensor, kernel: Size2D, stride: Size2D? = nil,
                                       padding: Size2D = 0, dilation: Size2D = 1) -> Tensor {
    input.checkPooling("maxPool2dGradient", kernel: kernel, padding: padding)
    let geometry = ConvolutionGeometry(stride: stride ?? kernel, padding: padding, dilation: dilation, groups: 1)
    return .apply(MaxUnpool2D(kernel: kernel, geometry: geometry), to: [gradient, input])
  }

  /// Max pooling of (N, C, L) over windows of `kernel` — PyTorch's `F.max_pool1d`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func maxPool1d(kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) -> Tensor {
    require(rank >= 2, "maxPool1d", "the input has shape \(shape); it must be (N, C, L) or (C, L)")
    return expandingShape(at: rank - 1)
      .maxPool2d(kernel: Size2D(1, kernel), stride: Size2D(1, stride ?? kernel), padding: Size2D(0, padding),
                 dilation: Size2D(1, dilation))
      .squeezingShape(at: [rank - 1])
  }

  /// Average pooling of (N, C, H, W) over `kernel` windows — PyTorch's `F.avg_pool2d`. Zero
  /// padding counts in the divisor when `countIncludePad` (PyTorch's default), else each window
  /// is divided by its number of real pixels.
  ///
  /// VJP: `∂L/∂x = fold(g / divisor)` (each pixel gets the share of every window it is in).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func avgPool2d(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, countIncludePad: Bool = true) -> Tensor {
    checkPooling("avgPool2d", kernel: kernel, padding: padding)
    let stride = stride ?? kernel
    let windows = unfolded2d(kernel: kernel, stride: stride, padding: padding)
    let sums = windows.sum(alongAxes: [rank - 2, rank - 1])
    if countIncludePad || padding == 0 { return sums / Scalar(kernel.height * kernel.width) }
    // Real pixels per window: the product of its row and column counts inside the image.
    let (h, w) = (shape[rank - 2], shape[rank - 1])
    let out = (sums.shape[rank - 2], sums.shape[rank - 1])
    func inside(_ o: Int, _ s: Int, _ p: Int, _ k: Int, _ n: Int) -> Int {
      Swift.min(o * s - p + k, n) - Swift.max(o * s - p, 0)
    }
    var counts: [Scalar] = []
    for y in 0..<out.0 {
      for x in 0..<out.1 {
        counts.append(Scalar(inside(y, stride.height, padding.height, kernel.height, h)
          * inside(x, stride.width, padding.width, kernel.width, w)))
      }
    }
    return sums / Tensor(uncheckedShape: [out.0, out.1], scalars: counts)
  }

  /// Average pooling of (N, C, L) — PyTorch's `F.avg_pool1d`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func avgPool1d(kernel: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) -> Tensor {
    require(rank >= 2, "avgPool1d", "the input has shape \(shape); it must be (N, C, L) or (C, L)")
    return expandingShape(at: rank - 1)
      .avgPool2d(kernel: Size2D(1, kernel), stride: Size2D(1, stride ?? kernel), padding: Size2D(0, padding),
                 countIncludePad: countIncludePad)
      .squeezingShape(at: [rank - 1])
  }

  /// Adaptive average pooling of (…, H, W) to `outputSize` — PyTorch's `F.adaptive_avg_pool2d`:
  /// cell (i, j) averages rows `⌊i·H/Oh⌋ ..< ⌈(i+1)·H/Oh⌉` and the columns likewise (windows
  /// overlap when Oh does not divide H). Computed as `A_h · x · A_wᵀ` with averaging matrices.
  ///
  /// VJP: `∂L/∂x = A_hᵀ · g · A_w` (the matmul rules).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func adaptiveAvgPool2d(outputSize: Size2D) -> Tensor {
    require(rank >= 2 && outputSize.height >= 1 && outputSize.width >= 1, "adaptiveAvgPool2d",
            "needs an input with height and width (shape \(shape)) and an output size ≥ 1 (\(outputSize))")
    let rows = Tensor.averagingMatrix(from: shape[rank - 2], to: outputSize.height)
    let columns = Tensor.averagingMatrix(from: shape[rank - 1], to: outputSize.width)
    return Tensor.matmul(Tensor.matmul(rows, self), columns, transposeB: true)
  }

  /// The (out × n) matrix whose row i averages PyTorch's adaptive window i.
  static func averagingMatrix(from n: Int, to out: Int) -> Tensor {
    var m = [Scalar](repeating: 0, count: out * n)
    for i in 0..<out {
      let start = i * n / out, end = ((i + 1) * n + out - 1) / out
      for j in start..<end { m[i * n + j] = 1 / Scalar(end - start) }
    }
    return Tensor(uncheckedShape: [out, n], scalars: m)
  }

  fileprivate func checkPooling(_ op: String, kernel: Size2D, padding: Size2D) {
    require(rank >= 3, op, "the input has shape \(shape); it must be (N, C, H, W) or (C, H, W)")
    require(padding.height * 2 <= kernel.height && padding.width * 2 <= kernel.width && padding.height >= 0
              && padding.width >= 0, op, "padding \(padding) must be at most half the kernel \(kernel)")
  }
}
