import BackpropCore
import Testing
import _BackpropTestSupport

// Forward mode (JVP) against reverse mode (VJP): for every row, ⟨u, J·v⟩ computed by one jvp
// equals ⟨Jᵀ·u, v⟩ computed by one vjp, for random u and v (the dot-product test).

/// A row's inputs packed into one flat vector, so that single-input transforms (`jvp`, `vjp`,
/// `jacobian`) see every input at once. Unpacking uses differentiable slices and reshapes.
struct Packed {
  var shapes: [[Int]]
  var point: T

  init(_ inputs: [T]) {
    shapes = inputs.map(\.shape)
    point = T(inputs.flatMap(\.scalars))
  }

  func unpack(_ z: T) throws -> [T] {
    var start = 0
    return shapes.map { shape in
      let n = shape.reduce(1, *)
      defer { start += n }
      return z.sliced(start..<(start + n)).reshaped(to: shape)
    }
  }

  /// The row as a function of the packed vector.
  func function(_ row: OpRow) -> (T) throws -> T { { z in try row.apply(try unpack(z)) } }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

@Suite struct ForwardModeTests {
  @Test(arguments: OpTable.rows)
  func jvpAgreesWithVJP(_ row: OpRow) throws {
    let packed = Packed(row.inputs())
    let f = packed.function(row)
    let y = try f(packed.point)
    let u = T.seeded(y.shape, seed: stableSeed(row.name, salt: 100))
    let v = T.seeded(packed.point.shape, seed: stableSeed(row.name, salt: 101))
    let (value, jv) = try jvp(of: f, at: packed.point, tangent: v)
    let (_, jtu) = try vjp(of: f, at: packed.point, cotangent: u)
    #expect(jv.shape == y.shape && jtu.shape == packed.point.shape)
    expectClose(value, y, .doubleReference, "jvp's value")
    let forward = dot(u.scalars, jv.scalars), reverse = dot(jtu.scalars, v.scalars)
    #expect(forward != 0, "\(row.name): a zero product would make the comparison vacuous")
    expectClose(forward, reverse, .sameMathsDifferentOrder, row.name)
  }

  @Test func jvpOfTheSeedChainRuleGivesDirectionalDerivatives() throws {
    // Tangent (1, 0) gives dz/ds, (0, 1) gives dz/dt: the study note's closed forms.
    let (s, t) = (0.5, 1.2)
    let f: (T) throws -> T = { p in
      let x = p.sliced(0..<1) - p.sliced(1..<2).sin(), y = p.sliced(0..<1).exp() + p.sliced(1..<2).cos()
      return (x * x - y * y).sum()
    }
    let x = s - Double.sin(t), y = Double.exp(s) + Double.cos(t)
    let dzds = try jvp(of: f, at: T([s, t]), tangent: T([1, 0])).jvp.item
    let dzdt = try jvp(of: f, at: T([s, t]), tangent: T([0, 1])).jvp.item
    expectClose(dzds, 2 * x - 2 * y * Double.exp(s), .doubleReference)
    expectClose(dzdt, 2 * x * -Double.cos(t) + (-2 * y) * -Double.sin(t), .doubleReference)
  }

  @Test func jvpLeavesNoGraphAndNoTangentBehind() throws {
    let x = T([1, 2, 3], requiresGrad: true)
    let (value, _) = jvp(of: { $0.exp() }, at: x, tangent: T([1, 1, 1]))
    #expect(!value.requiresGrad)
    #expect(x.tangent == nil && x.grad == nil, "the caller's tensor is untouched")
  }

  @Test func customOpWithPushforward() throws {
    let f: (T) throws -> T = { x in
      T.customOp("softplus", inputs: [x], forward: { ($0[0].exp() + 1).log() },
                     pullback: { g, c in [g * c.inputs[0].sigmoid()] },
                     pushforward: { t, c in t[0]! * c.inputs[0].sigmoid() })
    }
    let x = T([-1, 0, 2])
    let jv = try jvp(of: f, at: x, tangent: T([1, 2, 3])).jvp
    expectClose(jv.scalars, zip([1.0, 2, 3], x.scalars).map { $0 / (1 + Double.exp(-$1)) }, .doubleReference)
  }
}
