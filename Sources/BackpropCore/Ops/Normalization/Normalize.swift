/// Standardisation: `y = (x − μ) / √(σ² + ε)`, with the mean μ and the biased variance σ² taken
/// over every axis outside the contiguous block `kept` — the core that batch, layer and group
/// normalisation share (batch norm keeps the channel axis of (N, C, …); layer norm keeps the
/// leading axes; group norm keeps (N, G) of (N, G, C/G·…)).
///
/// The forward kernel is one pass for the statistics (Double accumulators) and one for the
/// output, instead of the five tensor ops (and temporaries) of the composition.
///
/// VJP: `∂L/∂x = (g − mean(g) − y ⊙ mean(g ⊙ y)) / √(σ² + ε)`, means over the normalised axes.
/// JVP: `ẏ = (ẋ − mean(ẋ) − y ⊙ mean(ẋ ⊙ y)) / √(σ² + ε)` — the same map, because the Jacobian
/// `(I − 11ᵀ/n − y yᵀ/n) / √(σ² + ε)` is symmetric. Both are written with tensor ops of x and y
/// (y is this op's output), so gradients of gradients work.
struct Normalize: Op {
  var name: String { "normalize" }
  /// The axes that keep their own statistics; all others are normalised over.
  let kept: Range<Int>
  let eps: Double
  /// The input's moments when the caller has already computed them (batch norm needs them for
  /// its running statistics too), so the forward kernel does not read the input twice for them.
  var statistics: (means: [Double], variances: [Double])? = nil
  var parameters: [(name: String, value: String)] { [("keptAxes", "\(Array(kept))"), ("eps", "\(eps)")] }

  /// (outer, kept, inner) sizes of `shape`: the statistics run over outer × inner.
  func blocks(_ shape: [Int]) -> (outer: Int, kept: Int, inner: Int) {
    (shape[..<kept.lowerBound].reduce(1, *), shape[kept].reduce(1, *), shape[kept.upperBound...].reduce(1, *))
  }

  /// The mean and the biased variance of each kept position (two passes, Double accumulators).
  func moments<S: TensorScalar>(_ x: Tensor<S>) -> (means: [Double], variances: [Double]) {
    let (outer, channels, inner) = blocks(x.shape)
    let count = Double(outer * inner)
    var means = [Double](repeating: 0, count: channels), variances = means
    x.scalars.withUnsafeBufferPointer { xs in
      for c in 0..<channels {
        var sum = 0.0
        for o in 0..<outer {
          let base = (o * channels + c) * inner
          for i in 0..<inner { sum += Double(xs[base + i]) }
        }
        let mean = sum / count
        var squares = 0.0
        for o in 0..<outer {
          let base = (o * channels + c) * inner
          for i in 0..<inner { let d = Double(xs[base + i]) - mean; squares += d * d }
        }
        (means[c], variances[c]) = (mean, squares / count)
      }
    }
    return (means, variances)
  }

  func reducedAxes(rank: Int) -> [Int] { Array(0..<kept.lowerBound) + Array(kept.upperBound..<rank) }

  func forward<S>(_ inputs: [Tensor<S>]) -> (shape: [Int], scalars: [S]) {
    let x = inputs[0]
    require(kept.lowerBound >= 0 && kept.upperBound <= x.rank, "normalize",
            "kept axes \(kept) are outside the input's shape \(x.shape)")
    let (outer, channels, inner) = blocks(x.shape)
    let count = outer * inner
    require(count > 0 || x.count == 0, "normalize", "nothing to normalise over in shape \(x.shape)")
    var y = [S](repeating: 0, count: x.count)
    guard count > 0 else { return (x.shape, y) }
    let (means, variances) = statistics ?? moments(x)
    x.scalars.withUnsafeBufferPointer { xs in
      y.withUnsafeMutableBufferPointer { ys in
        for c in 0..<channels {
          let (m, s) = (S(means[c]), S(1 / (variances[c] + eps).squareRoot()))
          for o in 0..<outer {
            let base = (o * channels + c) * inner
            for i in 0..<inner { ys[base + i] = (xs[base + i] - m) * s }
          }
        }
      }
    }
    return (x.shape, y)
  }

  /// `(v − mean(v) − y ⊙ mean(v ⊙ y)) / √(σ² + ε)` for `v` shaped like x with `lead` extra
  /// leading (batch) axes.
  func apply<S>(_ v: Tensor<S>, lead: Int, _ c: BackwardContext<S>) -> Tensor<S> {
    let x = c.inputs[0], y = c.output
    let axes = reducedAxes(rank: x.rank)
    let centered = x - x.mean(alongAxes: axes, keepingDims: true)
    let invStd = 1 / (centered.squared().mean(alongAxes: axes, keepingDims: true) + S(eps)).sqrt()
    let vAxes = axes.map { $0 + lead }
    let projected = v - v.mean(alongAxes: vAxes, keepingDims: true) - y * (v * y).mean(alongAxes: vAxes, keepingDims: true)
    return projected * invStd
  }

  func vjp<S>(_ g: Tensor<S>, _ c: BackwardContext<S>) -> [Tensor<S>?] { [apply(g, lead: c.batchRank, c)] }
  func jvp<S>(_ t: [Tensor<S>?], _ c: BackwardContext<S>) -> Tensor<S> { apply(t[0]!, lead: t[0]!.rank - c.inputs[0].rank, c) }

  func forwardFormula(_ n: [String]) -> String { "(\(n[0]) − μ) / √(σ² + ε)" }
  func gradientFormula(input k: Int, _ c: FormulaContext) -> GradientFormula {
    GradientFormula("(δ − mean δ − y ⊙ mean(δ ⊙ y)) / √(σ² + ε)", .other, .dense)
  }
}

extension Tensor {
  /// `(x − μ) / √(σ² + ε)` with μ and the biased σ² over every axis outside `keptAxes` (a
  /// contiguous block of axes that keep their own statistics): the shared core of `batchNorm`,
  /// `layerNorm` and `groupNorm`, as one op with its own kernel, VJP and JVP.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func normalized(keepingAxes keptAxes: Range<Int>, eps: Scalar = 1e-5) -> Tensor {
    .apply(Normalize(kept: keptAxes, eps: Double(eps)), to: [self])
  }
}
