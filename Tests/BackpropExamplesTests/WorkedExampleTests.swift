import BackpropCore
import BackpropExamples
import Testing

/// The study note's three demonstrations, as the CLI runs them (issue 2's acceptance figures).
struct WorkedExampleTests {
  @Test(arguments: [(0.5, 1.2), (-2.0, 0.0), (3.0, -7.5), (0.0, 3.14159)])
  func chainRuleMatchesClosedForm(s: Double, t: Double) throws {
    let r = try ChainRuleReport.compute(s: s, t: t)
    // Same formula evaluated two ways in Double: only rounding separates them.
    #expect(r.difference.dzds <= 1e-12 * Swift.max(1, Swift.abs(r.dzds)))
    #expect(r.difference.dzdt <= 1e-12 * Swift.max(1, Swift.abs(r.dzdt)))
    // s and t each feed both x and y: two contributions, summed.
    #expect(r.sums.map(\.leaf) == ["s", "t"])
    for sum in r.sums {
      #expect(sum.contributions.count == 2)
      #expect(Swift.abs(sum.contributions.reduce(0, +) - sum.sum) <= 1e-12 * Swift.max(1, Swift.abs(sum.sum)))
    }
    // Every traced edge obeys upstream × local = sent.
    for entry in r.trace { for e in entry.edges { #expect(Swift.abs(entry.upstream * e.localDerivative - e.sent) <= 1e-12 * Swift.max(1, Swift.abs(e.sent))) } }
    // The first node in backward order is z itself, with upstream 1.
    #expect(r.trace.first?.node == "z" && r.trace.first?.upstream == 1)
  }

  @Test(arguments: VectorChainRuleReport.Combine.allCases)
  func vectorChainRule(combine: VectorChainRuleReport.Combine) throws {
    let s = [1.0, 2, 3, 4], t = [0.5, -1, 2, 0]
    let r = try VectorChainRuleReport.compute(s: s, t: t, combine: combine)
    #expect(r.shapes["dx/ds"] == [4, 4] && r.shapes["dz/dx"] == [1, 4] && r.shapes["dz/ds"] == [1, 4])
    #expect(r.maxDifferenceFromFiniteDifferences < 1e-6)
    #expect(r.maxDifferenceFromJacobianProduct < 1e-12)
    // Closed forms: add → dz/ds = (t + 1)/n, dz/dt = (s − 1)/n.
    if combine == .add {
      for i in 0..<4 {
        #expect(Swift.abs(r.dzds[0][i] - (t[i] + 1) / 4) < 1e-15)
        #expect(Swift.abs(r.dzdt[0][i] - (s[i] - 1) / 4) < 1e-15)
      }
      // dx/ds = diag(t).
      #expect(r.jacobians["dx/ds"]![2] == [0, 0, 2, 0])
    }
  }

  @Test func vectorChainRuleRejectsMismatchedLengths() {
    #expect(throws: TensorError.self) { try VectorChainRuleReport.compute(s: [1, 2], t: [1]) }
  }

  @Test(arguments: [(3, 4, 5, 2), (1, 1, 1, 1), (7, 2, 9, 3)])
  func jacobianShapesCompose(m: Int, n: Int, o: Int, p: Int) throws {
    let r = try JacobianShapesReport.compute(m: m, n: n, o: o, p: p, seed: 3)
    #expect(r.shapes["df/dg"] == [m, n] && r.shapes["dg/dh"] == [n, o] && r.shapes["dh/di"] == [o, p])
    #expect(r.shapes["product"] == [m, p] && r.shapes["direct"] == [m, p])
    #expect(r.maxDifference < 1e-6 && r.maxDifferenceFromVJPRow < 1e-6)
  }

  @Test func jacobianShapesRejectsZeroSizes() {
    #expect(throws: TensorError.self) { try JacobianShapesReport.compute(m: 0, n: 1, o: 1, p: 1) }
  }
}
