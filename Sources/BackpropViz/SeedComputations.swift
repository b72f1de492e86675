// The seed's three examples as recorded computations, so that `Graph` and `explain` can show
// them. They build the same expressions as ChainRuleReport, VectorChainRuleReport and
// JacobianShapesReport in BackpropCore (same labels, same seeded weights), without running
// backward, so the caller decides how to trace it.

/// The seed's examples as tensors whose graphs can be drawn and explained.
public enum SeedComputations {
  /// z = x² − y² with x = s − sin t, y = eˢ + cos t; s and t are labelled leaves.
  public static func chainRule(s sValue: Double, t tValue: Double) throws -> Tensor<Double> {
    let s = Tensor<Double>(sValue, requiresGrad: true); s.label = "s"
    let t = Tensor<Double>(tValue, requiresGrad: true); t.label = "t"
    let sinT = t.sin(); sinT.label = "sin t"
    let x = try s - sinT; x.label = "x"
    let expS = s.exp(); expS.label = "e^s"
    let cosT = t.cos(); cosT.label = "cos t"
    let y = try expS + cosT; y.label = "y"
    let x2 = x.squared(); x2.label = "x²"
    let y2 = y.squared(); y2.label = "y²"
    let z = try x2 - y2; z.label = "z"
    return z
  }

  /// z = mean(x + y) (or mean(x ⊙ y)) with x = s ⊙ t, y = s − t.
  public static func vectorChainRule(s: [Double], t: [Double], combine: VectorChainRuleReport.Combine = .add) throws -> Tensor<Double> {
    guard s.count == t.count, !s.isEmpty else {
      throw TensorError.invalidArgument(op: "vector-chain-rule", message: "s and t must have the same non-zero length (got \(s.count) and \(t.count))")
    }
    let sT = Tensor<Double>(s, requiresGrad: true); sT.label = "s"
    let tT = Tensor<Double>(t, requiresGrad: true); tT.label = "t"
    let x = try sT * tT; x.label = "x"
    let y = try sT - tT; y.label = "y"
    let combined = try combine == .add ? x + y : x * y
    combined.label = combine == .add ? "x + y" : "x ⊙ y"
    let sum = combined.sum(); sum.label = "Σ"
    let z = sum / Double(s.count); z.label = "z"
    return z
  }

  /// ⟨e₁, f(g(h(i)))⟩ for the chain h = tanh(A·i + a), g = sin(B·h), f = C·(g ⊙ σ(g)), with
  /// the seeded weights of `JacobianShapesReport.compute(m:n:o:p:seed:)`: backpropagating from
  /// it computes the first row of df/di, one vector–Jacobian product per layer.
  public static func jacobianChain(m: Int, n: Int, o: Int, p: Int, seed: UInt64 = 0) throws -> Tensor<Double> {
    guard [m, n, o, p].allSatisfy({ $0 >= 1 && $0 <= 4096 }) else {
      throw TensorError.invalidArgument(op: "jacobian-shapes", message: "sizes must be between 1 and 4096 (got m=\(m) n=\(n) o=\(o) p=\(p))")
    }
    var rng = SeededGenerator(seed: seed)
    let a = Tensor<Double>.randomNormal([o, p], standardDeviation: 0.5, using: &rng); a.label = "A"
    let aBias = Tensor<Double>.randomNormal([o], standardDeviation: 0.1, using: &rng); aBias.label = "a"
    let b = Tensor<Double>.randomNormal([n, o], standardDeviation: 0.5, using: &rng); b.label = "B"
    let c = Tensor<Double>.randomNormal([m, n], standardDeviation: 0.5, using: &rng); c.label = "C"
    let i = Tensor<Double>.randomNormal([p], using: &rng, requiresGrad: true); i.label = "i"
    let ai = try a.matmul(i); ai.label = "A·i"
    let h = try (ai + aBias).tanh(); h.label = "h"
    let bh = try b.matmul(h); bh.label = "B·h"
    let g = bh.sin(); g.label = "g"
    let gate = g.sigmoid(); gate.label = "σ(g)"
    let gated = try g * gate; gated.label = "g ⊙ σ(g)"
    let f = try c.matmul(gated); f.label = "f"
    var e1 = [Double](repeating: 0, count: m); e1[0] = 1
    let e = Tensor<Double>(e1); e.label = "e₁"
    let row = try (f * e).sum(); row.label = "f₁"
    return row
  }
}
