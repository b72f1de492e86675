import BackpropCore
import Testing
import _BackpropTestSupport

// First-order gradient checks (central differences in Double, PyTorch gradcheck's defaults) for
// every row of the op table, plus random-direction checks on realistic shapes.

@Suite struct GradientCheckTests {
  @Test(arguments: OpTable.rows)
  func firstOrder(_ row: OpRow) throws {
    let inputs = row.inputs()
    let result = try checkGradients(of: row.apply, at: inputs)
    #expect(result.passed, "\(row.name): \(result)")
    // Every element of every input was compared (none skipped, no random-direction shortcut).
    #expect(result.comparisons == inputs.reduce(0) { $0 + $1.count }, "\(row.name): \(result)")
  }

  @Test func matmul64x128RandomDirections() throws {
    // 64·128 = 8,192 elements > elementLimit: the checker takes ⟨∇L, v⟩ along random directions.
    let a = T.seeded([64, 128], seed: 1), b = T.seeded([128, 48], seed: 2)
    let result = checkGradients(of: { .matmul($0[0], $0[1]) }, at: [a, b], randomDirections: 6)
    #expect(result.passed, "\(result)")
    #expect(result.comparisons == 6 + 6, "both inputs take the random-direction path: \(result)")
    #expect(result.worstElement == -1)
  }

  @Test func mlpLayerOnRealisticShapes() throws {
    // log softmax(tanh(x·W + b)·V) on a 64-sample batch: every kind of op in one graph.
    let x = T.seeded([64, 100], seed: 3), w = T.seeded([100, 80], .uniform(-0.2, 0.2), seed: 4)
    let bias = T.seeded([80], seed: 5), v = T.seeded([80, 10], .uniform(-0.3, 0.3), seed: 6)
    let result = checkGradients(of: { p in
      let h = (T.matmul(p[0], p[1]) + p[2]).tanh()
      return T.matmul(h, p[3]).logSoftmax().mean(alongAxes: [0])
    }, at: [x, w, bias, v], elementLimit: 50, randomDirections: 3)
    #expect(result.passed, "\(result)")
    #expect(result.comparisons == 4 * 3)
  }

  @Test func softmaxOn64x128() throws {
    let x = T.seeded([64, 128], .uniform(-5, 5), seed: 7)
    let result = checkGradients(of: { $0[0].softmax().squared().sum() }, at: [x])
    #expect(result.passed, "\(result)")
  }

  // MARK: The checker itself must be able to fail.

  /// x² with a pullback that is off by `factor` (1 = correct).
  static func square(_ x: T, factor: Double) throws -> T {
    T.customOp("badSquare", inputs: [x], forward: { $0[0].squared() },
                   pullback: { g, c in [g * c.inputs[0] * (2 * factor)] })
  }

  @Test func detectsAWrongGradientAndNamesTheElement() throws {
    let x = T.seeded([2, 3], seed: 8)
    #expect(try checkGradients(of: { try Self.square($0[0], factor: 1) }, at: [x]).passed)
    let bad = try checkGradients(of: { try Self.square($0[0], factor: 1.01) }, at: [x])
    #expect(!bad.passed)
    #expect(bad.worstElement >= 0 && bad.worstElement < 6)
    #expect(bad.description.contains("FAILED"))
  }

  @Test func detectsAWrongGradientAlongRandomDirections() throws {
    let x = T.seeded([80, 80], seed: 9)
    let bad = try checkGradients(of: { try Self.square($0[0], factor: 1.01) }, at: [x])
    #expect(!bad.passed, "\(bad)")
    #expect(bad.worstElement == -1)
  }

  @Test func detectsAGradientThatIgnoresBroadcasting() throws {
    // A classic bug: forgetting to sum the gradient back to the broadcast operand's shape.
    func add(_ a: T, _ b: T) throws -> T {
      T.customOp("badAdd", inputs: [a, b], forward: { $0[0] + $0[1] },
                     pullback: { g, _ in [g, g.sliced(alongAxis: 0, 0..<1)] })
    }
    let bad = try checkGradients(of: { try add($0[0], $0[1]) }, at: [T.seeded([3, 2], seed: 1), T.seeded([1, 2], seed: 2)])
    #expect(!bad.passed, "\(bad)")
  }
}
