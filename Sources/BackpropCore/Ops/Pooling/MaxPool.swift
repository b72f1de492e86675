import BackpropKernels

/// 2-D max pooling as one pass over the windows (PyTorch's `max_pool2d`): for every window of the
/// last two axes of `x`, the element of `h` at the window's first maximum of `x` (row-major
/// order inside the window; a NaN counts as the maximum, as in PyTorch). Padding never wins.
/// `maxPool2d(x)` is this op on `[x, x]`; the second input only chooses positions.
///
/// VJP: `∂L/∂h = maxUnpool(g, x)` (each window's δ added at its argmax: the first maximum gets
/// the whole gradient on ties, like PyTorch), `∂L/∂x = 0` (positions are piecewise constant).
/// JVP: `ẏ = maxPool(ḣ, x)`.
struct MaxPool2D: Op {
  let name = "maxPool2d"
  let kernel: Size2D
  let geometry: ConvolutionGeometry
  var parameters: [(name: String, value: String)] { [("kernel", kernel.description)] + geometry.parameters }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (h, x) = (inputs[0], inputs[1])
    require(h.shape == x.shape, name, "the values \(h.shape) and the input choosing the maxima \(x.shape) must have one shape")
    let w = MaxPoolWindows(name, shape: x.shape, kernel: kernel, geometry)
    if S.self == Float.self && w.isTwoByTwoStrideTwo && w.planes * w.outPlane > 0 {
      // The CNN's pooling: 8 windows per vector step, every output written once.
      let y = [S](unsafeUninitializedCapacity: w.planes * w.outPlane) { yp, initialized in
        h.scalars.withUnsafeBufferPointer { hp in
          x.scalars.withUnsafeBufferPointer { xp in
            nonisolated(unsafe) let (hf, xf, yf) = (floats(hp.baseAddress!), floats(xp.baseAddress!), mutableFloats(yp.baseAddress!))
            w.forEachPlaneRange { r in
              Pooling2x2.maxPool(h: hf + r.lowerBound * w.inPlane, x: xf + r.lowerBound * w.inPlane,
                                 into: yf + r.lowerBound * w.outPlane, planes: r.count, height: w.height, width: w.width)
            }
          }
        }
        initialized = w.planes * w.outPlane
      }
      return (w.outputShape, y)
    }
    var y = [S](repeating: 0, count: w.planes * w.outPlane)
    if y.isEmpty { return (w.outputShape, y) }
    h.scalars.withUnsafeBufferPointer { hp in
      x.scalars.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
          nonisolated(unsafe) let (hb, xb, yb) = (hp.baseAddress!, xp.baseAddress!, yp.baseAddress!)
          w.forEachPlane { plane in
            let (hq, xq, yq) = (hb + plane * w.inPlane, xb + plane * w.inPlane, yb + plane * w.outPlane)
            w.forEachArgmax(xq) { cell, at in yq[cell] = hq[at] }
          }
        }
      }
    }
    return (w.outputShape, y)
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let x = c.inputs[1]
    return Tensor.perCotangent(g, c, outputRank: x.rank) { g in
      [c.needsGradient(0) ? .apply(MaxUnpool2D(kernel: kernel, geometry: geometry), to: [g, x]) : nil, nil]
    }
  }

  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    guard let t0 = t[0] else { return Tensor<S>.zeros(c.output.shape) }
    return .apply(self, to: [t0, c.inputs[1]])
  }

  func forwardFormula(_ n: [String]) -> String {
    n[0] == n[1] ? "maxPool(\(n[0]))" : "\(n[0]) at the window maxima of \(n[1])"
  }

  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    k == 0 ? GradientFormula("maxUnpool(δ): each window's δ to its (first) maximum", .rearrange, .selection)
      : GradientFormula("0 (the maxima's positions are piecewise constant)", .other, .selection)
  }
}

/// The adjoint of `MaxPool2D` in its values: `z` shaped like `x`, zero except that each window's
/// `g` is added at the window's first maximum of `x` (PyTorch's max-pool backward).
///
/// VJP: `∂L/∂g = maxPool(δ, x)` (gathered at the same positions), `∂L/∂x = 0`.
/// JVP: `ż = maxUnpool(ġ, x)`.
struct MaxUnpool2D: Op {
  let name = "maxUnpool2d"
  let kernel: Size2D
  let geometry: ConvolutionGeometry
  var parameters: [(name: String, value: String)] { [("kernel", kernel.description)] + geometry.parameters }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (g, x) = (inputs[0], inputs[1])
    let w = MaxPoolWindows(name, shape: x.shape, kernel: kernel, geometry)
    require(g.shape == w.outputShape, name, "the gradient \(g.shape) must have the pooled shape \(w.outputShape) of the input \(x.shape)")
    if S.self == Float.self && w.isTwoByTwoStrideTwo && x.count > 0 {
      // Every element written (δ at the maximum, 0 elsewhere): no zero-fill, no scatter.
      let z = [S](unsafeUninitializedCapacity: x.count) { zp, initialized in
        g.scalars.withUnsafeBufferPointer { gp in
          x.scalars.withUnsafeBufferPointer { xp in
            nonisolated(unsafe) let (gf, xf, zf) = (floats(gp.baseAddress!), floats(xp.baseAddress!), mutableFloats(zp.baseAddress!))
            w.forEachPlaneRange { r in
              Pooling2x2.maxUnpool(g: gf + r.lowerBound * w.outPlane, x: xf + r.lowerBound * w.inPlane,
                                   into: zf + r.lowerBound * w.inPlane, planes: r.count, height: w.height, width: w.width)
            }
          }
        }
        initialized = x.count
      }
      return (x.shape, z)
    }
    var z = [S](repeating: 0, count: x.count)
    if g.count == 0 { return (x.shape, z) }
    g.scalars.withUnsafeBufferPointer { gp in
      x.scalars.withUnsafeBufferPointer { xp in
        z.withUnsafeMutableBufferPointer { zp in
          nonisolated(unsafe) let (gb, xb, zb) = (gp.baseAddress!, xp.baseAddress!, zp.baseAddress!)
          w.forEachPlane { plane in
            let (gq, xq, zq) = (gb + plane * w.outPlane, xb + plane * w.inPlane, zb + plane * w.inPlane)
            w.forEachArgmax(xq) { cell, at in zq[at] += gq[cell] }
          }
        }
      }
    }
    return (x.shape, z)
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let x = c.inputs[1]
    return Tensor.perCotangent(g, c, outputRank: x.rank) { g in
      [c.needsGradient(0) ? .apply(MaxPool2D(kernel: kernel, geometry: geometry), to: [g, x]) : nil, nil]
    }
  }

  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    guard let t0 = t[0] else { return Tensor<S>.zeros(c.output.shape) }
    return .apply(self, to: [t0, c.inputs[1]])
  }

  func forwardFormula(_ n: [String]) -> String { "maxUnpool(\(n[0]), at the window maxima of \(n[1]))" }

  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    k == 0 ? GradientFormula("δ at the window maxima of \(c.inputNames[1])", .rearrange, .selection)
      : GradientFormula("0 (the maxima's positions are piecewise constant)", .other, .selection)
  }
}

/// The windows of a max pooling over the last two axes of `shape`, and the loop that finds each
/// window's first maximum (PyTorch's rule: the window's first pixel inside the image, then any
/// `v > max || isnan(v)` replaces it, so the last NaN wins).
struct MaxPoolWindows {
  let planes: Int, height: Int, width: Int, out: Size2D, kernel: Size2D, g: ConvolutionGeometry
  var inPlane: Int { height * width }
  var outPlane: Int { out.height * out.width }
  let outputShape: [Int]

  init(_ op: String, shape: [Int], kernel: Size2D, _ geometry: ConvolutionGeometry) {
    require(shape.count >= 2, op, "the input has shape \(shape); it needs height and width as its last two axes")
    require(kernel.height >= 1 && kernel.width >= 1 && geometry.stride.height >= 1 && geometry.stride.width >= 1
              && geometry.dilation.height >= 1 && geometry.dilation.width >= 1, op,
            "kernel \(kernel), stride \(geometry.stride) and dilation \(geometry.dilation) must be ≥ 1")
    (height, width) = (shape[shape.count - 2], shape[shape.count - 1])
    require(geometry.padding.height >= 0 && geometry.padding.width >= 0 && 2 * geometry.padding.height <= kernel.height
              && 2 * geometry.padding.width <= kernel.width, op, "padding \(geometry.padding) must be at most half the kernel \(kernel)")
    let span = Size2D(geometry.dilation.height * (kernel.height - 1) + 1, geometry.dilation.width * (kernel.width - 1) + 1)
    require(span.height <= height + 2 * geometry.padding.height && span.width <= width + 2 * geometry.padding.width, op,
            "the window \(kernel) is larger than the padded input \(height + 2 * geometry.padding.height)×"
            + "\(width + 2 * geometry.padding.width) (input \(shape), padding \(geometry.padding))")
    planes = shape.dropLast(2).reduce(1, *)
    out = geometry.outputSize(height: height, width: width, kernel: kernel)
    (self.kernel, g) = (kernel, geometry)
    outputShape = shape.dropLast(2) + [out.height, out.width]
  }

  /// `body(plane)` for every plane, split over the compute threads (planes are independent).
  func forEachPlane(_ body: (Int) -> Void) {
    forEachPlaneRange { range in for p in range { body(p) } }
  }

  /// `body(planes)` for ranges of planes that together cover all, split over the compute threads.
  func forEachPlaneRange(_ body: (Range<Int>) -> Void) {
    let minimum = Swift.max(1, Parallel.cheapOpChunk / Swift.max(inPlane, 1))
    Parallel.forEachChunk(count: planes, minimumChunk: minimum, body)
  }

  /// 2×2 windows, stride 2, no padding, no dilation: `Pooling2x2`'s case.
  var isTwoByTwoStrideTwo: Bool {
    kernel == 2 && g.stride == 2 && g.padding == 0 && g.dilation == 1
  }

  /// `body(output cell, offset of its window's first maximum)` for every window of one plane.
  @inline(__always)
  func forEachArgmax<S: TensorScalar>(_ x: UnsafePointer<S>, _ body: (Int, Int) -> Void) {
    let (sh, sw, ph, pw, dh, dw) = (g.stride.height, g.stride.width, g.padding.height, g.padding.width,
                                    g.dilation.height, g.dilation.width)
    if kernel == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1 {
      // The common 2×2, stride 2 case: the four candidates in scan order, no bounds to check,
      // selects instead of branches (data-dependent branches mispredict half the time; `v > m`
      // and `v ≠ v` (NaN; `isNaN` compiles to a branch here) exclude each other, so `!=` is their
      // `||` without a branch).
      for oy in 0..<out.height {
        let topOffset = 2 &* oy &* width, cells = oy &* out.width
        let top = x + topOffset, bottom = top + width
        for ox in 0..<out.width {
          let i = ox &* 2
          let (v1, v2, v3) = (top[i &+ 1], bottom[i], bottom[i &+ 1])
          var best = i, m = top[i]
          let c1 = (v1 > m) != (v1 != v1)
          best = c1 ? i &+ 1 : best; m = c1 ? v1 : m
          let c2 = (v2 > m) != (v2 != v2)
          best = c2 ? i &+ width : best; m = c2 ? v2 : m
          let c3 = (v3 > m) != (v3 != v3)
          best = c3 ? i &+ width &+ 1 : best
          body(cells &+ ox, topOffset &+ best)
        }
      }
      return
    }
    for oy in 0..<out.height {
      for ox in 0..<out.width {
        var best = -1, m = -S.infinity
        for i in 0..<kernel.height {
          let iy = oy * sh - ph + i * dh
          guard iy >= 0 && iy < height else { continue }
          for j in 0..<kernel.width {
            let ix = ox * sw - pw + j * dw
            guard ix >= 0 && ix < width else { continue }
            let at = iy * width + ix, v = x[at]
            if best < 0 || v > m || v.isNaN { best = at; m = v }
          }
        }
        body(oy * out.width + ox, best)
      }
    }
  }
}

/// The same address as `Float`, for a generic op's `S == Float` path.
@inline(__always) func floats<S>(_ p: UnsafePointer<S>) -> UnsafePointer<Float> {
  UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}

@inline(__always) func mutableFloats<S>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<Float> {
  UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
