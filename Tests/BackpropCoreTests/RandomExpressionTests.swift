import BackpropCore
import Foundation
import Testing
import _BackpropTestSupport

// Issue 6's differential tests: ≥ 200 random programs (Fixtures/random_expressions.json, written
// by Tools/make_random_expressions.py with PyTorch float64) interpreted with Backprop. Values and
// the gradients of sum(y ⊙ u) must agree to 1e-6 relative.

/// One instruction of the expression language: `op` applied to registers `args`, plus attributes.
struct Instruction: Codable, Sendable {
  var op: String
  var args: [Int]
  var scalar: Double?
  var axes: [Int]?
  var keepdim: Bool?
  var axis: Int?
  var shape: [Int]?
  var perm: [Int]?
  var start: Int?
  var end: Int?
  var before: Int?
  var after: Int?
  var indices: [Int]?
  var rows: Int?
  var ta: Bool?
  var tb: Bool?
}

struct RandomExpression: Codable, Sendable {
  var name: String
  var inputs: [FixtureTensor]
  var program: [Instruction]
  var output: FixtureTensor
  var cotangent: FixtureTensor
  var gradients: [FixtureTensor]
}

enum ExpressionError: Error, CustomStringConvertible {
  case unknownOp(String), missingAttribute(String, String)
  var description: String {
    switch self {
    case let .unknownOp(op): return "unknown op '\(op)'"
    case let .missingAttribute(op, name): return "'\(op)' needs '\(name)'"
    }
  }
}

/// Every op the interpreter understands (the generator's UNARY + BINARY + REDUCE + SHAPE).
let interpreterOps: Set<String> = [
  "neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "square", "erf", "gelu",
  "leaky_relu", "pow_scalar", "add_scalar", "mul_scalar", "rsub_scalar", "rdiv_scalar",
  "add", "sub", "mul", "div", "pow", "maximum", "minimum", "matmul",
  "sum", "mean", "max", "min", "logsumexp", "softmax", "log_softmax", "sum_to",
  "reshape", "permute", "transpose", "slice", "pad", "concat", "gather_rows", "scatter_rows",
  "broadcast_to", "unsqueeze", "squeeze",
]

extension Instruction {
  func need<V>(_ value: V?, _ name: String) throws -> V {
    guard let value else { throw ExpressionError.missingAttribute(op, name) }
    return value
  }

  /// Runs this instruction on the register file.
  func run(_ r: [T]) throws -> T {
    let x = r[args[0]]
    func y() -> T { r[args[1]] }
    switch op {
    case "neg": return -x
    case "exp": return x.exp()
    case "log": return x.log()
    case "sqrt": return x.sqrt()
    case "sin": return x.sin()
    case "cos": return x.cos()
    case "tanh": return x.tanh()
    case "sigmoid": return x.sigmoid()
    case "relu": return x.relu()
    case "abs": return x.abs()
    case "square": return x.squared()
    case "erf": return x.erf()
    case "gelu": return x.gelu()
    case "leaky_relu": return x.leakyRelu(slope: try need(scalar, "scalar"))
    case "pow_scalar": return x.pow(try need(scalar, "scalar"))
    case "add_scalar": return x + (try need(scalar, "scalar"))
    case "mul_scalar": return x * (try need(scalar, "scalar"))
    case "rsub_scalar": return try need(scalar, "scalar") - x
    case "rdiv_scalar": return try need(scalar, "scalar") / x
    case "add": return x + y()
    case "sub": return x - y()
    case "mul": return x * y()
    case "div": return x / y()
    case "pow": return T.pow(x, y())
    case "maximum": return T.maximum(x, y())
    case "minimum": return T.minimum(x, y())
    case "matmul": return T.matmul(x, y(), transposeA: ta ?? false, transposeB: tb ?? false)
    case "sum": return x.sum(alongAxes: axes, keepingDims: keepdim ?? false)
    case "mean": return x.mean(alongAxes: axes, keepingDims: keepdim ?? false)
    case "max": return x.max(alongAxes: axes, keepingDims: keepdim ?? false)
    case "min": return x.min(alongAxes: axes, keepingDims: keepdim ?? false)
    case "logsumexp": return x.logSumExp(alongAxes: axes, keepingDims: keepdim ?? false)
    case "softmax": return x.softmax(alongAxis: try need(axis, "axis"))
    case "log_softmax": return x.logSoftmax(alongAxis: try need(axis, "axis"))
    case "sum_to": return x.sum(toShape: try need(shape, "shape"))
    case "reshape": return x.reshaped(to: try need(shape, "shape"))
    case "permute": return x.permuted(try need(perm, "perm"))
    case "transpose": return x.transposed()
    case "slice": return x.sliced(alongAxis: try need(axis, "axis"), try need(start, "start")..<(try need(end, "end")))
    case "pad": return x.padded(alongAxis: try need(axis, "axis"), before: try need(before, "before"), after: try need(after, "after"))
    case "concat": return T.concatenated(args.map { r[$0] }, alongAxis: try need(axis, "axis"))
    case "gather_rows": return x.gatheringRows(try need(indices, "indices"))
    case "scatter_rows": return x.scatteringRows(try need(indices, "indices"), rowCount: try need(rows, "rows"))
    case "broadcast_to": return x.broadcast(to: try need(shape, "shape"))
    case "unsqueeze": return x.expandingShape(at: try need(axis, "axis"))
    case "squeeze": return x.squeezingShape(at: try need(axes, "axes"))
    default: throw ExpressionError.unknownOp(op)
    }
  }
}

extension RandomExpression {
  /// Interprets the program on `inputs`; the last register is the result.
  func evaluate(_ inputs: [T]) throws -> T {
    var registers = inputs
    for instruction in program { registers.append(try instruction.run(registers)) }
    return registers[registers.count - 1]
  }
}

enum RandomExpressions {
  static let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/random_expressions.json")
  static let file: FixtureFile<RandomExpression>? = try? loadFixture(FixtureFile<RandomExpression>.self, from: url)
  static let cases: [RandomExpression] = file?.cases ?? []
}

@Suite struct RandomExpressionTests {
  @Test func fixtureHasAtLeast200ExpressionsCoveringEveryOp() throws {
    let file = try loadFixture(FixtureFile<RandomExpression>.self, from: RandomExpressions.url)
    #expect(file.generator == "Tools/make_random_expressions.py")
    #expect(file.cases.count >= 200)
    var counts: [String: Int] = [:]
    for c in file.cases { for i in c.program { counts[i.op, default: 0] += 1 } }
    let rare = interpreterOps.filter { counts[$0, default: 0] < 5 }
    #expect(rare.isEmpty, "ops that appear fewer than 5 times: \(rare.sorted())")
    #expect(Set(counts.keys).isSubset(of: interpreterOps), "\(Set(counts.keys).subtracting(interpreterOps))")
    #expect(file.cases.contains { c in c.program.contains { $0.op == "matmul" && ($0.ta == true || $0.tb == true) } })
  }

  @Test(arguments: RandomExpressions.cases.map(\.name))
  func agreesWithPyTorch(_ name: String) throws {
    let c = try #require(RandomExpressions.cases.first { $0.name == name })
    let inputs = try c.inputs.map { try $0.tensor(requiresGrad: true) }
    let y = try c.evaluate(inputs)
    expectClose(y, try c.output.tensor(), .differential, "\(name): value")
    y.backward(gradient: try c.cotangent.tensor())
    for (i, (x, expected)) in zip(inputs, c.gradients).enumerated() {
      expectClose(x.grad ?? T.zeros(x.shape), try expected.tensor(), .differential, "\(name): gradient of input \(i)")
    }
  }

  @Test func aWrongOpIsCaught() throws {
    // The comparison can fail: replaying a program with one op swapped (sin → cos) disagrees.
    let c = try #require(RandomExpressions.cases.first { $0.program.contains { $0.op == "sin" } })
    var mutated = c
    let k = try #require(c.program.firstIndex { $0.op == "sin" })
    mutated.program[k].op = "cos"
    let y = try mutated.evaluate(try c.inputs.map { try $0.tensor() })
    #expect(!closeness(y, try c.output.tensor(), .differential).passed)
  }
}
