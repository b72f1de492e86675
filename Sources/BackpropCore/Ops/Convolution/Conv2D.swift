/// 2-D cross-correlation of a batch of images with a bank of filters, plus an optional bias
/// (PyTorch's `conv2d`, NCHW; inputs `[x, w]` or `[x, w, b]`):
/// `y[n,o,p,q] = b[o] + Σ_{c,i,j} x[n, g·C/G + c, p·s − pad + i·d, q·s − pad + j·d] · w[o,c,i,j]`
/// where `g` is output channel `o`'s group. Float at stride 1 with one group, depth C·kh·kw ≥ 64 and
/// a vector ISA (AVX2 or AVX-512; the portable kernels take the GEMM path) runs as an implicit GEMM
/// (`implicitConvolution`: the kernel reads kw shifted copies of each image, no patch matrix), as
/// long as the copies fit `ImplicitConvolution.scratchLimit` and the batch keeps the threads busy
/// (`implicitConvolutionApplies`). Otherwise: im2col + one GEMM per sample and group, written
/// straight into the output; samples are spread over the threads in tiles (`SampleTiles`), so the
/// patch matrix of a whole batch never exists. The bias is the GEMM's starting value (rows filled
/// with `b[o]`, β = 1), so it costs no pass of its own over the output.
///
/// The three ops `conv2d`, `convTranspose2d` (its input gradient) and `conv2dWeightGradient` are
/// the three partial adjoints of the trilinear form T(x, w, u) = ⟨conv(x, w), u⟩, which is why each
/// one's VJP is written with the other two and double backward works:
/// VJP: `∂L/∂x = convTranspose(g, w)`, `∂L/∂w = weightGradient(x, g)`, `∂L/∂b = Σ_{n,p,q} g`.
/// JVP: `ẏ = conv(ẋ, w) + conv(x, ẇ) + ḃ`.
struct Conv2D: Op {
  let name = "conv2d"
  let geometry: ConvolutionGeometry
  var parameters: [(name: String, value: String)] { geometry.parameters }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (x, w) = (inputs[0], inputs[1])
    let out = checkConvolution("conv2d", input: x.shape, weight: w.shape, geometry)
    let (n, c, h, wd, o) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], w.shape[0])
    let bias = inputs.count > 2 ? inputs[2] : nil
    require(bias == nil || bias!.shape == [o], "conv2d", "the bias has shape \(bias?.shape ?? []); it must be [\(o)] (one per output channel)")
    let kernel = Size2D(w.shape[2], w.shape[3]), groups = geometry.groups
    let (cg, og, plane) = (c / groups, o / groups, out.height * out.width)
    let k = cg * kernel.height * kernel.width
    let count = n * o * plane
    if plane == 0 || k == 0 {
      // No products: the output is the bias alone.
      var y = [S](repeating: 0, count: count)
      if let bias { for i in 0..<count { y[i] = bias.scalars[(i / plane) % o] } }
      return ([n, o, out.height, out.width], y)
    }
    let tiles = SampleTiles(samples: n, elementsPerSample: k * plane)
    // Every element is written below (a GEMM with β = 0, or β = 1 over rows filled with the
    // bias): no zero-fill first.
    let y = [S](unsafeUninitializedCapacity: count) { yp, initialized in
      x.scalars.withUnsafeBufferPointer { xp in
        w.scalars.withUnsafeBufferPointer { wp in
          (bias?.scalars ?? []).withUnsafeBufferPointer { bp in
            nonisolated(unsafe) let (xb, wb, yb) = (xp.baseAddress!, wp.baseAddress!, yp.baseAddress!)
            nonisolated(unsafe) let bb = bias == nil ? nil : bp.baseAddress
            if implicitConvolutionApplies(S.self, geometry, samples: n, rows: o, channels: c, height: h, width: wd,
                                          kernel: kernel, padding: geometry.padding, gemmTiles: tiles.count) {
              implicitConvolution(floats(xb), weight: floats(wb), flipped: false, rows: o, samples: n, channels: c,
                                  height: h, width: wd, kernel: kernel, padding: geometry.padding,
                                  dilation: geometry.dilation, bias: bb.map { floats($0) }, into: mutableFloats(yb))
              return
            }
            Tensor<S>.forEachTile(tiles, scratch: k * plane) { _, samples, col in
              for sample in samples {
                for group in 0..<groups {
                  // One sample's patches (k × plane, in cache), then W (og × k) · patches straight
                  // into its NCHW output: no product buffer to copy out of.
                  im2col(xb + (sample * c + group * cg) * h * wd, channels: cg, height: h, width: wd, kernel: kernel,
                         output: out, geometry, into: col)
                  let target = yb + (sample * o + group * og) * plane
                  if let bb {
                    for channel in 0..<og { (target + channel * plane).update(repeating: bb[group * og + channel], count: plane) }
                  }
                  S.gemm(transA: false, transB: false, m: og, n: plane, k: k, alpha: 1, a: wb + group * og * k, lda: k,
                         b: col, ldb: plane, beta: bb == nil ? 0 : 1, c: target, ldc: plane)
                }
              }
            }
          }
        }
      }
      initialized = count
    }
    return ([n, o, out.height, out.width], y)
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let (x, w) = (c.inputs[0], c.inputs[1])
    let hasBias = c.inputs.count > 2
    return Tensor.perCotangent(g, c, outputRank: 4) { g in
      [c.needsGradient(0) ? .apply(ConvTranspose2D(geometry: geometry, height: x.shape[2], width: x.shape[3]), to: [g, w]) : nil,
       c.needsGradient(1) ? .apply(Conv2DWeightGradient(geometry: geometry, kernel: Size2D(w.shape[2], w.shape[3])), to: [x, g]) : nil]
        + (hasBias ? [c.needsGradient(2) ? g.sum(alongAxes: [0, 2, 3]) : nil] : [])
    }
  }

  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    let (x, w) = (c.inputs[0], c.inputs[1])
    let bias = t.count > 2 ? t[2].map { $0.reshaped(to: [1, $0.count, 1, 1]) } : nil
    let products = tangentSum(t[0].map { .apply(self, to: [$0, w]) }, t[1].map { .apply(self, to: [x, $0]) }, like: c.output)
    return bias.map { products + $0 } ?? products
  }

  func forwardFormula(_ n: [String]) -> String { "\(n[0]) ⋆ \(n[1])" + (n.count > 2 ? " + \(n[2])" : "") }

  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    switch k {
    case 0: return GradientFormula("convTranspose2d(δ, \(c.inputNames[1]))", .other, .dense)
    case 1: return GradientFormula("Σₙ \(c.inputNames[0]) ⋆ δ (patches of \(c.inputNames[0]) · δ)", .matrix, .dense)
    default: return GradientFormula("Σ_{n,p,q} δ (summed over the batch and the image)", .other, .dense)
    }
  }
}

/// Checks a convolution's shapes and returns its output's height and width.
func checkConvolution(_ op: String, input x: [Int], weight w: [Int], _ g: ConvolutionGeometry) -> Size2D {
  require(x.count == 4, op, "the input has shape \(x); it must be (batch, channels, height, width)")
  require(w.count == 4, op, "the weight has shape \(w); it must be (out channels, in channels / groups, kh, kw)")
  require(g.groups >= 1 && x[1] % g.groups == 0 && w[0] % g.groups == 0, op,
          "groups \(g.groups) must divide the input's \(x[1]) channels and the weight's \(w[0]) output channels "
            + "(input \(x), weight \(w))")
  require(w[1] * g.groups == x[1], op,
          "the weight \(w) expects \(w[1] * g.groups) input channels (\(w[1]) × groups \(g.groups)); the input \(x) has \(x[1])")
  require(g.stride.height >= 1 && g.stride.width >= 1 && g.dilation.height >= 1 && g.dilation.width >= 1
            && g.padding.height >= 0 && g.padding.width >= 0, op,
          "stride and dilation must be ≥ 1 and padding ≥ 0 (stride \(g.stride), dilation \(g.dilation), padding \(g.padding))")
  let span = Size2D(g.dilation.height * (w[2] - 1) + 1, g.dilation.width * (w[3] - 1) + 1)
  require(span.height <= x[2] + 2 * g.padding.height && span.width <= x[3] + 2 * g.padding.width, op,
          "the kernel \(w[2])×\(w[3]) (dilation \(g.dilation)) is larger than the padded input "
          + "\(x[2] + 2 * g.padding.height)×\(x[3] + 2 * g.padding.width) (input \(x), weight \(w), padding \(g.padding))")
  return g.outputSize(height: x[2], width: x[3], kernel: Size2D(w[2], w[3]))
}
