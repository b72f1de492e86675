import BackpropCore

/// The study note's point that Jacobians compose by their shapes: for f(g(h(i))) with
/// i ∈ ℝᵖ, h ∈ ℝᵒ, g ∈ ℝⁿ, f ∈ ℝᵐ, the Jacobians are (m,n)·(n,o)·(o,p) → (m,p).
///
/// The three maps are small differentiable layers with seeded random weights:
/// h = tanh(A·i + a), g = sin(B·h), f = C·(g ⊙ σ(g)) (each changes the size).
/// The report builds each Jacobian at the point the chain passes through, multiplies them, and
/// compares with the Jacobian of the composite computed directly, and with one VJP
/// (backpropagation's route: a row of the product, from the output end, without matrices).
public struct JacobianShapesReport: Codable, Sendable {
  /// The sizes: f ∈ ℝᵐ, g ∈ ℝⁿ, h ∈ ℝᵒ, i ∈ ℝᵖ.
  public var m, n, o, p: Int
  /// The random seed of the three maps' weights.
  public var seed: UInt64
  /// "df/dg": [m, n], "dg/dh": [n, o], "dh/di": [o, p], "product": [m, p], "direct": [m, p].
  public var shapes: [String: [Int]]
  /// The product of the three Jacobians (m×p), as rows.
  public var product: [[Double]]
  /// max |product − direct Jacobian of the composite|.
  public var maxDifference: Double
  /// max |first row of the product − one VJP with cotangent e₁|.
  public var maxDifferenceFromVJPRow: Double

  enum CodingKeys: String, CodingKey {
    case m, n, o, p, seed, shapes, product
    case maxDifference = "max_abs_diff", maxDifferenceFromVJPRow = "max_abs_diff_vjp_row"
  }
}

extension JacobianShapesReport {
  /// The three maps with their seeded weights, and the point i₀ the chain passes through.
  struct Chain {
    let a, aBias, b, c, point: Tensor<Double>

    init(m: Int, n: Int, o: Int, p: Int, seed: UInt64) {
      var rng = SeededGenerator(seed: seed)
      a = Tensor<Double>.randomNormal([o, p], standardDeviation: 0.5, using: &rng); a.label = "A"
      aBias = Tensor<Double>.randomNormal([o], standardDeviation: 0.1, using: &rng); aBias.label = "a"
      b = Tensor<Double>.randomNormal([n, o], standardDeviation: 0.5, using: &rng); b.label = "B"
      c = Tensor<Double>.randomNormal([m, n], standardDeviation: 0.5, using: &rng); c.label = "C"
      point = Tensor<Double>.randomNormal([p], using: &rng)
    }

    func h(_ i: Tensor<Double>) throws -> Tensor<Double> {
      let ai = a.matmul(i); ai.label = "A·i"
      let h = (ai + aBias).tanh(); h.label = "h"
      return h
    }
    func g(_ h: Tensor<Double>) throws -> Tensor<Double> {
      let bh = b.matmul(h); bh.label = "B·h"
      let g = bh.sin(); g.label = "g"
      return g
    }
    func f(_ g: Tensor<Double>) throws -> Tensor<Double> {
      let gate = g.sigmoid(); gate.label = "σ(g)"
      let gated = g * gate; gated.label = "g ⊙ σ(g)"
      let f = c.matmul(gated); f.label = "f"
      return f
    }
  }

  /// ⟨e₁, f(g(h(i₀)))⟩ as a labelled graph: backpropagating from it computes the first row of
  /// df/di, one vector–Jacobian product per layer, without building any Jacobian.
  public static func graph(m: Int, n: Int, o: Int, p: Int, seed: UInt64 = 0) throws -> WorkedExampleGraph {
    try validate(m: m, n: n, o: o, p: p)
    let chain = Chain(m: m, n: n, o: o, p: p, seed: seed)
    let i = Tensor<Double>(shape: chain.point.shape, scalars: chain.point.scalars, requiresGrad: true); i.label = "i"
    let f = try chain.f(chain.g(chain.h(i)))
    var e1 = [Double](repeating: 0, count: m); e1[0] = 1
    let e = Tensor<Double>(e1); e.label = "e₁"
    let row = (f * e).sum(); row.label = "f₁"
    return WorkedExampleGraph(inputs: [i], output: row, named: ["f": f])
  }

  private static func validate(m: Int, n: Int, o: Int, p: Int) throws {
    guard [m, n, o, p].allSatisfy({ $0 >= 1 && $0 <= 4096 }) else {
      throw TensorError.invalidArgument(op: "jacobian-shapes", message: "sizes must be between 1 and 4096 (got m=\(m) n=\(n) o=\(o) p=\(p))")
    }
  }

  /// Builds the chain and its Jacobians; sizes must be ≥ 1.
  public static func compute(m: Int, n: Int, o: Int, p: Int, seed: UInt64 = 0) throws -> JacobianShapesReport {
    try validate(m: m, n: n, o: o, p: p)
    let chain = Chain(m: m, n: n, o: o, p: p, seed: seed)
    let (h, g, f, i0) = (chain.h, chain.g, chain.f, chain.point)
    let h0 = try h(i0), g0 = try g(h0)
    let dfdg = try jacobian(of: f, at: g0), dgdh = try jacobian(of: g, at: h0), dhdi = try jacobian(of: h, at: i0)
    let product = dfdg.matmul(dgdh).matmul(dhdi)
    let direct = try jacobian(of: { try f(g(h($0))) }, at: i0)
    let diff = zip(product.scalars, direct.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
    var e1 = [Double](repeating: 0, count: m); e1[0] = 1
    let row = try vjp(of: { try f(g(h($0))) }, at: i0, cotangent: Tensor(e1)).vjp
    let rowDiff = zip(row.scalars, product.scalars.prefix(p)).map { Swift.abs($0 - $1) }.max() ?? 0
    return JacobianShapesReport(
      m: m, n: n, o: o, p: p, seed: seed,
      shapes: ["df/dg": dfdg.shape, "dg/dh": dgdh.shape, "dh/di": dhdi.shape, "product": product.shape, "direct": direct.shape],
      product: stride(from: 0, to: m * p, by: p).map { Array(product.scalars[$0..<($0 + p)]) },
      maxDifference: diff, maxDifferenceFromVJPRow: rowDiff)
  }
}
