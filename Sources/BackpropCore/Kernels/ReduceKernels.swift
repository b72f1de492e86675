/// Reductions along one axis of an `[outer, count, inner]` view.
public enum ReduceKernel: Sendable { case sum, max, min }

func reduceLoop<T: TensorScalar>(_ kind: ReduceKernel, _ x: UnsafeBufferPointer<T>, outer: Int, count: Int, inner: Int,
                                 _ y: UnsafeMutableBufferPointer<T>) {
  guard let xp = x.baseAddress, let yp = y.baseAddress else { return }
  for o in 0..<outer {
    let src = xp + o * count * inner
    let dst = yp + o * inner
    switch kind {
    case .sum:
      if inner == 1 {
        var s: T = 0
        for c in 0..<count { s += src[c] }
        dst[0] = s
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
