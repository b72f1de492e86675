import BackpropCore
import Testing
import _BackpropTestSupport

// Full Jacobians: built by rows (one VJP per output) and by columns (one JVP per input) they must
// agree with each other and with `jacobian(of:at:)`, and have shape out.shape + x.shape.

/// J by rows: row i is eᵢᵀ·J, one reverse pass each.
func jacobianByRows(of f: (T) throws -> T, at x: T) throws -> [Double] {
  let y = try f(x)
  return try (0..<y.count).flatMap { i -> [Double] in
    var e = [Double](repeating: 0, count: y.count); e[i] = 1
    return try vjp(of: f, at: x, cotangent: T(shape: y.shape, scalars: e)).vjp.scalars
  }
}

/// J by columns: column j is J·eⱼ, one forward-mode pass each.
func jacobianByColumns(of f: (T) throws -> T, at x: T) throws -> [Double] {
  let m = try f(x).count, n = x.count
  var values = [Double](repeating: 0, count: m * n)
  for j in 0..<n {
    var e = [Double](repeating: 0, count: n); e[j] = 1
    let column = try jvp(of: f, at: x, tangent: T(shape: x.shape, scalars: e)).jvp.scalars
    for i in 0..<m { values[i * n + j] = column[i] }
  }
  return values
}

@Suite struct JacobianTests {
  @Test(arguments: OpTable.rows)
  func rowsAndColumnsAgree(_ row: OpRow) throws {
    let packed = Packed(row.inputs())
    let f = packed.function(row)
    let y = try f(packed.point)
    let j = try jacobian(of: f, at: packed.point)
    #expect(j.shape == y.shape + packed.point.shape, "\(row.name)")
    let byRows = try jacobianByRows(of: f, at: packed.point)
    let byColumns = try jacobianByColumns(of: f, at: packed.point)
    #expect(byRows.contains { $0 != 0 }, "\(row.name): an all-zero Jacobian would make this vacuous")
    expectClose(byRows, byColumns, .sameMathsDifferentOrder, "\(row.name): rows vs columns")
    expectClose(j.scalars, byRows, .sameMathsDifferentOrder, "\(row.name): jacobian(of:at:)")
    // Both routes of jacobian(of:at:mode:): one batched backward pass (every op's pullback with
    // a leading batch of cotangents) and one forward pass per column.
    let batched = try jacobian(of: f, at: packed.point, mode: .reverse)
    let forward = try jacobian(of: f, at: packed.point, mode: .forward)
    #expect(batched.shape == j.shape && forward.shape == j.shape, "\(row.name)")
    expectClose(batched.scalars, byRows, .sameMathsDifferentOrder, "\(row.name): batched reverse mode")
    expectClose(forward.scalars, byColumns, .sameMathsDifferentOrder, "\(row.name): forward mode")
  }

  @Test func wideAndTallFunctionsGiveTheirShapes() throws {
    // m < n (reverse mode is cheaper) and m > n (forward mode is cheaper): both branches.
    let x = T.seeded([2, 3], seed: 21)
    let wide = jacobian(of: { $0.sum(alongAxes: [1]).exp() }, at: x)
    #expect(wide.shape == [2, 2, 3])
    expectClose(wide.scalars, try jacobianByColumns(of: { $0.sum(alongAxes: [1]).exp() }, at: x),
                .sameMathsDifferentOrder)
    let tall = jacobian(of: { $0.broadcast(to: [4, 2, 3]).sin() }, at: x)
    #expect(tall.shape == [4, 2, 3, 2, 3])
    expectClose(tall.scalars, try jacobianByRows(of: { $0.broadcast(to: [4, 2, 3]).sin() }, at: x),
                .sameMathsDifferentOrder)
  }

  @Test func hadamardJacobianIsDiagonal() throws {
    // The seed: x = s ⊙ t has ∂x/∂s = diag(t).
    let t = T([0.5, -1, 2, 0])
    let j = jacobian(of: { $0 * t }, at: T([1, 2, 3, 4]))
    var diag = [Double](repeating: 0, count: 16)
    for i in 0..<4 { diag[i * 5] = t.scalars[i] }
    #expect(j.scalars == diag)
  }

  @Test(arguments: [(3, 4, 5, 2), (1, 6, 2, 3), (4, 1, 1, 4)])
  func jacobiansOfAChainCompose(_ sizes: (Int, Int, Int, Int)) throws {
    // The study note's point 6: f(g(h(i))) with f: Rⁿ→Rᵐ, g: Rᵒ→Rⁿ, h: Rᵖ→Rᵒ. df/di (m,p) is the
    // product (m,n)·(n,o)·(o,p) of the three local Jacobians.
    let (m, n, o, p) = sizes
    let (wf, wg, wh) = (T.seeded([m, n], seed: 1), T.seeded([n, o], seed: 2), T.seeded([o, p], seed: 3))
    let h: (T) throws -> T = { T.matmul(wh, $0).tanh() }
    let g: (T) throws -> T = { T.matmul(wg, $0).sin() }
    let f: (T) throws -> T = { T.matmul(wf, $0).sigmoid() }
    let xi = T.seeded([p], seed: 4)
    let xh = try h(xi), xg = try g(xh)
    let (jf, jg, jh) = (try jacobian(of: f, at: xg), try jacobian(of: g, at: xh), try jacobian(of: h, at: xi))
    #expect([jf.shape, jg.shape, jh.shape] == [[m, n], [n, o], [o, p]])
    let product = T.matmul(T.matmul(jf, jg), jh)
    let direct = try jacobian(of: { try f(g(h($0))) }, at: xi)
    #expect(direct.shape == [m, p])
    expectClose(product, direct, .sameMathsDifferentOrder)
  }

  @Test func jacobianOfAFunctionThatIgnoresItsInputIsZero() throws {
    let j = jacobian(of: { _ in T([1, 2]) }, at: T([3, 4, 5]))
    #expect(j.shape == [2, 3] && j.scalars.allSatisfy { $0 == 0 })
  }
}

@Suite struct BatchedBackwardTests {
  @Test func batchedSeedGivesOneVJPPerRow() throws {
    // y = W·x + x⊙x: the k seeds flow back together; row i equals the i-th ordinary VJP.
    let w = T.seeded([3, 4], seed: 2), x = T(T.seeded([4], seed: 3).scalars, requiresGrad: true)
    let y = T.matmul(w, x) + (x * x).sum(alongAxes: [0], keepingDims: true)
    let seeds = T.seeded([5, 3], seed: 4)
    y.backward(batchedGradient: seeds, retainGraph: true)
    let batched = x.grad!
    #expect(batched.shape == [5, 4])
    for i in 0..<5 {
      x.grad = nil
      y.backward(gradient: seeds.sliced(alongAxis: 0, i..<(i + 1)).reshaped(to: [3]), retainGraph: true)
      expectClose(Array(batched.scalars[(i * 4)..<(i * 4 + 4)]), x.grad!.scalars, .sameMathsDifferentOrder, "row \(i)")
    }
  }
}
