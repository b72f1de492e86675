/// Transposed 2-D convolution (PyTorch's `conv_transpose2d` without bias): the adjoint of
/// `conv2d` in its input, `z = convTranspose(u, w)` with `⟨conv(x, w), u⟩ = ⟨x, convTranspose(u, w)⟩`.
/// `u` is (N, O, Ho, Wo), `w` is (O, C/groups, kh, kw) (conv2d's weight), `z` is (N, C, H, W).
/// Float at stride 1 with one group, depth O·kh·kw ≥ 64, a vector ISA (AVX2 or AVX-512; the
/// portable kernels take the GEMM path) and padding ≤ d·(k − 1) on both axes (the convolution's
/// padding d·(k − 1) − p must not be negative), within `implicitConvolutionApplies`' scratch and
/// thread conditions: a convolution of u with the flipped, transposed weight, run as an implicit
/// GEMM. Otherwise per sample and group: its columns `Wᵀ·u`
/// (a GEMM reading u in place), then col2im adds them into the image; samples spread over the
/// threads in tiles.
///
/// VJP: `∂L/∂u = conv2d(g, w)`, `∂L/∂w = weightGradient(g, u)`. JVP: `ż = convT(u̇, w) + convT(u, ẇ)`.
struct ConvTranspose2D: Op {
  let name = "convTranspose2d"
  let geometry: ConvolutionGeometry
  /// The output's height and width (they fix what PyTorch calls `output_padding`).
  let height: Int
  let width: Int
  var parameters: [(name: String, value: String)] { geometry.parameters + [("outputSize", "\(height)×\(width)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (u, w) = (inputs[0], inputs[1])
    require(u.rank == 4 && w.rank == 4, name, "the input \(u.shape) and the weight \(w.shape) must both have rank 4")
    let groups = geometry.groups
    let (n, o, cg) = (u.shape[0], u.shape[1], w.shape[1])
    let c = cg * groups
    let out = checkConvolution(name, input: [n, c, height, width], weight: w.shape, geometry)
    require(u.shape[1] == w.shape[0] && out.height == u.shape[2] && out.width == u.shape[3], name,
            "the input \(u.shape) does not fit the weight \(w.shape) and the output size \(height)×\(width) "
            + "(a convolution of \(height)×\(width) gives \(w.shape[0]) channels of \(out.height)×\(out.width))")
    let kernel = Size2D(w.shape[2], w.shape[3]), og = o / groups, plane = out.height * out.width
    let k = cg * kernel.height * kernel.width
    let count = n * c * height * width
    if plane == 0 || k == 0 || og == 0 { return ([n, c, height, width], [S](repeating: 0, count: count)) }
    let tiles = SampleTiles(samples: n, elementsPerSample: k * plane)
    // Each sample's image is cleared just before col2im adds into it (in cache), not in a pass of
    // its own over the whole output first.
    let z = [S](unsafeUninitializedCapacity: count) { zp, initialized in
      u.scalars.withUnsafeBufferPointer { up in
        w.scalars.withUnsafeBufferPointer { wp in
          nonisolated(unsafe) let (ub, wb, zb) = (up.baseAddress!, wp.baseAddress!, zp.baseAddress!)
          // Stride 1: the adjoint is a convolution of u, padded by d·(k − 1) − p, with the weight
          // transposed and flipped (the Float fast path; needs that padding ≥ 0).
          let flippedPadding = Size2D(geometry.dilation.height * (kernel.height - 1) - geometry.padding.height,
                                      geometry.dilation.width * (kernel.width - 1) - geometry.padding.width)
          if implicitConvolutionApplies(S.self, geometry, samples: n, rows: c, channels: o, height: out.height,
                                        width: out.width, kernel: kernel, padding: flippedPadding,
                                        gemmTiles: tiles.count) {
            implicitConvolution(floats(ub), weight: floats(wb), flipped: true, rows: c, samples: n, channels: o,
                                height: out.height, width: out.width, kernel: kernel, padding: flippedPadding,
                                dilation: geometry.dilation, bias: nil, into: mutableFloats(zb))
            return
          }
          Tensor<S>.forEachTile(tiles, scratch: k * plane) { _, samples, col in
            for sample in samples {
              for group in 0..<groups {
                // One sample's columns Wᵀ (k × og) · u (og × plane), u read in place, then col2im
                // while they are in cache.
                S.gemm(transA: true, transB: false, m: k, n: plane, k: og, alpha: 1, a: wb + group * og * k, lda: k,
                       b: ub + (sample * o + group * og) * plane, ldb: plane, beta: 0, c: col, ldc: plane)
                let image = zb + (sample * c + group * cg) * height * width
                image.update(repeating: 0, count: cg * height * width)
                col2imAdding(col, channels: cg, height: height, width: width, kernel: kernel, output: out, geometry,
                             into: image)
              }
            }
          }
        }
      }
      initialized = count
    }
    return ([n, c, height, width], z)
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let (u, w) = (c.inputs[0], c.inputs[1])
    return Tensor.perCotangent(g, c, outputRank: 4) { g in
      [c.needsGradient(0) ? .apply(Conv2D(geometry: geometry), to: [g, w]) : nil,
       c.needsGradient(1) ? .apply(Conv2DWeightGradient(geometry: geometry, kernel: Size2D(w.shape[2], w.shape[3])), to: [g, u]) : nil]
    }
  }

  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    tangentSum(t[0].map { .apply(self, to: [$0, c.inputs[1]]) }, t[1].map { .apply(self, to: [c.inputs[0], $0]) }, like: c.output)
  }

  func forwardFormula(_ n: [String]) -> String { "convTranspose2d(\(n[0]), \(n[1]))" }

  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    k == 0 ? GradientFormula("δ ⋆ \(c.inputNames[1])", .other, .dense)
      : GradientFormula("Σₙ δ ⋆ \(c.inputNames[0]) (patches of δ · \(c.inputNames[0]))", .matrix, .dense)
  }
}

/// The gradient of `conv2d` with respect to its weight, as an op of its own so that it can be
/// differentiated again: `v[o,c,i,j] = Σ_{n,p,q} x[n, g·C/G + c, p·s − pad + i·d, q·s − pad + j·d] · u[n,o,p,q]`.
/// Per sample and group: `u · patchesᵀ` added into its tile's sum (u read in place, the patches of
/// one sample in cache); tiles run on all threads into their own sums, added in tile order.
/// Float at stride 1 with one group on AVX-512 (`ImplicitConvolution.paysForWeightGradient`), with
/// scratch within `ImplicitConvolution.scratchLimit` and not a lone tile on several threads
/// (`implicitWeightGradientApplies`): each tile's sum comes from `ImplicitConvolution.weightGradient`,
/// with no patch matrix.
///
/// VJP: `∂L/∂x = convTranspose(u, g)`, `∂L/∂u = conv2d(x, g)`. JVP: `v̇ = wg(ẋ, u) + wg(x, u̇)`.
struct Conv2DWeightGradient: Op {
  let name = "conv2dWeightGradient"
  let geometry: ConvolutionGeometry
  let kernel: Size2D
  var parameters: [(name: String, value: String)] { geometry.parameters + [("kernel", kernel.description)] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (x, u) = (inputs[0], inputs[1])
    require(x.rank == 4 && u.rank == 4 && x.shape[0] == u.shape[0], name,
            "the input \(x.shape) and the output gradient \(u.shape) must be rank 4 with the same batch size")
    let groups = geometry.groups
    let (n, c, h, wd, o) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], u.shape[1])
    require(c % groups == 0 && o % groups == 0, name, "groups \(groups) must divide \(c) and \(o) channels")
    let cg = c / groups, og = o / groups
    let weightShape = [o, cg, kernel.height, kernel.width]
    let out = checkConvolution(name, input: x.shape, weight: weightShape, geometry)
    require(out.height == u.shape[2] && out.width == u.shape[3], name,
            "the output gradient \(u.shape) does not fit a convolution of \(x.shape) (it gives \(out.height)×\(out.width))")
    let plane = out.height * out.width, k = cg * kernel.height * kernel.width
    var v = [S](repeating: 0, count: o * k)
    if plane == 0 || k == 0 || og == 0 { return (weightShape, v) }
    let tiles = SampleTiles(samples: n, elementsPerSample: k * plane)
    // Each tile's sum lands in its own slot, and the slots are added in tile order: the result
    // does not depend on how tiles were spread over threads.
    var partials = [S](repeating: 0, count: tiles.count > 1 ? tiles.count * o * k : 0)
    x.scalars.withUnsafeBufferPointer { xp in
      u.scalars.withUnsafeBufferPointer { up in
        v.withUnsafeMutableBufferPointer { vp in
          partials.withUnsafeMutableBufferPointer { pp in
            nonisolated(unsafe) let (xb, ub, vb, pb) = (xp.baseAddress!, up.baseAddress!, vp.baseAddress!, pp.baseAddress)
            let implicit = implicitWeightGradientApplies(S.self, geometry, rows: o, channels: c, height: h, width: wd,
                                                         kernel: kernel, tiles: tiles.count)
            let isa = currentKernelISA()  // the caller's setting (it is per thread)
            Tensor<S>.forEachTile(tiles, scratch: implicit ? 0 : k * plane) { tile, samples, col in
              let sum = tiles.count > 1 ? pb! + tile * o * k : vb
              if implicit {
                // The tile's sum, with the image read through shifted copies (no patch matrix).
                implicitWeightGradient(floats(xb + samples.lowerBound * c * h * wd),
                                       floats(ub + samples.lowerBound * o * plane), samples: samples.count,
                                       channels: c, height: h, width: wd, rows: o, kernel: kernel, geometry,
                                       into: mutableFloats(sum), isa: isa)
                return
              }
              for (i, sample) in samples.enumerated() {
                for group in 0..<groups {
                  // Per sample, added into the tile's sum: u (og × plane, read in place) · patchesᵀ
                  // (plane × k, in cache).
                  im2col(xb + (sample * c + group * cg) * h * wd, channels: cg, height: h, width: wd, kernel: kernel,
                         output: out, geometry, into: col)
                  S.gemm(transA: false, transB: true, m: og, n: k, k: plane, alpha: 1, a: ub + (sample * o + group * og) * plane,
                         lda: plane, b: col, ldb: plane, beta: i == 0 ? 0 : 1, c: sum + group * og * k, ldc: k)
                }
              }
            }
            if tiles.count > 1 {
              for tile in 0..<tiles.count {
                let part = pb! + tile * o * k
                for e in 0..<(o * k) { vb[e] += part[e] }
              }
            }
          }
        }
      }
    }
    return (weightShape, v)
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let (x, u) = (c.inputs[0], c.inputs[1])
    return Tensor.perCotangent(g, c, outputRank: 4) { g in
      [c.needsGradient(0) ? .apply(ConvTranspose2D(geometry: geometry, height: x.shape[2], width: x.shape[3]), to: [u, g]) : nil,
       c.needsGradient(1) ? .apply(Conv2D(geometry: geometry), to: [x, g]) : nil]
    }
  }

  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    tangentSum(t[0].map { .apply(self, to: [$0, c.inputs[1]]) }, t[1].map { .apply(self, to: [c.inputs[0], $0]) }, like: c.output)
  }

  func forwardFormula(_ n: [String]) -> String { "Σₙ \(n[0]) ⋆ \(n[1])" }

  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    k == 0 ? GradientFormula("convTranspose2d(\(c.inputNames[1]), δ)", .other, .dense)
      : GradientFormula("\(c.inputNames[0]) ⋆ δ", .other, .dense)
  }
}
