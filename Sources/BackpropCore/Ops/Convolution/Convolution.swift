// The public convolution functions: conv2d, conv1d, convTranspose2d and conv2d's weight
// gradient, with PyTorch's arguments. conv2d adds its bias inside the op; convTranspose2d adds it
// by broadcasting (its VJP sums g over N, H, W).

extension Tensor {
  /// 2-D convolution (cross-correlation) of `input` (N, C, H, W) with `weight`
  /// (O, C/groups, kh, kw), plus `bias` (O) — PyTorch's `F.conv2d`.
  ///
  /// `y[n,o,p,q] = b[o] + Σ_{c,i,j} x[n, c′, p·s − pad + i·d, q·s − pad + j·d] · w[o,c,i,j]`, with
  /// `c′` in output channel `o`'s group; output size `⌊(H + 2·pad − d·(kh − 1) − 1)/s⌋ + 1`.
  /// VJP: `∂L/∂x = convTranspose2d(g, w)`, `∂L/∂w = conv2dWeightGradient(x, g)`, `∂L/∂b = Σ_{n,p,q} g`;
  /// all three are differentiable again. `padding: .same` (stride 1) keeps H and W.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1,
                            padding: ConvolutionPadding = 0, dilation: Size2D = 1, groups: Int = 1) -> Tensor {
    require(input.rank == 4 && weight.rank == 4, "conv2d",
            "the input \(input.shape) must be (N, C, H, W) and the weight \(weight.shape) (O, C/groups, kh, kw)")
    var x = input, pad: Size2D
    switch padding {
    case let .explicit(p): pad = p
    case .same:
      require(stride == 1, "conv2d", "padding .same needs stride 1 (stride \(stride))")
      let total = Size2D(dilation.height * (weight.shape[2] - 1), dilation.width * (weight.shape[3] - 1))
      pad = Size2D(total.height / 2, total.width / 2)
      // PyTorch puts an odd total's extra zero at the bottom and on the right.
      if total.height % 2 == 1 { x = x.padded(alongAxis: 2, before: 0, after: 1) }
      if total.width % 2 == 1 { x = x.padded(alongAxis: 3, before: 0, after: 1) }
    }
    let geometry = ConvolutionGeometry(stride: stride, padding: pad, dilation: dilation, groups: groups)
    if let bias {
      require(bias.shape == [weight.shape[0]], "conv2d",
              "the bias has shape \(bias.shape); it must be [\(weight.shape[0])] (one per output channel)")
      return apply(Conv2D(geometry: geometry), to: [x, weight, bias])  // the bias is added inside the op
    }
    return apply(Conv2D(geometry: geometry), to: [x, weight])
  }

  /// 1-D convolution of `input` (N, C, L) with `weight` (O, C/groups, k), plus `bias` (O) —
  /// PyTorch's `F.conv1d`; computed as `conv2d` on images of height 1 (same VJP).
  /// `padding` is one number or `.same`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func conv1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1,
                            padding: ConvolutionPadding = 0, dilation: Int = 1, groups: Int = 1) -> Tensor {
    require(input.rank == 3 && weight.rank == 3, "conv1d",
            "the input \(input.shape) must be (N, C, L) and the weight \(weight.shape) (O, C/groups, k)")
    let pad: ConvolutionPadding
    switch padding {
    case .same: pad = .same
    case let .explicit(p):
      require(p.height == p.width, "conv1d", "padding is one number for conv1d, not \(p)")
      pad = .explicit(Size2D(0, p.width))
    }
    let y = conv2d(input.expandingShape(at: 2), weight: weight.expandingShape(at: 2), bias: bias,
                   stride: Size2D(1, stride), padding: pad, dilation: Size2D(1, dilation), groups: groups)
    return y.squeezingShape(at: [2])
  }

  /// Transposed 2-D convolution of `input` (N, Cin, H, W) with `weight` (Cin, Cout/groups, kh, kw),
  /// plus `bias` (Cout) — PyTorch's `F.conv_transpose2d`, the input gradient of `conv2d`.
  ///
  /// Output size `(H − 1)·s − 2·pad + d·(kh − 1) + outputPadding + 1`; `outputPadding` (smaller
  /// than the stride or the dilation) picks one of the input sizes a strided conv2d maps to H.
  /// VJP: `∂L/∂x = conv2d(g, w)`, `∂L/∂w = conv2dWeightGradient(g, x)`, `∂L/∂b = Σ g`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1,
                                     padding: Size2D = 0, outputPadding: Size2D = 0, dilation: Size2D = 1,
                                     groups: Int = 1) -> Tensor {
    require(input.rank == 4 && weight.rank == 4, "convTranspose2d",
            "the input \(input.shape) must be (N, Cin, H, W) and the weight \(weight.shape) (Cin, Cout/groups, kh, kw)")
    require((outputPadding.height < stride.height || outputPadding.height < dilation.height)
              && (outputPadding.width < stride.width || outputPadding.width < dilation.width)
              && outputPadding.height >= 0 && outputPadding.width >= 0, "convTranspose2d",
            "outputPadding \(outputPadding) must be smaller than the stride \(stride) or the dilation \(dilation)")
    let height = (input.shape[2] - 1) * stride.height - 2 * padding.height + dilation.height * (weight.shape[2] - 1)
      + outputPadding.height + 1
    let width = (input.shape[3] - 1) * stride.width - 2 * padding.width + dilation.width * (weight.shape[3] - 1)
      + outputPadding.width + 1
    require(height > 0 && width > 0, "convTranspose2d", "the output size \(height)×\(width) is not positive "
      + "(input \(input.shape), weight \(weight.shape), stride \(stride), padding \(padding))")
    let geometry = ConvolutionGeometry(stride: stride, padding: padding, dilation: dilation, groups: groups)
    return addingChannelBias(apply(ConvTranspose2D(geometry: geometry, height: height, width: width), to: [input, weight]),
                             bias, op: "convTranspose2d")
  }

  /// The gradient of `conv2d`'s weight (PyTorch's `torch.nn.grad.conv2d_weight`): for `input`
  /// (N, C, H, W) and an output gradient `gradient` (N, O, Ho, Wo), the (O, C/groups, kh, kw) tensor
  /// `Σ_{n,p,q} x[n, c′, p·s − pad + i·d, q·s − pad + j·d] · gradient[n,o,p,q]`.
  /// VJP: `∂L/∂x = convTranspose2d(gradient, g)`, `∂L/∂gradient = conv2d(x, g)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func conv2dWeightGradient(input: Tensor, gradient: Tensor, kernel: Size2D, stride: Size2D = 1,
                                          padding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1) -> Tensor {
    let geometry = ConvolutionGeometry(stride: stride, padding: padding, dilation: dilation, groups: groups)
    return apply(Conv2DWeightGradient(geometry: geometry, kernel: kernel), to: [input, gradient])
  }

  /// `y + bias` along axis 1 (channels), or `y` without a bias.
  static func addingChannelBias(_ y: Tensor, _ bias: Tensor?, op: String) -> Tensor {
    guard let bias else { return y }
    require(bias.shape == [y.shape[1]], op, "the bias has shape \(bias.shape); it must be [\(y.shape[1])] (one per output channel)")
    return y + bias.reshaped(to: [1, y.shape[1]] + [Int](repeating: 1, count: y.rank - 2))
  }
}
