import BackpropKernels

/// Reductions along one axis of an `[outer, count, inner]` view.
public enum ReduceKernel: Sendable { case sum, max, min }

func reduceLoop<T: TensorScalar>(_ kind: ReduceKernel, _ x: UnsafeBufferPointer<T>, outer: Int, count: Int, inner: Int,
                                 _ y: UnsafeMutableBufferPointer<T>) {
  guard let base = x.baseAddress, let out = y.baseAddress else { return }
  nonisolated(unsafe) let (xp, yp) = (base, out)
  // Each output row is its own sum, so rows split over the threads give the same bits (the
  // bias gradient's per-channel sums of a CNN step are 3 M elements).
  Parallel.forEachChunk(count: outer, minimumChunk: Swift.max(1, Parallel.cheapOpChunk / Swift.max(count * inner, 1))) { rows in
    for o in rows {
      let src = xp + o * count * inner
      let dst = yp + o * inner
      switch kind {
      case .sum:
        if inner == 1 {
          dst[0] = contiguousSum(src, count)
        } else {
          for i in 0..<inner { dst[i] = 0 }
          for c in 0..<count { let row = src + c * inner; for i in 0..<inner { dst[i] += row[i] } }
        }
      case .max, .min:
        for i in 0..<inner { dst[i] = src[i] }
        for c in 1..<max(count, 1) {
          let row = src + c * inner
          if kind == .max { for i in 0..<inner where row[i] > dst[i] || row[i].isNaN { dst[i] = row[i] } }
          else { for i in 0..<inner where row[i] < dst[i] || row[i].isNaN { dst[i] = row[i] } }
        }
      }
    }
  }
}

/// `Σ p[0..<n]` in eight running sums added pairwise at the end: independent chains the compiler
/// vectorises (one chain waits on every add's latency: the bias gradient's plane sums were 1.7%
/// of a CNN step), and each chain adds n/8 terms, so no more rounding than one.
@inline(__always)
func contiguousSum<T: TensorScalar>(_ p: UnsafePointer<T>, _ n: Int) -> T {
  var (s0, s1, s2, s3, s4, s5, s6, s7): (T, T, T, T, T, T, T, T) = (0, 0, 0, 0, 0, 0, 0, 0)
  var i = 0
  while i + 8 <= n {
    s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3]
    s4 += p[i + 4]; s5 += p[i + 5]; s6 += p[i + 6]; s7 += p[i + 7]
    i += 8
  }
  while i < n { s0 += p[i]; i += 1 }
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}
