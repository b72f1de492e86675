import RealModule

// Per-element loops of the layers and losses, as free functions specialised for Float and
// Double: layers are usually called through `any Layer<Float>`, where generic code would run
// unspecialised (each arithmetic operation a witness call). `@_specialize` makes the generic
// entry point check the type once and jump to the specialised loop.

/// Copies the `count`-element row `row` into each of `rows` consecutive rows of `out`.
@_specialize(where S == Float)
@_specialize(where S == Double)
func broadcastRows<S: TensorScalar>(_ row: UnsafePointer<S>, count: Int, rows: Int, into out: UnsafeMutablePointer<S>) {
  for r in 0..<rows { (out + r * count).initialize(from: row, count: count) }
}

/// Row-wise softmax of `logits` (`n × k`) into `probabilities`; returns Σᵣ (logsumexp(zᵣ) − zᵣ[yᵣ]).
@_specialize(where S == Float)
@_specialize(where S == Double)
func softmaxCrossEntropyRows<S: TensorScalar>(
  _ logits: UnsafePointer<S>, labels: UnsafePointer<Int>, rows n: Int, classes k: Int, probabilities: UnsafeMutablePointer<S>
) -> S {
  var total: S = 0
  for r in 0..<n {
    let row = logits + r * k, out = probabilities + r * k
    var m = row[0]
    for j in 1..<k where row[j] > m { m = row[j] }
    var s: S = 0
    for j in 0..<k { let e = S.exp(row[j] - m); out[j] = e; s += e }
    let inv = 1 / s
    for j in 0..<k { out[j] *= inv }
    total += (m + S.log(s)) - row[labels[r]]
  }
  return total
}

/// `d ← scale · (p − onehot(y))` in place over `p` (`n × k`).
@_specialize(where S == Float)
@_specialize(where S == Double)
func crossEntropyGradient<S: TensorScalar>(_ p: UnsafeMutablePointer<S>, labels: UnsafePointer<Int>, rows n: Int, classes k: Int, scale: S) {
  for r in 0..<n { p[r * k + labels[r]] -= 1 }
  for i in 0..<(n * k) { p[i] *= scale }
}

/// Σᵢ max(xᵢ, 0) − xᵢtᵢ + log(1 + e^−|xᵢ|): binary cross-entropy from logits, summed.
@_specialize(where S == Float)
@_specialize(where S == Double)
func binaryCrossEntropySum<S: TensorScalar>(_ x: UnsafeBufferPointer<S>, _ t: UnsafeBufferPointer<S>) -> S {
  var total: S = 0
  for i in 0..<x.count {
    let v = x[i]
    total += Swift.max(v, 0) - v * t[i] + S.log(1 + S.exp(-Swift.abs(v)))
  }
  return total
}

/// An inverted-dropout mask: `1/keep` with probability `keep`, else 0.
@_specialize(where S == Float)
@_specialize(where S == Double)
func dropoutMask<S: TensorScalar>(count: Int, keep: Double, using generator: inout SeededGenerator) -> [S] {
  let scale = S(1 / keep)
  var mask = [S](repeating: 0, count: count)
  for i in 0..<count where generator.nextUniform() < keep { mask[i] = scale }
  return mask
}
