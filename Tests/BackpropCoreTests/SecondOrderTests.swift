import BackpropCore
import Testing
import _BackpropTestSupport

// Gradient of gradient: Hessian-vector products for every op that supports them, and full
// Hessians against finite differences and closed forms.

/// The Hessian by central differences of the (reverse-mode) gradient: column j is
/// (∇f(x + εeⱼ) − ∇f(x − εeⱼ)) / 2ε. Independent of `hessian(of:at:)`'s reverse-over-reverse.
func finiteDifferenceHessian(of f: (T) throws -> T, at x: T, eps: Double = 1e-5) throws -> [Double] {
  let n = x.count
  var h = [Double](repeating: 0, count: n * n)
  for j in 0..<n {
    let plus = x.detached(), minus = x.detached()
    plus.scalars[j] += eps
    minus.scalars[j] -= eps
    let gp = try gradient(of: f, at: plus).scalars, gm = try gradient(of: f, at: minus).scalars
    for i in 0..<n { h[i * n + j] = (gp[i] - gm[i]) / (2 * eps) }
  }
  return h
}

@Suite struct SecondOrderTests {
  @Test(arguments: OpTable.rows.filter(\.secondOrder))
  func hessianVectorProducts(_ row: OpRow) throws {
    let inputs = row.inputs()
    let result = try checkSecondOrderGradients(of: row.apply, at: inputs)
    #expect(result.passed, "\(row.name): \(result)")
    #expect(result.comparisons == inputs.reduce(0) { $0 + $1.count })
  }

  /// `hessian(of:at:)` runs one batched backward pass through the gradient's graph; row i must
  /// equal the ordinary backward pass seeded with eᵢ, for every op in the table.
  @Test(arguments: OpTable.rows)
  func batchedHessianMatchesRowByRow(_ row: OpRow) throws {
    let packed = Packed(row.inputs())
    let f = packed.function(row)
    let u = T.seeded(try f(packed.point).shape, seed: 5)
    let loss: (T) throws -> T = { z in try (f(z) * u).sum() }
    let h = try hessian(of: loss, at: packed.point)
    let n = packed.point.count
    #expect(h.shape == [n, n], "\(row.name)")
    let leaf = T(packed.point.scalars, requiresGrad: true)
    try loss(leaf).backward(createGraph: true)
    let g = leaf.grad!
    leaf.grad = nil
    var rows: [Double] = []
    for i in 0..<n {
      var e = [Double](repeating: 0, count: n); e[i] = 1
      leaf.grad = nil
      if g.requiresGrad { g.backward(gradient: T(e), retainGraph: true) }
      rows += leaf.grad?.scalars ?? [Double](repeating: 0, count: n)
    }
    expectClose(h.scalars, rows, .sameMathsDifferentOrder, "\(row.name): batched vs row-by-row Hessian")
  }

  @Test func everyRowSupportsSecondOrder() {
    // All pullbacks are written with differentiable tensor ops; a row that opts out must say why
    // in the table. Today none does.
    #expect(OpTable.rows.filter { !$0.secondOrder }.map(\.name) == [])
  }

  @Test func quadraticPlusSineAgainstClosedForm() throws {
    // f(x) = ½ xᵀAx + Σ sin xᵢ  ⇒  H = (A + Aᵀ)/2 − diag(sin x).
    let a = T.seeded([4, 4], seed: 11), x = T.seeded([4], seed: 12)
    let f: (T) throws -> T = { x in
      (T.matmul(x, T.matmul(a, x)) * 0.5 + x.sin().sum())
    }
    let h = try hessian(of: f, at: x)
    #expect(h.shape == [4, 4])
    var closed = [Double](repeating: 0, count: 16)
    for i in 0..<4 {
      for j in 0..<4 { closed[i * 4 + j] = (a.scalars[i * 4 + j] + a.scalars[j * 4 + i]) / 2 }
      closed[i * 4 + i] -= Double.sin(x.scalars[i])
    }
    expectClose(h.scalars, closed, .sameMathsDifferentOrder)
    expectClose(h.scalars, try finiteDifferenceHessian(of: f, at: x), .finiteDifference)
  }

  @Test func logSumExpHessianIsDiagSoftmaxMinusOuterProduct() throws {
    let x = T.seeded([5], seed: 13)
    let h = hessian(of: { $0.logSumExp() }, at: x)
    let s = x.softmax().scalars
    var closed = [Double](repeating: 0, count: 25)
    for i in 0..<5 { for j in 0..<5 { closed[i * 5 + j] = (i == j ? s[i] : 0) - s[i] * s[j] } }
    expectClose(h.scalars, closed, .sameMathsDifferentOrder)
  }

  @Test func seedChainRuleHessian() throws {
    // z = x² − y², x = s − sin t, y = eˢ + cos t, differentiated twice in (s, t).
    let (s, t) = (0.5, 1.2)
    let f: (T) throws -> T = { p in
      let s = p.sliced(0..<1), t = p.sliced(1..<2)
      let x = s - t.sin(), y = s.exp() + t.cos()
      return (x * x - y * y).sum()
    }
    let h = try hessian(of: f, at: T([s, t]))
    let x = s - Double.sin(t), y = Double.exp(s) + Double.cos(t)
    let zss = 2 - 2 * Double.exp(2 * s) - 2 * y * Double.exp(s)
    let zst = -2 * Double.cos(t) + 2 * Double.exp(s) * Double.sin(t)
    let ztt = 2 * Double.cos(t) * Double.cos(t) + 2 * x * Double.sin(t) - 2 * Double.sin(t) * Double.sin(t)
      + 2 * y * Double.cos(t)
    expectClose(h.scalars, [zss, zst, zst, ztt], .sameMathsDifferentOrder)
  }

  @Test func hessianOfAMatrixFunctionHasShapeXPlusX() throws {
    // f(X) = Σ (X·X) ⊙ tanh(X): a genuinely 2-D input.
    let x = T.seeded([2, 3], seed: 14)
    let f: (T) throws -> T = { x in (T.matmul(x, x, transposeB: true).sum() * x.tanh().sum()) }
    let h = try hessian(of: f, at: x)
    #expect(h.shape == [2, 3, 2, 3])
    expectClose(h.scalars, try finiteDifferenceHessian(of: f, at: x), .finiteDifference)
    // A Hessian is symmetric.
    for i in 0..<6 { for j in 0..<6 { expectClose(h.scalars[i * 6 + j], h.scalars[j * 6 + i], .sameMathsDifferentOrder) } }
  }

  @Test func gradientOfGradientByHand() throws {
    // d/dx Σ x³ = 3x², and d/dx Σ 3x² = 6x.
    let x = T([1, -2, 0.5], requiresGrad: true)
    x.pow(3).sum().backward(createGraph: true)
    let g = try #require(x.grad)
    #expect(g.requiresGrad, "createGraph records the backward pass")
    expectClose(g.scalars, [3, 12, 0.75], .doubleReference)
    x.zeroGrad()
    g.sum().backward()
    expectClose(x.grad!.scalars, [6, -12, 3], .doubleReference)
  }

  @Test func firstOrderBackwardDoesNotRecordAGraph() throws {
    let x = T([1, 2], requiresGrad: true)
    x.pow(3).sum().backward()
    #expect(x.grad?.requiresGrad == false)
    #expect(x.grad?.isLeaf == true)
  }

  @Test func detectsAPullbackThatIsNotDifferentiable() throws {
    // x² whose pullback uses a detached x: right to first order, wrong (0) to second.
    let sq: ([T]) throws -> T = { xs in
      T.customOp("detachedSquare", inputs: [xs[0]], forward: { $0[0].squared() },
                     pullback: { g, c in [g * c.inputs[0].detached() * 2] })
    }
    let x = T.seeded([3], seed: 15)
    #expect(try checkGradients(of: sq, at: [x]).passed)
    let second = try checkSecondOrderGradients(of: sq, at: [x])
    #expect(!second.passed, "\(second)")
  }
}
