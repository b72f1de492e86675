import BackpropKernels

// The geometry shared by the 2-D convolution ops and their im2col/col2im kernels.

/// A height and a width: `2` means 2 on both axes, `[2, 1]` height 2 and width 1 (PyTorch's
/// `int` or `(int, int)` arguments of `conv2d`, `max_pool2d`…).
public struct Size2D: Sendable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, CustomStringConvertible {
  public var height: Int
  public var width: Int
  public init(_ height: Int, _ width: Int) { self.height = height; self.width = width }
  public init(integerLiteral value: Int) { self.init(value, value) }
  public init(arrayLiteral elements: Int...) {
    require(elements.count == 2, "Size2D takes one number or [height, width], not \(elements)")
    self.init(elements[0], elements[1])
  }
  public var description: String { height == width ? "\(height)" : "(\(height), \(width))" }
}

/// Zero padding of a convolution: explicit (`1`, `[1, 2]`), or `.same` (stride 1 only: the
/// output has the input's size; an odd total goes one more to the bottom/right, as in PyTorch).
public enum ConvolutionPadding: Sendable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
  case explicit(Size2D)
  case same
  public init(integerLiteral value: Int) { self = .explicit(Size2D(value, value)) }
  public init(arrayLiteral elements: Int...) {
    require(elements.count == 2, "padding takes one number or [height, width], not \(elements)")
    self = .explicit(Size2D(elements[0], elements[1]))
  }
}

/// Stride, symmetric zero padding, dilation and groups of a 2-D convolution (NCHW).
struct ConvolutionGeometry: Sendable, Hashable {
  var stride: Size2D
  var padding: Size2D
  var dilation: Size2D
  var groups: Int

  /// The output size along one axis: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 (PyTorch's formula).
  static func outputSize(_ n: Int, kernel k: Int, stride s: Int, padding p: Int, dilation d: Int) -> Int {
    let span = n + 2 * p - d * (k - 1) - 1
    return span < 0 ? 0 : span / s + 1
  }

  func outputSize(height: Int, width: Int, kernel: Size2D) -> Size2D {
    Size2D(Self.outputSize(height, kernel: kernel.height, stride: stride.height, padding: padding.height, dilation: dilation.height),
           Self.outputSize(width, kernel: kernel.width, stride: stride.width, padding: padding.width, dilation: dilation.width))
  }

  var parameters: [(name: String, value: String)] {
    var p: [(name: String, value: String)] = []
    if stride != 1 { p.append(("stride", stride.description)) }
    if padding != 0 { p.append(("padding", padding.description)) }
    if dilation != 1 { p.append(("dilation", dilation.description)) }
    if groups != 1 { p.append(("groups", "\(groups)")) }
    return p
  }
}

/// The output columns `lo..<hi` whose input column `x·s + offset` lies inside `0..<n` (the rest
/// read padding): the loops below run branch-free between them.
@inline(__always)
func insideRange(count: Int, stride s: Int, offset: Int, size n: Int) -> (lo: Int, hi: Int) {
  // x·s + offset ≥ 0  ⇔  x ≥ ⌈−offset / s⌉;   x·s + offset < n  ⇔  x < ⌈(n − offset) / s⌉.
  let lo = offset >= 0 ? 0 : (-offset + s - 1) / s
  let hi = n - offset <= 0 ? 0 : (n - offset + s - 1) / s
  return (Swift.min(lo, count), Swift.max(Swift.min(hi, count), Swift.min(lo, count)))
}

/// One channel block's patches of an image, column-wise: `col[(c·kh + i)·kw + j][oh·Wo + ow]` =
/// `x[c][oh·s − p + i·d][ow·s − p + j·d]`, or `padValue` outside the image (im2col). Rows of
/// `col` are `rowStride` apart (default Ho·Wo; wider when several samples share one matrix).
@inline(__always)
func im2col<S: TensorScalar>(_ x: UnsafePointer<S>, channels: Int, height h: Int, width w: Int, kernel: Size2D,
                             output: Size2D, _ g: ConvolutionGeometry, padValue: S = 0, rowStride: Int? = nil,
                             into col: UnsafeMutablePointer<S>) {
  let (kh, kw, oh, ow) = (kernel.height, kernel.width, output.height, output.width)
  let stride = rowStride ?? oh * ow, sw = g.stride.width
  if S.self == Float.self && g.stride == 1 && padValue == 0 {
    // The usual case: a masked vector copy per line (exact; the loops below are the reference).
    Im2col.patches(floats(x), channels: channels, height: h, width: w, kernel: (kh, kw), output: (oh, ow),
                   padding: (g.padding.height, g.padding.width), dilation: (g.dilation.height, g.dilation.width),
                   into: mutableFloats(col), rowStride: stride)
    return
  }
  var row = 0
  for c in 0..<channels {
    let plane = x + c * h * w
    for i in 0..<kh {
      for j in 0..<kw {
        let dst = col + row * stride
        let offset = j * g.dilation.width - g.padding.width
        let (lo, hi) = insideRange(count: ow, stride: sw, offset: offset, size: w)
        for y in 0..<oh {
          let iy = y * g.stride.height - g.padding.height + i * g.dilation.height
          let line = dst + y * ow
          if iy < 0 || iy >= h { line.update(repeating: padValue, count: ow); continue }
          let src = plane + iy * w + offset
          if lo > 0 { line.update(repeating: padValue, count: lo) }
          if sw == 1 {
            (line + lo).update(from: src + lo, count: hi - lo)
          } else {
            for x in lo..<hi { line[x] = src[x * sw] }
          }
          if hi < ow { (line + hi).update(repeating: padValue, count: ow - hi) }
        }
        row += 1
      }
    }
  }
}

/// The adjoint of `im2col`: adds every column entry back to the pixel it was read from (col2im).
@inline(__always)
func col2imAdding<S: TensorScalar>(_ col: UnsafePointer<S>, channels: Int, height h: Int, width w: Int, kernel: Size2D,
                                   output: Size2D, _ g: ConvolutionGeometry, rowStride: Int? = nil,
                                   into x: UnsafeMutablePointer<S>) {
  let (kh, kw, oh, ow) = (kernel.height, kernel.width, output.height, output.width)
  let stride = rowStride ?? oh * ow, sw = g.stride.width
  if S.self == Float.self && g.stride == 1 {
    // A masked vector add per line (one add per element, as below: the same bits).
    Im2col.addPatches(floats(col), channels: channels, height: h, width: w, kernel: (kh, kw), output: (oh, ow),
                      padding: (g.padding.height, g.padding.width), dilation: (g.dilation.height, g.dilation.width),
                      rowStride: stride, into: mutableFloats(x))
    return
  }
  var row = 0
  for c in 0..<channels {
    let plane = x + c * h * w
    for i in 0..<kh {
      for j in 0..<kw {
        let src = col + row * stride
        let offset = j * g.dilation.width - g.padding.width
        let (lo, hi) = insideRange(count: ow, stride: sw, offset: offset, size: w)
        for y in 0..<oh {
          let iy = y * g.stride.height - g.padding.height + i * g.dilation.height
          guard iy >= 0 && iy < h else { continue }
          let line = src + y * ow, dst = plane + iy * w + offset
          if sw == 1 {
            for x in lo..<hi { dst[x] += line[x] }
          } else {
            for x in lo..<hi { dst[x * sw] += line[x] }
          }
        }
        row += 1
      }
    }
  }
}

/// Samples grouped into tiles for the convolutions' GEMMs: one tile's patch matrix (k rows,
/// `size · plane` columns) holds about `budget` elements (≈ 2 MB of Float: it stays in L2/L3
/// while its GEMM runs), so a batch never materialises a whole im2col matrix. The tiling
/// depends only on the shapes, never on the thread count, so results do not either.
struct SampleTiles {
  let samples: Int
  let size: Int
  static let budget = 1 << 19

  init(samples: Int, elementsPerSample: Int) {
    self.samples = samples
    let largest = Swift.max(1, Swift.min(samples, SampleTiles.budget / Swift.max(elementsPerSample, 1)))
    // As many tiles as the budget needs, of near-equal sizes (two threads get even shares).
    let count = Swift.max(1, (samples + largest - 1) / largest)
    size = Swift.max(1, (samples + count - 1) / count)
  }

  var count: Int { (samples + size - 1) / size }
  func range(_ t: Int) -> Range<Int> { (t * size)..<Swift.min(samples, (t + 1) * size) }
}

extension Tensor {
  /// `body(tile, samples, scratch)` for every tile of `tiles`, tiles split over the compute
  /// threads (each writes only its own part of the output; `scratch` elements of per-thread work
  /// space). One tile alone runs on the calling thread, whose GEMMs may then use every thread.
  /// When the tiles themselves are split over the threads, their GEMMs run on one thread each:
  /// otherwise every tile's GEMM would start the BLAS library's own threads as well, more
  /// threads than cores.
  static func forEachTile(_ tiles: SampleTiles, scratch: Int, _ body: (Int, Range<Int>, UnsafeMutablePointer<Scalar>) -> Void) {
    let tilesInParallel = Gemm.threadCount > 1 && tiles.count > 1
    Parallel.forEachChunk(count: tiles.count, minimumChunk: 1) { range in
      // Work space is written before it is read (patches, gathered rows, GEMM outputs with β = 0):
      // no need to clear megabytes per call.
      let buffer = UnsafeMutablePointer<Scalar>.allocate(capacity: Swift.max(scratch, 1))
      defer { buffer.deallocate() }
      if tilesInParallel {
        Gemm.withSettings(threadCount: 1) { for t in range { body(t, tiles.range(t), buffer) } }
      } else {
        for t in range { body(t, tiles.range(t), buffer) }
      }
    }
  }

  /// Runs a VJP written for an unbatched `g` once per row of a batched backward pass and stacks
  /// the results (only Jacobians batch their cotangents; ordinary backward passes call `f` once).
  static func perCotangent(_ g: Tensor, _ c: BackwardContext<Scalar>, outputRank: Int,
                           _ f: (Tensor) -> [Tensor?]) -> [Tensor?] {
    guard c.batchRank > 0 else { return f(g) }
    let k = c.batchShape.reduce(1, *)
    let rows = g.reshaped(to: [k] + Array(g.shape.suffix(outputRank)))
    let results = (0..<k).map { f(rows.sliced(alongAxis: 0, $0..<($0 + 1)).squeezingShape(at: [0])) }
    return (0..<results[0].count).map { i in
      guard let first = results[0][i] else { return nil }
      let stacked = Tensor.concatenated(results.map { $0[i]!.expandingShape(at: 0) }, alongAxis: 0)
      return stacked.reshaped(to: c.batchShape + first.shape)
    }
  }
}
