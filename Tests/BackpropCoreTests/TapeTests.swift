import BackpropCore
import RealModule
import Testing
import _BackpropTestSupport

// The tape's semantics: the chain rule with fan-out, accumulation, no-grad scopes, released
// graphs, custom ops and broadcasting. (Long chains and memory are in TapeStressTests.)

@Suite struct TapeTests {
  @Test(arguments: [(0.5, 1.2), (-1.3, 0.0), (2.0, -3.0)])
  func seedChainRuleSumsBothPaths(_ st: (Double, Double)) throws {
    // z = x² − y², x = s − sin t, y = eˢ + cos t: s and t each feed both x and y.
    let (sv, tv) = st
    let s = T(sv, requiresGrad: true), t = T(tv, requiresGrad: true)
    let x = s - t.sin(), y = s.exp() + t.cos()
    x.retainGrad(); y.retainGrad()
    let z = x * x - y * y
    z.backward()
    let (xv, yv) = (sv - Double.sin(tv), Double.exp(sv) + Double.cos(tv))
    expectClose(x.grad!.item, 2 * xv, .doubleReference, "dz/dx")
    expectClose(y.grad!.item, -2 * yv, .doubleReference, "dz/dy")
    // dz/ds = dz/dx·1 + dz/dy·eˢ,  dz/dt = dz/dx·(−cos t) + dz/dy·(−sin t): both paths summed.
    expectClose(s.grad!.item, 2 * xv * 1 + (-2 * yv) * Double.exp(sv), .doubleReference, "dz/ds")
    expectClose(t.grad!.item, 2 * xv * -Double.cos(tv) + (-2 * yv) * -Double.sin(tv), .doubleReference, "dz/dt")
    // Dropping either path gives a different number, so the sum is really being tested.
    #expect(Swift.abs(s.grad!.item - 2 * xv) > 1e-3 && Swift.abs(s.grad!.item - (-2 * yv) * Double.exp(sv)) > 1e-3)
  }

  @Test func vectorChainRule() throws {
    // x = s ⊙ t, y = s − t, z = mean(x + y): dz/ds = (t + 1)/n, dz/dt = (s − 1)/n.
    let sv: [Double] = [1, 2, 3, 4], tv: [Double] = [0.5, -1, 2, 0]
    let s = T(sv, requiresGrad: true), t = T(tv, requiresGrad: true)
    let z = (T.hadamard(s, t) + (s - t)).mean()
    z.backward()
    #expect(z.shape == [] && s.grad!.shape == [4])
    expectClose(s.grad!.scalars, tv.map { ($0 + 1) / 4 }, .doubleReference)
    expectClose(t.grad!.scalars, sv.map { ($0 - 1) / 4 }, .doubleReference)
    // z = mean(x ⊙ y) = mean(s²t − st²): dz/ds = (2st − t²)/n, dz/dt = (s² − 2st)/n.
    s.zeroGrad(); t.zeroGrad()
    (T.hadamard(s, t) * (s - t)).mean().backward()
    expectClose(s.grad!.scalars, zip(sv, tv).map { (2 * $0 * $1 - $1 * $1) / 4 }, .doubleReference)
    expectClose(t.grad!.scalars, zip(sv, tv).map { ($0 * $0 - 2 * $0 * $1) / 4 }, .doubleReference)
  }

  @Test func diamondAndSelfProduct() throws {
    // x feeds two branches that meet again; and x * x uses one tensor twice in one op.
    let x = T([1.5, -2], requiresGrad: true)
    ((x * 2) * (x * 3)).sum().backward()  // 6x² → 12x
    #expect(x.grad!.scalars == [18, -24])
    x.zeroGrad()
    (x * x).sum().backward()
    #expect(x.grad!.scalars == [3, -4])
  }

  @Test func gradientsAccumulateAcrossBackwardCallsUntilZeroGrad() throws {
    let w = T([1, 2, 3], requiresGrad: true)
    (w * w).sum().backward()
    #expect(w.grad!.scalars == [2, 4, 6])
    (w * w).sum().backward()
    #expect(w.grad!.scalars == [4, 8, 12], "a second backward adds (PyTorch semantics)")
    w.zeroGrad()
    #expect(w.grad == nil)
    (w * 5).sum().backward()
    #expect(w.grad!.scalars == [5, 5, 5])
  }

  @Test func accumulationDoesNotAliasAnEarlierGradient() throws {
    // `.grad` from one backward is handed to the user; a later gradient must not be the same
    // storage as a tensor in the graph (the seed), or editing one would change the other.
    let w = T([1, 2], requiresGrad: true)
    let seed = T([1, 1])
    (w + 0).backward(gradient: seed)  // add's pullback hands `seed` itself to w
    w.grad!.update { $0[0] = 100 }
    #expect(seed.scalars == [1, 1])
  }

  @Test func inputsThatDoNotRequireGradGetNone() throws {
    let w = T([1, 2], requiresGrad: true), data = T([3, 4]), unused = T([5, 6], requiresGrad: true)
    (w * data).sum().backward()
    #expect(w.grad!.scalars == [3, 4])
    #expect(data.grad == nil && unused.grad == nil)
    #expect(!(data * 2 + data).requiresGrad, "ops on data alone record nothing")
  }

  @Test func detachedCutsTheGraph() throws {
    let x = T([2, 3], requiresGrad: true)
    let d = x.detached()
    #expect(!d.requiresGrad && d.isLeaf && d.scalars == x.scalars)
    (x * d).sum().backward()  // d is a constant: gradient is d, not 2x
    #expect(x.grad!.scalars == [2, 3])
    #expect(d.grad == nil)
  }

  @Test func withoutGradientRecordsNothingAndRestoresTheMode() throws {
    let w = T([1, 2], requiresGrad: true)
    let y = withoutGradient { w * 3 }
    #expect(!y.requiresGrad && y.isLeaf)
    #expect(isGradientRecordingEnabled)
    struct Boom: Error {}
    _ = try? withoutGradient { () throws -> Int in throw Boom() }
    #expect(isGradientRecordingEnabled, "restored even when the body throws")
    let z = withoutGradient { withGradient { w * 3 } }
    #expect(z.requiresGrad, "withGradient re-enables recording inside withoutGradient")
  }

  @Test func retainGradKeepsIntermediateGradients() throws {
    let x = T([1, 2], requiresGrad: true)
    let h = x * 3, k = h.exp()
    h.retainGrad()
    k.sum().backward()
    expectClose(h.grad!.scalars, [Double.exp(3), Double.exp(6)], .doubleReference)
    #expect(k.grad == nil, "intermediates without retainGrad keep no gradient")
  }

  @Test func retainGraphAllowsASecondBackward() throws {
    let x = T([1, 2], requiresGrad: true)
    let y = x.exp().sum()
    y.backward(retainGraph: true)
    y.backward()
    expectClose(x.grad!.scalars, [2 * Double.exp(1), 2 * Double.exp(2)], .doubleReference)
  }

  @Test func backwardNeedsASeedForNonScalars() throws {
    let x = T([1, 2, 3], requiresGrad: true)
    let y = x * 2
    y.backward(gradient: T([1, 10, 100]))
    #expect(x.grad!.scalars == [2, 20, 200])
  }

  @Test func customOpUsesItsOwnPullback() throws {
    // softplus(x) = log(1 + eˣ), with d/dx = σ(x) supplied by hand.
    let x = T([-2, 0, 3], requiresGrad: true)
    let y = T.customOp("softplus", inputs: [x], forward: { ($0[0].exp() + 1).log() },
                           pullback: { g, c in [g * c.inputs[0].sigmoid()] })
    #expect(y.opName == "softplus")
    y.sum().backward()
    expectClose(x.grad!.scalars, x.scalars.map { 1 / (1 + Double.exp(-$0)) }, .doubleReference)
    // A "straight-through" op: forward rounds, backward passes g unchanged — provably the custom
    // rule, since the true derivative of rounding is 0.
    let z = T([0.4, 1.6], requiresGrad: true)
    let r = T.customOp("roundSTE", inputs: [z], forward: { T($0[0].scalars.map { $0.rounded() }) },
                           pullback: { g, _ in [g] })
    (r * T([1, 2])).sum().backward()
    #expect(r.scalars == [0, 2] && z.grad!.scalars == [1, 2])
  }

  @Test func broadcastingIsSummedBackToEachOperand() throws {
    let a = T.seeded([3, 1], seed: 1, requiresGrad: true), b = T.seeded([4], seed: 2, requiresGrad: true)
    (a + b).sum().backward()
    #expect(a.grad!.shape == [3, 1] && a.grad!.scalars == [4, 4, 4])
    #expect(b.grad!.shape == [4] && b.grad!.scalars == [3, 3, 3, 3])
    a.zeroGrad(); b.zeroGrad()
    (a * b).mean().backward()  // ∂/∂aᵢ = Σⱼ bⱼ / 12
    expectClose(a.grad!.scalars, [Double](repeating: b.scalars.reduce(0, +) / 12, count: 3), .doubleReference)
    expectClose(b.grad!.scalars, [Double](repeating: a.scalars.reduce(0, +) / 12, count: 4), .doubleReference)
    let scale = T(2.0, requiresGrad: true), x = T.seeded([2, 3], seed: 3)
    (x * scale).sum().backward()
    expectClose(scale.grad!.item, x.scalars.reduce(0, +), .doubleReference)
    #expect(scale.grad!.shape == [])
  }

  @Test func reductionsAlongAxesBroadcastTheirGradientBack() throws {
    let x = T.seeded([2, 3], .distinct, seed: 4, requiresGrad: true)
    x.sum(alongAxes: [1]).backward(gradient: T([1, 10]))
    #expect(x.grad!.scalars == [1, 1, 1, 10, 10, 10])
    x.zeroGrad()
    x.max(alongAxes: [0], keepingDims: true).backward(gradient: T(shape: [1, 3], scalars: [1, 2, 3]))
    let expected = (0..<6).map { i -> Double in
      let c = i % 3
      return x.scalars[i] == Swift.max(x.scalars[c], x.scalars[3 + c]) ? Double(c + 1) : 0
    }
    #expect(x.grad!.scalars == expected)
  }

  @Test func maxSharesTheGradientBetweenTies() throws {
    let x = T([3, 1, 3], requiresGrad: true)
    x.max().backward()
    #expect(x.grad!.scalars == [0.5, 0, 0.5])
  }

  @Test func leavesAndGraphIntrospection() throws {
    let x = T([1], requiresGrad: true)
    let y = x.exp()
    #expect(x.isLeaf && !y.isLeaf && y.opName == "exp" && y.graphInputs.count == 1 && y.graphInputs[0] === x)
    y.sum().backward()
    #expect(y.graphInputs.isEmpty, "backward releases the graph")
  }

  /// PyTorch 2.15: maximum([1,2,3], [1,1,3]).sum() → grads [0.5, 1, 0.5] and [0.5, 0, 0.5];
  /// minimum → [0.5, 0, 0.5] and [0.5, 1, 0.5]; maximum([1,2], 1) → [0.5, 1] and 0.5.
  @Test func maximumAndMinimumSplitTiesLikePyTorch() throws {
    let a = Tensor<Double>([1, 2, 3], requiresGrad: true), b = Tensor<Double>([1, 1, 3], requiresGrad: true)
    Tensor.maximum(a, b).sum().backward()
    #expect(a.grad!.scalars == [0.5, 1, 0.5] && b.grad!.scalars == [0.5, 0, 0.5])
    a.zeroGrad(); b.zeroGrad()
    Tensor.minimum(a, b).sum().backward()
    #expect(a.grad!.scalars == [0.5, 0, 0.5] && b.grad!.scalars == [0.5, 1, 0.5])
    let c = Tensor<Double>([1, 2], requiresGrad: true), d = Tensor<Double>(1, requiresGrad: true)
    Tensor.maximum(c, d).sum().backward()
    #expect(c.grad!.scalars == [0.5, 1] && d.grad!.item == 0.5)
    // Forward mode uses the same split.
    let (_, tangent) = jvp(of: { Tensor.maximum($0, Tensor<Double>([1, 1, 3])) }, at: Tensor<Double>([1, 2, 3]),
                               tangent: Tensor<Double>([1, 1, 1]))
    #expect(tangent.scalars == [0.5, 1, 0.5])
  }
}

