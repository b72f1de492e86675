import BackpropCore

// Independent loop references for convolution, pooling and normalisation: straight from the
// definitions (PyTorch's docs), one output element at a time, no im2col, no BackpropCore kernel.

extension Naive {
  /// Convolution geometry with possibly asymmetric padding (top, bottom, left, right).
  struct Conv {
    var stride = (1, 1)
    var pad = (0, 0, 0, 0)
    var dilation = (1, 1)
    var groups = 1
  }

  static func conv2d(_ x: T, _ w: T, _ b: T?, _ g: Conv) -> T {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    let og = o / g.groups
    let ho = (h + g.pad.0 + g.pad.1 - g.dilation.0 * (kh - 1) - 1) / g.stride.0 + 1
    let wo = (wd + g.pad.2 + g.pad.3 - g.dilation.1 * (kw - 1) - 1) / g.stride.1 + 1
    let shape = [n, o, ho, wo]
    return tensor(shape, indices(shape).map { i in
      var s = b?.scalars[i[1]] ?? 0
      let group = i[1] / og
      for ci in 0..<cg {
        for ki in 0..<kh {
          for kj in 0..<kw {
            let y = i[2] * g.stride.0 - g.pad.0 + ki * g.dilation.0, xx = i[3] * g.stride.1 - g.pad.2 + kj * g.dilation.1
            guard y >= 0 && y < h && xx >= 0 && xx < wd else { continue }
            s += x.scalars[flat([i[0], group * cg + ci, y, xx], x.shape)] * w.scalars[flat([i[1], ci, ki, kj], w.shape)]
          }
        }
      }
      _ = c
      return s
    })
  }

  /// Transposed convolution by scattering: every input pixel adds its weighted kernel.
  static func convTranspose2d(_ u: T, _ w: T, _ b: T?, stride: (Int, Int), pad: (Int, Int), outputPadding: (Int, Int),
                              dilation: (Int, Int), groups: Int) -> T {
    let (n, cin, h, wd) = (u.shape[0], u.shape[1], u.shape[2], u.shape[3])
    let (cg, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
    let ing = cin / groups
    let ho = (h - 1) * stride.0 - 2 * pad.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
    let wo = (wd - 1) * stride.1 - 2 * pad.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
    let shape = [n, cg * groups, ho, wo]
    var out = [Double](repeating: 0, count: shape.reduce(1, *))
    for i in indices(u.shape) {
      let group = i[1] / ing
      for c in 0..<cg {
        for ki in 0..<kh {
          for kj in 0..<kw {
            let y = i[2] * stride.0 - pad.0 + ki * dilation.0, x = i[3] * stride.1 - pad.1 + kj * dilation.1
            guard y >= 0 && y < ho && x >= 0 && x < wo else { continue }
            out[flat([i[0], group * cg + c, y, x], shape)] += u.scalars[flat(i, u.shape)] * w.scalars[flat([i[1], c, ki, kj], w.shape)]
          }
        }
      }
    }
    if let b { for i in indices(shape) { out[flat(i, shape)] += b.scalars[i[1]] } }
    return tensor(shape, out)
  }

  /// `Σ_{n,p,q} x[n, c′, p·s − pad + i·d, …] · u[n,o,p,q]` for each weight position.
  static func conv2dWeightGradient(_ x: T, _ u: T, kernel: (Int, Int), _ g: Conv) -> T {
    let (c, h, wd, o) = (x.shape[1], x.shape[2], x.shape[3], u.shape[1])
    let (cg, og) = (c / g.groups, o / g.groups)
    let shape = [o, cg, kernel.0, kernel.1]
    return tensor(shape, indices(shape).map { i in
      var s = 0.0
      for j in indices(u.shape) where j[1] == i[0] {
        let y = j[2] * g.stride.0 - g.pad.0 + i[2] * g.dilation.0, xx = j[3] * g.stride.1 - g.pad.2 + i[3] * g.dilation.1
        guard y >= 0 && y < h && xx >= 0 && xx < wd else { continue }
        s += x.scalars[flat([j[0], (i[0] / og) * cg + i[1], y, xx], x.shape)] * u.scalars[flat(j, u.shape)]
      }
      return s
    })
  }

  /// Max or average pooling over windows of the last two axes of (N, C, H, W); padding is
  /// excluded from the max, and from the average's divisor unless `countIncludePad`.
  static func pool2d(_ x: T, kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int), max: Bool,
                     countIncludePad: Bool = true) -> T {
    let (h, w) = (x.shape[2], x.shape[3])
    let ho = (h + 2 * pad.0 - kernel.0) / stride.0 + 1, wo = (w + 2 * pad.1 - kernel.1) / stride.1 + 1
    let shape = [x.shape[0], x.shape[1], ho, wo]
    return tensor(shape, indices(shape).map { i in
      var values: [Double] = []
      for ki in 0..<kernel.0 {
        for kj in 0..<kernel.1 {
          let y = i[2] * stride.0 - pad.0 + ki, xx = i[3] * stride.1 - pad.1 + kj
          if y >= 0 && y < h && xx >= 0 && xx < w { values.append(x.scalars[flat([i[0], i[1], y, xx], x.shape)]) }
        }
      }
      if max { return values.max()! }
      return sum(values) / Double(countIncludePad ? kernel.0 * kernel.1 : values.count)
    })
  }

  /// PyTorch's max-pool backward: each window's `g` added at the window's first maximum of `x`
  /// (row-major inside the window), here with dilation.
  static func maxPool2dGradient(_ g: T, _ x: T, kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int),
                                dilation: (Int, Int) = (1, 1)) -> T {
    let (h, w) = (x.shape[2], x.shape[3])
    var z = [Double](repeating: 0, count: x.count)
    for i in indices(g.shape) {
      var best: Int? = nil, m = -Double.infinity
      for ki in 0..<kernel.0 {
        for kj in 0..<kernel.1 {
          let y = i[2] * stride.0 - pad.0 + ki * dilation.0, xx = i[3] * stride.1 - pad.1 + kj * dilation.1
          guard y >= 0 && y < h && xx >= 0 && xx < w else { continue }
          let at = flat([i[0], i[1], y, xx], x.shape)
          if best == nil || x.scalars[at] > m { best = at; m = x.scalars[at] }
        }
      }
      z[best!] += g.scalars[flat(i, g.shape)]
    }
    return tensor(x.shape, z)
  }

  /// PyTorch's adaptive average pooling: cell (i, j) averages rows ⌊i·H/Oh⌋ ..< ⌈(i+1)·H/Oh⌉ and
  /// the columns likewise.
  static func adaptiveAvgPool2d(_ x: T, _ oh: Int, _ ow: Int) -> T {
    let (h, w) = (x.shape[2], x.shape[3])
    let shape = [x.shape[0], x.shape[1], oh, ow]
    return tensor(shape, indices(shape).map { i in
      let (y0, y1) = (i[2] * h / oh, ((i[2] + 1) * h + oh - 1) / oh)
      let (x0, x1) = (i[3] * w / ow, ((i[3] + 1) * w + ow - 1) / ow)
      var values: [Double] = []
      for y in y0..<y1 { for xx in x0..<x1 { values.append(x.scalars[flat([i[0], i[1], y, xx], x.shape)]) } }
      return sum(values) / Double(values.count)
    })
  }

  /// `(x − mean) / √(var + ε) · γ + β` with mean and biased variance over the elements of each
  /// group that `key` assigns (key: multi-index → group number); `affine` maps a multi-index to
  /// its (γ, β).
  static func normalize(_ x: T, eps: Double, key: ([Int]) -> Int, affine: ([Int]) -> (Double, Double)) -> T {
    let all = indices(x.shape)
    var groups: [Int: [Double]] = [:]
    for (n, i) in all.enumerated() { groups[key(i), default: []].append(x.scalars[n]) }
    var stats: [Int: (Double, Double)] = [:]
    for (k, v) in groups {
      let mean = sum(v) / Double(v.count)
      stats[k] = (mean, sum(v.map { ($0 - mean) * ($0 - mean) }) / Double(v.count))
    }
    return tensor(x.shape, all.enumerated().map { n, i in
      let (mean, variance) = stats[key(i)]!
      let (gamma, beta) = affine(i)
      return (x.scalars[n] - mean) / (variance + eps).squareRoot() * gamma + beta
    })
  }
}
