import BackpropCore
import Foundation
import Testing
import _BackpropTestSupport

// `Value` (the scalar tape): every op against PyTorch (Fixtures/scalar_ops.json, written by
// Tools/make_scalar_fixtures.py) and against central differences in Double; forward mode against
// reverse mode; the tape's marks and rewinds; and the micrograd engine tests.

private struct ScalarOpCase: Codable {
  var op: String
  var inputs: [Double]
  var output: Double
  var grads: [Double]
}

private struct ScalarExpressionCase: Codable {
  var name: String
  var inputs: [String: Double]
  var output: Double
  var grads: [String: Double]
}

private struct ScalarFixtureFile: Codable {
  var generator: String
  var torch: String
  var ops: [ScalarOpCase]
  var expressions: [ScalarExpressionCase]
}

private enum ScalarFixtures {
  static let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/scalar_ops.json")
  static let file: ScalarFixtureFile? = try? loadFixture(ScalarFixtureFile.self, from: url)

  /// The fixture's op names, written with `Value` (inputs in order).
  static let ops: [String: ([Value<Double>]) -> Value<Double>] = [
    "neg": { -$0[0] }, "exp": { $0[0].exp() }, "log": { $0[0].log() }, "tanh": { $0[0].tanh() },
    "sigmoid": { $0[0].sigmoid() }, "relu": { $0[0].relu() }, "sqrt": { $0[0].sqrt() },
    "sin": { $0[0].sin() }, "cos": { $0[0].cos() }, "abs": { $0[0].abs() },
    "pow_const_3": { Value.pow($0[0], 3) }, "pow_const_-0.5": { Value.pow($0[0], -0.5) },
    "add": { $0[0] + $0[1] }, "sub": { $0[0] - $0[1] }, "mul": { $0[0] * $0[1] }, "div": { $0[0] / $0[1] },
    "pow": { Value.pow($0[0], $0[1]) },
  ]

  /// The same ops on plain Doubles, for finite differences.
  static let plain: [String: ([Double]) -> Double] = [
    "neg": { -$0[0] }, "exp": { Foundation.exp($0[0]) }, "log": { Foundation.log($0[0]) }, "tanh": { Foundation.tanh($0[0]) },
    "sigmoid": { 1 / (1 + Foundation.exp(-$0[0])) }, "relu": { Swift.max($0[0], 0) }, "sqrt": { $0[0].squareRoot() },
    "sin": { Foundation.sin($0[0]) }, "cos": { Foundation.cos($0[0]) }, "abs": { Swift.abs($0[0]) },
    "pow_const_3": { Foundation.pow($0[0], 3) }, "pow_const_-0.5": { Foundation.pow($0[0], -0.5) },
    "add": { $0[0] + $0[1] }, "sub": { $0[0] - $0[1] }, "mul": { $0[0] * $0[1] }, "div": { $0[0] / $0[1] },
    "pow": { Foundation.pow($0[0], $0[1]) },
  ]

  /// micrograd's engine tests, written with `Value` (test/test_engine.py).
  static func sanityCheck(_ x: Value<Double>) -> Value<Double> {
    let z = 2 * x + 2 + x
    let q = z.relu() + z * x
    let h = (z * z).relu()
    return h + q + q * x
  }

  static func moreOps(_ a: Value<Double>, _ b: Value<Double>) -> Value<Double> {
    var c = a + b
    var d = a * b + Value.pow(b, 3)
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    let e = c - d
    let f = Value.pow(e, 2)
    var g = f / 2.0
    g += 10.0 / f
    return g
  }
}

private let floatVersusDouble = Tolerance(
  rtol: 1e-3, atol: 1e-4, rationale: "Float against Double through chains of tanh, pow and sin: Float round-off, amplified")
private let chainRoundOff = Tolerance(rtol: 1e-9, atol: 0, rationale: "500,000 multiply-adds: round-off grows with the chain")

@Suite("Value: scalar tape")
struct ValueTests {
  @Test("the fixture file is present and covers every op")
  func fixtureCoverage() throws {
    let file = try #require(ScalarFixtures.file, "Fixtures/scalar_ops.json is missing: run Tools/make_scalar_fixtures.py")
    #expect(Set(file.ops.map(\.op)) == Set(ScalarFixtures.ops.keys))
    // Every recorded kind of node is exercised by some fixture op.
    var kinds = Set<ScalarOp>()
    for c in file.ops {
      let tape = ScalarTape<Double>()
      if let op = ScalarFixtures.ops[c.op]!(tape.variables(c.inputs)).op { kinds.insert(op) }
    }
    #expect(kinds == Set(ScalarOp.allCases).subtracting([.variable]))
  }

  @Test("every op matches PyTorch (value and gradients, 1e-12 relative)")
  func opsMatchPyTorch() throws {
    let file = try #require(ScalarFixtures.file)
    for c in file.ops {
      let tape = ScalarTape<Double>()
      let xs = tape.variables(c.inputs)
      let y = ScalarFixtures.ops[c.op]!(xs)
      y.backward()
      expectClose(y.value, c.output, .pytorchFixture, "\(c.op)\(c.inputs): \(y.value) vs \(c.output)")
      for (x, g) in zip(xs, c.grads) {
        expectClose(x.grad, g, .pytorchFixture, "\(c.op)\(c.inputs): grad \(x.grad) vs \(g)")
      }
    }
  }

  @Test("every op's gradient matches central differences away from kinks")
  func opsMatchFiniteDifferences() throws {
    let file = try #require(ScalarFixtures.file)
    for c in file.ops where !c.inputs.contains(0) {
      let f = ScalarFixtures.plain[c.op]!
      expectClose(f(c.inputs), c.output, .pytorchFixture)
      let (_, gradient) = valueWithGradient(of: ScalarFixtures.ops[c.op]!, at: c.inputs)
      for i in c.inputs.indices {
        let h = 1e-6
        var up = c.inputs, down = c.inputs
        up[i] += h; down[i] -= h
        let numeric = (f(up) - f(down)) / (2 * h)
        expectClose(gradient[i], numeric, .finiteDifference, "\(c.op)\(c.inputs) ∂/∂x\(i): \(gradient[i]) vs \(numeric)")
      }
    }
  }

  @Test("micrograd's engine tests match PyTorch")
  func micrograd() throws {
    let file = try #require(ScalarFixtures.file)
    let sanity = try #require(file.expressions.first { $0.name == "micrograd_sanity_check" })
    let tape = ScalarTape<Double>()
    let x = tape.variable(sanity.inputs["x"]!)
    let y = ScalarFixtures.sanityCheck(x)
    y.backward()
    expectClose(y.value, sanity.output, .pytorchFixture)
    expectClose(x.grad, sanity.grads["x"]!, .pytorchFixture)

    let more = try #require(file.expressions.first { $0.name == "micrograd_more_ops" })
    let a = tape.variable(more.inputs["a"]!), b = tape.variable(more.inputs["b"]!)
    let g = ScalarFixtures.moreOps(a, b)
    g.backward()
    expectClose(g.value, more.output, .pytorchFixture)
    expectClose(a.grad, more.grads["a"]!, .pytorchFixture)
    expectClose(b.grad, more.grads["b"]!, .pytorchFixture)
    // The first graph is still on the tape and untouched by the second backward's output.
    #expect(x.grad == 0)
  }

  @Test("Value and Tensor agree on a random expression, in Float and Double")
  func agreesWithTensor() throws {
    var rng = SeededGenerator(seed: 7)
    for _ in 0..<20 {
      let a0 = rng.nextUniform() * 2 + 0.5, b0 = rng.nextUniform() * 4 - 2
      func viaValue<T: TensorScalar>(_: T.Type) -> (T, T, T) {
        let tape = ScalarTape<T>()
        let a = tape.variable(T(a0)), b = tape.variable(T(b0))
        let y = (a * b).tanh() + (a.log() - b).sigmoid() * a.sqrt() / (b * b + 1) + Value.pow(a, b).sin()
        y.backward()
        return (y.value, a.grad, b.grad)
      }
      let (ta, tb) = (Tensor<Double>(a0, requiresGrad: true), Tensor<Double>(b0, requiresGrad: true))
      let ty = (ta * tb).tanh() + (ta.log() - tb).sigmoid() * ta.sqrt() / (tb * tb + 1) + Tensor.pow(ta, tb).sin()
      ty.backward()
      let (v, ga, gb) = viaValue(Double.self)
      expectClose(v, ty.item, .pytorchFixture)
      expectClose(ga, ta.grad!.item, .pytorchFixture)
      expectClose(gb, tb.grad!.item, .pytorchFixture)
      let (vf, gaf, gbf) = viaValue(Float.self)
      expectClose(Double(vf), v, floatVersusDouble)
      expectClose(Double(gaf), ga, floatVersusDouble)
      expectClose(Double(gbf), gb, floatVersusDouble)
    }
  }

  @Test("forward mode (tangents) equals reverse mode (gradients); Jacobians by rows and columns agree")
  func forwardEqualsReverse() {
    let f: ([Value<Double>]) -> [Value<Double>] = { v in
      [v[0] * v[1] + v[2].exp(), (v[0] - v[2]).tanh() * v[1], Value.pow(v[1], 2) / (v[0].abs() + 1)]
    }
    let point = [0.3, -1.2, 0.7]
    let rows = jacobian(of: f, at: point, mode: .reverse)
    let columns = jacobian(of: f, at: point, mode: .forward)
    #expect(rows.count == 3 && rows.allSatisfy { $0.count == 3 })
    for i in 0..<3 { for j in 0..<3 { expectClose(rows[i][j], columns[i][j], .doubleReference) } }
    // Spot-check one entry by hand: ∂(v0·v1 + e^v2)/∂v2 = e^0.7.
    expectClose(rows[0][2], Foundation.exp(0.7), .doubleReference)
    // valueWithDerivative is forward mode on one input.
    let (y, dy) = valueWithDerivative(of: { x in (x * x).sin() }, at: 1.5)
    expectClose(y, Foundation.sin(2.25), .doubleReference)
    expectClose(dy, 2 * 1.5 * Foundation.cos(2.25), .doubleReference)
  }

  @Test("constants are not recorded; literals and plain numbers mix in")
  func constants() {
    let tape = ScalarTape<Double>()
    let x = tape.variable(3)
    let c = Value<Double>(2)
    #expect(c.isConstant && c.grad == 0 && c.op == nil)
    #expect((c * c + 1).isConstant)
    #expect(tape.count == 1)
    let y = 1 - x * 0.5 + c / x   // three nodes: mul, rsub, div … then add
    #expect(tape.count == 5)
    y.backward()
    expectClose(x.grad, -0.5 - 2.0 / 9.0, .doubleReference)
    #expect(y.op == .add)
  }

  @Test("rewind keeps the nodes before the mark, drops the rest and their gradients")
  func rewind() {
    let tape = ScalarTape<Double>()
    let w = tape.variable(2)
    let start = tape.mark()
    let first = w * w
    first.backward()
    #expect(w.grad == 4)
    tape.rewind(to: start)
    #expect(tape.count == 1 && tape.contains(w) && !tape.contains(first))
    #expect(w.grad == 0)  // gradients are cleared by a rewind
    w.value = 5
    let second = w * w * w
    #expect(!tape.contains(first))  // same slot, new generation
    second.backward()
    #expect(w.grad == 75)
    // A mark taken after the rewind point is invalidated by rewinding before it.
    let late = tape.mark()
    tape.rewind(to: start)
    #expect(late.count > tape.count)
    // Another tape's values are not this tape's.
    #expect(!ScalarTape<Double>().contains(w))
  }

  @Test("gradients do not accumulate across backward calls; a value is shared by many uses")
  func fanOutAndRepeatedBackward() {
    let tape = ScalarTape<Double>()
    let x = tape.variable(1.5)
    var y = x
    for _ in 0..<10 { y = y + x }  // y = 11x
    y.backward()
    #expect(x.grad == 11)
    y.backward()
    #expect(x.grad == 11)
    tape.backward(from: y, seed: 2)
    #expect(x.grad == 22)
  }

  @Test("a 1,000,000-node chain runs forward and backward")
  func longChain() {
    let tape = ScalarTape<Double>(reservingCapacity: 1_000_001)
    let x0 = tape.variable(1)
    var x = x0
    for _ in 0..<500_000 { x = x * 1.0000001 + 0.0000001 }
    x.backward()
    #expect(tape.count == 1_000_001)
    expectClose(x0.grad, Foundation.pow(1.0000001, 500_000), chainRoundOff)
  }

  @Test("trace shows upstream × local = contribution for every node on the path")
  func trace() {
    let tape = ScalarTape<Double>()
    let s = tape.variable(0.5), t = tape.variable(-1.0)
    let unused = tape.variable(3)
    let x = s - t.sin()
    let y = s.exp() + t.cos()
    let z = x * x - y * y
    _ = unused * 2
    let steps = tape.trace(from: z)
    #expect(steps.first?.node == z.node && steps.first?.upstream == 1)
    #expect(!steps.contains { $0.node == unused.node })
    for step in steps {
      for operand in step.operands {
        expectClose(operand.contribution, step.upstream * operand.localDerivative, .doubleReference)
      }
    }
    // An operand's contributions add up to its gradient.
    for leaf in [s, t] {
      let total = steps.flatMap(\.operands).filter { $0.node == leaf.node }.map(\.contribution).reduce(0, +)
      expectClose(total, leaf.grad, .pytorchFixture)
    }
    let text = steps.formatted
    #expect(text.hasPrefix("%\(z.node!) = sub(%"))
    #expect(text.contains("= var"))
  }

  @Test("the README's example: the study note's z = x² − y² gives the same gradients as Tensor")
  func readmeExample() throws {
    let tape = ScalarTape<Double>()
    let s = tape.variable(0.5), t = tape.variable(1.2)
    let x = s - t.sin(), y = s.exp() + t.cos()
    let z = x * x - y * y
    z.backward()
    let (ts, tt) = (Tensor<Double>(0.5, requiresGrad: true), Tensor<Double>(1.2, requiresGrad: true))
    let tz = (ts - tt.sin()).squared() - (ts.exp() + tt.cos()).squared()
    tz.backward()
    expectClose(s.grad, ts.grad!.item, .doubleReference)
    expectClose(t.grad, tt.grad!.item, .doubleReference)
    #expect(tape.trace(from: z).formatted.split(separator: "\n").count == tape.count)
    let (value, grad) = valueWithGradient(of: { v in v[0] * v[1] + v[0].sin() }, at: [1.0, 2.0])
    expectClose(value, 2 + Foundation.sin(1), .doubleReference)
    expectClose(grad, [2 + Foundation.cos(1), 1], .doubleReference)
    let (_, slope) = valueWithDerivative(of: { x in (x * x).tanh() }, at: 0.3)
    expectClose(slope, 0.6 * (1 - Foundation.pow(Foundation.tanh(0.09), 2)), .doubleReference)
    let J = jacobian(of: { v in [v[0] * v[1], v[0].exp()] }, at: [1.0, 2.0])
    expectClose(J.flatMap { $0 }, [2, 1, Foundation.exp(1), 0], .doubleReference)
  }
}
