/// Affine layer normalisation over the last `D` elements of each row, as one op: inputs
/// `x` `[…, D…]`, `γ` and `β` shaped like the normalised axes;
///
///     y = x̂ ⊙ γ + β,   x̂ = (x − μ) / √(σ² + ε)   (μ, σ² of each row; σ² biased)
///
/// VJP (means over the row, sums over the rows):
///     ∂x = (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)) / √(σ² + ε),  ĝ = g ⊙ γ
///     ∂γ = Σ g ⊙ x̂,   ∂β = Σ g
/// JVP: ẏ = γ ⊙ (ẋ − mean(ẋ) − x̂ ⊙ mean(ẋ ⊙ x̂)) / √(σ² + ε) + x̂ ⊙ γ̇ + β̇.
///
/// One kernel forward (one row at a time: statistics, then the output) instead of the
/// normalise, multiply and add ops with their temporaries. A first-order backward runs one
/// kernel too; with `createGraph` (and for batched cotangents) the same formulas are written
/// with tensor ops, so they differentiate again.
struct LayerNormOp: Op {
  var name: String { "layerNorm" }
  /// How many trailing elements form one row (the product of the normalised shape).
  let rowSize: Int
  let eps: Double
  var parameters: [(name: String, value: String)] { [("rowSize", "\(rowSize)"), ("eps", "\(eps)")] }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let (x, gamma, beta) = (inputs[0], inputs[1], inputs[2])
    require(rowSize > 0 && x.count % rowSize == 0 && gamma.count == rowSize && beta.count == rowSize, "layerNorm",
            "input \(x.shape), weight \(gamma.shape), bias \(beta.shape) do not split into rows of \(rowSize)")
    return (x.shape, Self.forwardKernel(x.scalars, gamma.scalars, beta.scalars, rowSize: rowSize, eps: eps))
  }

  /// The mean and 1/√(σ² + ε) of the row at `base` (Double accumulators, two passes, four
  /// partial sums each: one dependent chain of adds per row was most of this op's time).
  @inline(__always)
  static func rowStatistics<S: TensorScalar>(_ x: UnsafeBufferPointer<S>, base: Int, d: Int, eps: Double) -> (S, S) {
    let p = x.baseAddress! + base
    let sum = sum4(d) { Double(p[$0]) }, mean = sum / Double(d)
    let squares = sum4(d) { let v = Double(p[$0]) - mean; return v * v }
    return (S(mean), S(1 / (squares / Double(d) + eps).squareRoot()))
  }

  /// Σ_{j<n} term(j) with four partial sums (j mod 4), added pairwise at the end.
  @inline(__always)
  static func sum4<T: FloatingPoint>(_ n: Int, _ term: (Int) -> T) -> T {
    var s0: T = 0, s1: T = 0, s2: T = 0, s3: T = 0, j = 0
    while j + 4 <= n { s0 += term(j); s1 += term(j + 1); s2 += term(j + 2); s3 += term(j + 3); j += 4 }
    while j < n { s0 += term(j); j += 1 }
    return (s0 + s1) + (s2 + s3)
  }

  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func forwardKernel<S: TensorScalar>(_ xs: [S], _ gammas: [S], _ betas: [S], rowSize d: Int, eps: Double) -> [S] {
    var out = [S](repeating: 0, count: xs.count)
    xs.withUnsafeBufferPointer { x in
      gammas.withUnsafeBufferPointer { gamma in
        betas.withUnsafeBufferPointer { beta in
          out.withUnsafeMutableBufferPointer { y in
            for r in 0..<(x.count / d) {
              let base = r * d
              let (m, s) = rowStatistics(x, base: base, d: d, eps: eps)
              for j in 0..<d { y[base + j] = (x[base + j] - m) * s * gamma[j] + beta[j] }
            }
          }
        }
      }
    }
    return out
  }

  /// ∂x, ∂γ, ∂β of the formulas above, in one pass per row (first-order backward).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func backwardKernel<S: TensorScalar>(_ gs: [S], _ xs: [S], _ gammas: [S], rowSize d: Int, eps: Double)
    -> (dx: [S], dGamma: [S], dBeta: [S]) {
    var dx = [S](repeating: 0, count: xs.count), dGamma = [S](repeating: 0, count: d), dBeta = dGamma
    var xhat = [S](repeating: 0, count: d)
    gs.withUnsafeBufferPointer { g in
      xs.withUnsafeBufferPointer { x in
        gammas.withUnsafeBufferPointer { gamma in
          dx.withUnsafeMutableBufferPointer { dx in
            dGamma.withUnsafeMutableBufferPointer { dGamma in
              dBeta.withUnsafeMutableBufferPointer { dBeta in
                xhat.withUnsafeMutableBufferPointer { xhat in
                  // Base pointers held in locals (closure-captured buffers were re-read from
                  // memory on every access, which kept these loops scalar).
                  let n = S(d), rows = x.count / d
                  let gp = g.baseAddress!, xp = x.baseAddress!, gammaP = gamma.baseAddress!, dxp = dx.baseAddress!
                  let dgp = dGamma.baseAddress!, dbp = dBeta.baseAddress!, hp = xhat.baseAddress!
                  for r in 0..<rows {
                    let base = r &* d, gr = gp + base, xr = xp + base, dxr = dxp + base
                    let (m, s) = rowStatistics(x, base: base, d: d, eps: eps)
                    for j in 0..<d {
                      let h = (xr[j] - m) * s, gj = gr[j]
                      hp[j] = h
                      dgp[j] += gj * h
                      dbp[j] += gj
                    }
                    let sumG = sum4(d) { gr[$0] * gammaP[$0] }, sumGX = sum4(d) { gr[$0] * gammaP[$0] * hp[$0] }
                    let meanG = sumG / n, meanGX = sumGX / n
                    for j in 0..<d { dxr[j] = (gr[j] * gammaP[j] - meanG - hp[j] * meanGX) * s }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (dx, dGamma, dBeta)
  }

  /// The axes of one row, for `x` of `rank` with `lead` extra leading (batch) axes.
  func rowAxes(_ x: Tensor<some TensorScalar>, lead: Int) -> [Int] {
    let k = normalizedRank(x.shape)
    return Array((x.rank - k)..<x.rank).map { $0 + lead }
  }

  /// How many trailing axes of `shape` make up `rowSize`.
  func normalizedRank(_ shape: [Int]) -> Int {
    var product = 1, k = 0
    while product < rowSize && k < shape.count { k += 1; product *= shape[shape.count - k] }
    return k
  }

  /// x̂ and 1/√(σ² + ε) as tensor ops of x (differentiable).
  func standardized<S>(_ x: Tensor<S>) -> (xhat: Tensor<S>, invStd: Tensor<S>) {
    let axes = rowAxes(x, lead: 0)
    let centered = x - x.mean(alongAxes: axes, keepingDims: true)
    let invStd = 1 / (centered.squared().mean(alongAxes: axes, keepingDims: true) + S(eps)).sqrt()
    return (centered * invStd, invStd)
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] {
    let (x, gamma) = (c.inputs[0], c.inputs[1])
    if ThreadState.current.inFirstOrderBackward && c.batchRank == 0 {
      let r = Self.backwardKernel(g.scalars, x.scalars, gamma.scalars, rowSize: rowSize, eps: eps)
      return [c.needsGradient(0) ? Tensor(uncheckedShape: x.shape, scalars: r.dx) : nil,
              c.needsGradient(1) ? Tensor(uncheckedShape: gamma.shape, scalars: r.dGamma) : nil,
              c.needsGradient(2) ? Tensor(uncheckedShape: c.inputs[2].shape, scalars: r.dBeta) : nil]
    }
    let (xhat, invStd) = standardized(x)
    let axes = rowAxes(x, lead: c.batchRank)
    let gh = g * gamma
    let dx = (gh - gh.mean(alongAxes: axes, keepingDims: true) - xhat * (gh * xhat).mean(alongAxes: axes, keepingDims: true)) * invStd
    return [c.needsGradient(0) ? dx : nil,
            c.needsGradient(1) ? c.unbroadcast(g * xhat, toInput: 1) : nil,
            c.needsGradient(2) ? c.unbroadcast(g, toInput: 2) : nil]
  }

  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> {
    let (x, gamma) = (c.inputs[0], c.inputs[1])
    let (xhat, invStd) = standardized(x)
    var y: Tensor<S>? = nil
    func add(_ term: Tensor<S>) { y = y.map { $0 + term } ?? term }
    if let dx = t[0] {
      let axes = rowAxes(x, lead: dx.rank - x.rank)
      add(gamma * (dx - dx.mean(alongAxes: axes, keepingDims: true) - xhat * (dx * xhat).mean(alongAxes: axes, keepingDims: true)) * invStd)
    }
    // A tangent of γ or β may carry leading batch axes: align its trailing axes with x's.
    func aligned(_ v: Tensor<S>) -> Tensor<S> {
      let lead = Array(v.shape.prefix(v.rank - gamma.rank))
      return v.reshaped(to: lead + [Int](repeating: 1, count: x.rank - gamma.rank) + gamma.shape)
    }
    if let dGamma = t[1] { add(xhat * aligned(dGamma)) }
    if let dBeta = t[2] { add(aligned(dBeta) + Tensor.zeros(x.shape)) }
    return y ?? Tensor.zeros(x.shape)
  }

  func forwardFormula(_ n: [String]) -> String { "(\(n[0]) − μ) / √(σ² + ε) ⊙ \(n[1]) + \(n[2])" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    switch k {
    case 0: return GradientFormula("(ĝ − mean ĝ − x̂ ⊙ mean(ĝ ⊙ x̂)) / √(σ² + ε), ĝ = δ ⊙ \(c.inputNames[1])", .other, .dense)
    case 1: return GradientFormula("Σ δ ⊙ x̂", .sum, .dense)
    default: return GradientFormula("Σ δ", .sum, .dense)
    }
  }
}
