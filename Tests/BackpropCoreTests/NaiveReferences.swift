import BackpropCore

// Independent forward references for the non-elementwise ops: plain loops over multi-indices,
// written without any of BackpropCore's kernels, broadcast plans or shape helpers, so a bug
// there cannot hide in the reference too.

enum Naive {
  typealias T = Tensor<Double>

  static func tensor(_ shape: [Int], _ values: [Double]) -> T { T(shape: shape, scalars: values) }

  static func strides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
    return s
  }

  /// Every multi-index of `shape` in row-major order (one empty index for a scalar).
  static func indices(_ shape: [Int]) -> [[Int]] {
    var result: [[Int]] = [[]]
    for d in shape { result = result.flatMap { prefix in (0..<d).map { prefix + [$0] } } }
    return result
  }

  static func flat(_ index: [Int], _ shape: [Int]) -> Int {
    zip(index, strides(shape)).reduce(0) { $0 + $1.0 * $1.1 }
  }

  /// The element of `t` that NumPy broadcasting reads for output position `index`.
  static func value(_ t: T, at index: [Int]) -> Double {
    let lead = index.count - t.rank
    let own = t.shape.indices.map { t.shape[$0] == 1 ? 0 : index[lead + $0] }
    return t.scalars[flat(own, t.shape)]
  }

  static func broadcastShape(_ shapes: [[Int]]) -> [Int] {
    let rank = shapes.map(\.count).max() ?? 0
    return (0..<rank).map { i in
      shapes.map { s in i < rank - s.count ? 1 : s[i - (rank - s.count)] }.max()!
    }
  }

  /// `f` applied to the broadcast operands, element by element.
  static func elementwise(_ inputs: [T], _ f: ([Double]) -> Double) -> T {
    let shape = broadcastShape(inputs.map(\.shape))
    return tensor(shape, indices(shape).map { i in f(inputs.map { value($0, at: i) }) })
  }

  static func normalize(_ axes: [Int]?, rank: Int) -> [Int] {
    Array(Set((axes ?? Array(0..<rank)).map { $0 < 0 ? $0 + rank : $0 })).sorted()
  }

  /// The values of `x` grouped by their position outside `axes` (in row-major order of the rest).
  static func groups(_ x: T, axes: [Int]) -> (kept: [Int], groups: [[Double]]) {
    let kept = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    var groups = [[Double]](repeating: [], count: kept.reduce(1, *))
    for (n, i) in indices(x.shape).enumerated() {
      let k = i.enumerated().map { axes.contains($0.offset) ? 0 : $0.element }
      groups[flat(k, kept)].append(x.scalars[n])
    }
    return (kept, groups)
  }

  /// Reduces `axes` (all when nil) with `f`.
  static func reduce(_ x: T, _ axes: [Int]?, keep: Bool = false, _ f: ([Double]) -> Double) -> T {
    let axes = normalize(axes, rank: x.rank)
    let (kept, groups) = groups(x, axes: axes)
    let shape = keep ? kept : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    return tensor(shape, groups.map(f))
  }

  /// Replaces every 1-D fibre along `axis` by `f(fibre)` (softmax and friends).
  static func alongAxis(_ x: T, _ axis: Int, _ f: ([Double]) -> [Double]) -> T {
    let a = axis < 0 ? axis + x.rank : axis
    let (kept, groups) = groups(x, axes: [a])
    let mapped = groups.map(f)
    var used = [Int](repeating: 0, count: groups.count)
    var out: [Double] = []
    for i in indices(x.shape) {
      let g = flat(i.enumerated().map { $0.offset == a ? 0 : $0.element }, kept)
      out.append(mapped[g][used[g]])
      used[g] += 1
    }
    return tensor(x.shape, out)
  }

  static func sum(_ v: [Double]) -> Double { v.reduce(0, +) }
  static func logSumExp(_ v: [Double]) -> Double {
    let m = v.max()!
    return m + Double.log(v.map { Double.exp($0 - m) }.reduce(0, +))
  }
  static func softmax(_ v: [Double]) -> [Double] {
    let m = v.max()!
    let e = v.map { Double.exp($0 - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
  }

  /// NumPy `matmul` with optional transposes of the last two axes; rank-1 operands are vectors.
  static func matmul(_ a: T, _ b: T, transposeA: Bool = false, transposeB: Bool = false) -> T {
    let a2 = a.rank == 1 ? tensor([1, a.count], a.scalars) : a
    let b2 = b.rank == 1 ? tensor([b.count, 1], b.scalars) : b
    let (tA, tB) = (a.rank == 1 ? false : transposeA, b.rank == 1 ? false : transposeB)
    let (ra, rb) = (a2.rank, b2.rank)
    let m = tA ? a2.shape[ra - 1] : a2.shape[ra - 2], k = tA ? a2.shape[ra - 2] : a2.shape[ra - 1]
    let n = tB ? b2.shape[rb - 2] : b2.shape[rb - 1]
    let batch = broadcastShape([Array(a2.shape.dropLast(2)), Array(b2.shape.dropLast(2))])
    var out: [Double] = []
    for bi in indices(batch) {
      for i in 0..<m {
        for j in 0..<n {
          var s = 0.0
          for p in 0..<k {
            let x = value(a2, at: bi + (tA ? [p, i] : [i, p]))
            let y = value(b2, at: bi + (tB ? [j, p] : [p, j]))
            s += x * y
          }
          out.append(s)
        }
      }
    }
    var shape = batch + [m, n]
    if b.rank == 1 { shape.removeLast() }
    if a.rank == 1 { shape.remove(at: shape.count - (b.rank == 1 ? 1 : 2)) }
    return tensor(shape, out)
  }

  static func permute(_ x: T, _ p: [Int]) -> T {
    let shape = p.map { x.shape[$0] }
    return tensor(shape, indices(shape).map { i in
      var src = [Int](repeating: 0, count: x.rank)
      for (o, axis) in p.enumerated() { src[axis] = i[o] }
      return x.scalars[flat(src, x.shape)]
    })
  }

  static func slice(_ x: T, axis: Int, _ range: Range<Int>) -> T {
    let a = axis < 0 ? axis + x.rank : axis
    var shape = x.shape; shape[a] = range.count
    return tensor(shape, indices(shape).map { i in
      var src = i; src[a] += range.lowerBound
      return x.scalars[flat(src, x.shape)]
    })
  }

  static func pad(_ x: T, axis: Int, before: Int, after: Int) -> T {
    var shape = x.shape; shape[axis] += before + after
    return tensor(shape, indices(shape).map { i in
      let j = i[axis] - before
      guard j >= 0, j < x.shape[axis] else { return 0 }
      var src = i; src[axis] = j
      return x.scalars[flat(src, x.shape)]
    })
  }

  static func concatenate(_ xs: [T], axis: Int) -> T {
    var shape = xs[0].shape; shape[axis] = xs.reduce(0) { $0 + $1.shape[axis] }
    return tensor(shape, indices(shape).map { i in
      var j = i[axis]
      for x in xs {
        if j < x.shape[axis] { var src = i; src[axis] = j; return x.scalars[flat(src, x.shape)] }
        j -= x.shape[axis]
      }
      fatalError("index outside the concatenation")
    })
  }

  static func gatherRows(_ x: T, _ rows: [Int]) -> T {
    var shape = x.shape; shape[0] = rows.count
    return tensor(shape, indices(shape).map { i in x.scalars[flat([rows[i[0]]] + i.dropFirst(), x.shape)] })
  }

  static func scatterRows(_ x: T, _ rows: [Int], rowCount: Int) -> T {
    var shape = x.shape; shape[0] = rowCount
    var out = [Double](repeating: 0, count: shape.reduce(1, *))
    for (n, i) in indices(x.shape).enumerated() { out[flat([rows[i[0]]] + i.dropFirst(), shape)] += x.scalars[n] }
    return tensor(shape, out)
  }

  static func broadcast(_ x: T, to shape: [Int]) -> T { tensor(shape, indices(shape).map { value(x, at: $0) }) }

  /// Sums `x` down to `target`, which broadcasts to `x.shape`.
  static func sumToShape(_ x: T, _ target: [Int]) -> T {
    var out = [Double](repeating: 0, count: target.reduce(1, *))
    let lead = x.rank - target.count
    for (n, i) in indices(x.shape).enumerated() {
      let j = target.indices.map { target[$0] == 1 ? 0 : i[lead + $0] }
      out[flat(j, target)] += x.scalars[n]
    }
    return tensor(target, out)
  }
}
