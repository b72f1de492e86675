import BackpropCore
import RealModule
import Testing
import _BackpropTestSupport

// The op table: one row per differentiable op (and per interesting shape case of it). Forward
// references, first- and second-order gradient checks, forward mode and Jacobians all loop over
// it, and `OpCoverageTests` fails when an op in Sources/BackpropCore/Ops has no row.
// Adding an op = its file in Ops/ + a row here.

typealias T = Tensor<Double>
typealias F = Tensor<Float>

/// How a row's forward result is checked: elementwise against a Double scalar function (also run
/// on Float), or against an independent loop implementation in `Naive`.
enum ForwardReference: Sendable {
  case scalar(double: @Sendable ([Double]) -> Double, float: @Sendable ([F]) throws -> F)
  case naive(@Sendable ([T]) -> T)
}

struct OpRow: Sendable, CustomTestStringConvertible {
  /// Unique case name, e.g. "add[3,1]+[4]".
  var name: String
  /// The public API it exercises, Swift-style (`sum(alongAxes:keepingDims:)`, `+(_:_:)`).
  var api: String
  var shapes: [[Int]]
  var domains: [InputDomain]
  var apply: @Sendable ([T]) throws -> T
  var reference: ForwardReference
  /// Whether `checkSecondOrderGradients` applies (the pullback is itself differentiable).
  var secondOrder = true

  var testDescription: String { name }

  /// The row's seeded inputs (the same on every run).
  func inputs<S: TensorScalar>(_: S.Type = Double.self) -> [Tensor<S>] {
    zip(shapes, domains).enumerated().map { i, sd in
      Tensor<S>.seeded(sd.0, sd.1, seed: stableSeed(name, salt: UInt64(i)))
    }
  }
}

// MARK: - Row builders

extension OpRow {
  static func unary(
    _ api: String, on domain: InputDomain = .real, shape: [Int] = [3, 4], name: String? = nil,
    _ f: @escaping @Sendable (T) throws -> T, _ floatF: @escaping @Sendable (F) throws -> F,
    _ reference: @escaping @Sendable (Double) -> Double
  ) -> OpRow {
    OpRow(name: name ?? api, api: api, shapes: [shape], domains: [domain], apply: { try f($0[0]) },
          reference: .scalar(double: { reference($0[0]) }, float: { try floatF($0[0]) }))
  }

  static func binary(
    _ api: String, _ name: String, _ shapes: [[Int]], domains: [InputDomain] = [.real, .real],
    _ f: @escaping @Sendable (T, T) throws -> T, _ floatF: @escaping @Sendable (F, F) throws -> F,
    _ reference: @escaping @Sendable (Double, Double) -> Double
  ) -> OpRow {
    OpRow(name: name, api: api, shapes: shapes, domains: domains, apply: { try f($0[0], $0[1]) },
          reference: .scalar(double: { reference($0[0], $0[1]) }, float: { try floatF($0[0], $0[1]) }))
  }

  static func structural(
    _ api: String, _ name: String, _ shapes: [[Int]], domains: [InputDomain]? = nil,
    _ f: @escaping @Sendable ([T]) throws -> T, naive: @escaping @Sendable ([T]) -> T
  ) -> OpRow {
    OpRow(name: name, api: api, shapes: shapes, domains: domains ?? shapes.map { _ in .real }, apply: f,
          reference: .naive(naive))
  }
}

// MARK: - The table

enum OpTable {
  static let mm = "matmul(_:_:transposeA:transposeB:)"

  static let rows: [OpRow] = elementwise + reductions + linear + shapes + convolution + pooling + newActivations
    + normalization + sequence + recurrent

  static let elementwise: [OpRow] = [
    .unary("-(_:)", name: "negate", { -$0 }, { -$0 }, { -$0 }),
    .unary("exp()", { $0.exp() }, { $0.exp() }, { Double.exp($0) }),
    .unary("log()", on: .positive, { $0.log() }, { $0.log() }, { Double.log($0) }),
    .unary("sqrt()", on: .positive, { $0.sqrt() }, { $0.sqrt() }, { $0.squareRoot() }),
    .unary("sin()", { $0.sin() }, { $0.sin() }, { Double.sin($0) }),
    .unary("cos()", { $0.cos() }, { $0.cos() }, { Double.cos($0) }),
    .unary("tanh()", shape: [2, 3, 2], { $0.tanh() }, { $0.tanh() }, { Double.tanh($0) }),
    .unary("sigmoid()", on: .uniform(-6, 6), { $0.sigmoid() }, { $0.sigmoid() }, { 1 / (1 + Double.exp(-$0)) }),
    .unary("relu()", on: .awayFromZero, { $0.relu() }, { $0.relu() }, { Swift.max($0, 0) }),
    .unary("abs()", on: .awayFromZero, { $0.abs() }, { $0.abs() }, { Swift.abs($0) }),
    .unary("squared()", { $0.squared() }, { $0.squared() }, { $0 * $0 }),
    .unary("pow(_:)", name: "pow(x, 3) negative bases", { $0.pow(3) }, { $0.pow(3) }, { $0 * $0 * $0 }),
    .unary("pow(_:)", on: .positive, name: "pow(x, 1.7)", { $0.pow(1.7) }, { $0.pow(1.7) }, { Double.pow($0, 1.7) }),
    .unary("pow(_:)", on: .positive, name: "pow(x, -0.5)", { $0.pow(-0.5) }, { $0.pow(-0.5) }, { 1 / $0.squareRoot() }),
    .unary("erf()", { $0.erf() }, { $0.erf() }, { Double.erf($0) }),
    .unary("softplus(beta:threshold:)", on: .uniform(-6, 6), { $0.softplus() }, { $0.softplus() },
           { Double.log(1 + Double.exp($0)) }),
    .unary("softplus(beta:threshold:)", on: .uniform(-3, 3), name: "softplus beta 2, threshold 4 (both branches)",
           { $0.softplus(beta: 2, threshold: 4) }, { $0.softplus(beta: 2, threshold: 4) },
           { 2 * $0 > 4 ? $0 : Double.log(1 + Double.exp(2 * $0)) / 2 }),
    .unary("gelu()", on: .uniform(-4, 4), { $0.gelu() }, { $0.gelu() }, { 0.5 * $0 * (1 + Double.erf($0 / 2.0.squareRoot())) }),
    .unary("geluDerivative()", on: .uniform(-4, 4), { $0.geluDerivative() }, { $0.geluDerivative() },
           { 0.5 * (1 + Double.erf($0 / 2.0.squareRoot())) + $0 * Double.exp(-$0 * $0 / 2) / (2 * Double.pi).squareRoot() }),
    .unary("leakyRelu(slope:)", on: .awayFromZero, { $0.leakyRelu(slope: 0.1) }, { $0.leakyRelu(slope: 0.1) },
           { $0 > 0 ? $0 : 0.1 * $0 }),
    .unary("leakyRelu(slope:)", on: .awayFromZero, shape: [5], name: "leakyRelu default slope", { $0.leakyRelu() },
           { $0.leakyRelu() }, { $0 > 0 ? $0 : 0.01 * $0 }),
    .unary("+(_:_:)", name: "x + 1.5", { $0 + 1.5 }, { $0 + 1.5 }, { $0 + 1.5 }),
    .unary("-(_:_:)", name: "3 - x", { 3 - $0 }, { 3 - $0 }, { 3 - $0 }),
    .unary("*(_:_:)", name: "x * 2.5", { $0 * 2.5 }, { $0 * 2.5 }, { $0 * 2.5 }),
    .unary("/(_:_:)", on: .awayFromZero, name: "1 / x", { 1 / $0 }, { 1 / $0 }, { 1 / $0 }),
    .unary("/(_:_:)", name: "x / 4", { $0 / 4 }, { $0 / 4 }, { $0 / 4 }),
    .unary("+(_:_:)", name: "2 + x", { 2 + $0 }, { 2 + $0 }, { 2 + $0 }),
    .unary("-(_:_:)", name: "x - 0.5", { $0 - 0.5 }, { $0 - 0.5 }, { $0 - 0.5 }),
    .unary("*(_:_:)", name: "-3 * x", { -3 * $0 }, { -3 * $0 }, { -3 * $0 }),

    .binary("+(_:_:)", "add [2,3]+[2,3]", [[2, 3], [2, 3]], { $0 + $1 }, { $0 + $1 }, { $0 + $1 }),
    .binary("+(_:_:)", "add [3,1]+[4]", [[3, 1], [4]], { $0 + $1 }, { $0 + $1 }, { $0 + $1 }),
    .binary("+(_:_:)", "add [2,1,4]+[3,1]", [[2, 1, 4], [3, 1]], { $0 + $1 }, { $0 + $1 }, { $0 + $1 }),
    .binary("+(_:_:)", "add [2,3]+[]", [[2, 3], []], { $0 + $1 }, { $0 + $1 }, { $0 + $1 }),
    .binary("-(_:_:)", "subtract [2,3]-[2,3]", [[2, 3], [2, 3]], { $0 - $1 }, { $0 - $1 }, { $0 - $1 }),
    .binary("-(_:_:)", "subtract [4]-[3,1]", [[4], [3, 1]], { $0 - $1 }, { $0 - $1 }, { $0 - $1 }),
    .binary("*(_:_:)", "multiply [2,3]*[2,3]", [[2, 3], [2, 3]], { $0 * $1 }, { $0 * $1 }, { $0 * $1 }),
    .binary("*(_:_:)", "multiply [2,3,1]*[3,4]", [[2, 3, 1], [3, 4]], { $0 * $1 }, { $0 * $1 }, { $0 * $1 }),
    .binary("hadamard(_:_:)", "hadamard [4]*[4]", [[4], [4]], { .hadamard($0, $1) }, { .hadamard($0, $1) }, { $0 * $1 }),
    .binary("/(_:_:)", "divide [2,3]/[2,3]", [[2, 3], [2, 3]], domains: [.real, .awayFromZero], { $0 / $1 }, { $0 / $1 }, { $0 / $1 }),
    .binary("/(_:_:)", "divide [3,4]/[4]", [[3, 4], [4]], domains: [.real, .positive], { $0 / $1 }, { $0 / $1 }, { $0 / $1 }),
    .binary("pow(_:_:)", "pow [2,3]^[2,3]", [[2, 3], [2, 3]], domains: [.positive, .real], { .pow($0, $1) },
            { .pow($0, $1) }, { Double.pow($0, $1) }),
    .binary("pow(_:_:)", "pow [3,1]^[1,4]", [[3, 1], [1, 4]], domains: [.positive, .real], { .pow($0, $1) },
            { .pow($0, $1) }, { Double.pow($0, $1) }),
    .binary("maximum(_:_:)", "maximum [2,3]", [[2, 3], [2, 3]], domains: [.lattice(offset: 0), .lattice(offset: 0.25)],
            { .maximum($0, $1) }, { .maximum($0, $1) }, { Swift.max($0, $1) }),
    .binary("maximum(_:_:)", "maximum [3,1],[4]", [[3, 1], [4]], domains: [.lattice(offset: 0), .lattice(offset: 0.25)],
            { .maximum($0, $1) }, { .maximum($0, $1) }, { Swift.max($0, $1) }),
    .binary("minimum(_:_:)", "minimum [2,3]", [[2, 3], [2, 3]], domains: [.lattice(offset: 0), .lattice(offset: 0.25)],
            { .minimum($0, $1) }, { .minimum($0, $1) }, { Swift.min($0, $1) }),
    .binary("minimum(_:_:)", "minimum [2,1],[3]", [[2, 1], [3]], domains: [.lattice(offset: 0.25), .lattice(offset: 0)],
            { .minimum($0, $1) }, { .minimum($0, $1) }, { Swift.min($0, $1) }),
  ]

  static let reductions: [OpRow] = [
    .structural("sum()", "sum()", [[3, 4]], { $0[0].sum() }, naive: { Naive.reduce($0[0], nil, Naive.sum) }),
    .structural("sum(alongAxes:keepingDims:)", "sum axis 1 [2,3,4]", [[2, 3, 4]], { $0[0].sum(alongAxes: [1]) },
                naive: { Naive.reduce($0[0], [1], Naive.sum) }),
    .structural("sum(alongAxes:keepingDims:)", "sum axes [0,-1] keepingDims", [[2, 3, 4]],
                { $0[0].sum(alongAxes: [0, -1], keepingDims: true) },
                naive: { Naive.reduce($0[0], [0, 2], keep: true, Naive.sum) }),
    .structural("sum(toShape:)", "sum [2,3,4] to [3,1]", [[2, 3, 4]], { $0[0].sum(toShape: [3, 1]) },
                naive: { Naive.sumToShape($0[0], [3, 1]) }),
    .structural("sum(toShape:)", "sum [2,3] to [1,3]", [[2, 3]], { $0[0].sum(toShape: [1, 3]) },
                naive: { Naive.sumToShape($0[0], [1, 3]) }),
    .structural("mean()", "mean()", [[3, 4]], { $0[0].mean() },
                naive: { Naive.reduce($0[0], nil) { Naive.sum($0) / Double($0.count) } }),
    .structural("mean(alongAxes:keepingDims:)", "mean axes [1,2]", [[2, 3, 4]], { $0[0].mean(alongAxes: [1, 2]) },
                naive: { Naive.reduce($0[0], [1, 2]) { Naive.sum($0) / Double($0.count) } }),
    .structural("mean(alongAxes:keepingDims:)", "mean axis 0 keepingDims", [[3, 4]],
                { $0[0].mean(alongAxes: [0], keepingDims: true) },
                naive: { Naive.reduce($0[0], [0], keep: true) { Naive.sum($0) / Double($0.count) } }),
    .structural("max(alongAxes:keepingDims:)", "max()", [[3, 4]], domains: [.distinct], { $0[0].max() },
                naive: { Naive.reduce($0[0], nil) { $0.max()! } }),
    .structural("max(alongAxes:keepingDims:)", "max axis 1 [2,3,4]", [[2, 3, 4]], domains: [.distinct],
                { $0[0].max(alongAxes: [1]) }, naive: { Naive.reduce($0[0], [1]) { $0.max()! } }),
    .structural("max(alongAxes:keepingDims:)", "max axes [0,2] keepingDims", [[2, 3, 4]], domains: [.distinct],
                { $0[0].max(alongAxes: [0, 2], keepingDims: true) },
                naive: { Naive.reduce($0[0], [0, 2], keep: true) { $0.max()! } }),
    .structural("min(alongAxes:keepingDims:)", "min axis 0", [[3, 4]], domains: [.distinct], { $0[0].min(alongAxes: [0]) },
                naive: { Naive.reduce($0[0], [0]) { $0.min()! } }),
    .structural("min(alongAxes:keepingDims:)", "min()", [[5]], domains: [.distinct], { $0[0].min() },
                naive: { Naive.reduce($0[0], nil) { $0.min()! } }),
    .structural("logSumExp(alongAxes:keepingDims:)", "logSumExp()", [[3, 4]], { $0[0].logSumExp() },
                naive: { Naive.reduce($0[0], nil, Naive.logSumExp) }),
    .structural("logSumExp(alongAxes:keepingDims:)", "logSumExp axis 1 keepingDims", [[2, 5]],
                { $0[0].logSumExp(alongAxes: [1], keepingDims: true) },
                naive: { Naive.reduce($0[0], [1], keep: true, Naive.logSumExp) }),
    .structural("logSumExp(alongAxes:keepingDims:)", "logSumExp of logits near 800", [[2, 3]], domains: [.uniform(795, 805)],
                { $0[0].logSumExp(alongAxes: [0]) }, naive: { Naive.reduce($0[0], [0], Naive.logSumExp) }),
    .structural("softmax(alongAxis:)", "softmax last axis", [[3, 4]], { $0[0].softmax() },
                naive: { Naive.alongAxis($0[0], -1, Naive.softmax) }),
    .structural("softmax(alongAxis:)", "softmax axis 0 [3,2,2]", [[3, 2, 2]], { $0[0].softmax(alongAxis: 0) },
                naive: { Naive.alongAxis($0[0], 0, Naive.softmax) }),
    .structural("softmax(alongAxis:)", "softmax of logits near 1000", [[2, 4]], domains: [.uniform(995, 1005)],
                { $0[0].softmax() }, naive: { Naive.alongAxis($0[0], -1, Naive.softmax) }),
    .structural("logSoftmax(alongAxis:)", "logSoftmax axis 1", [[2, 5]], { $0[0].logSoftmax(alongAxis: 1) },
                naive: { Naive.alongAxis($0[0], 1) { v in v.map { $0 - Naive.logSumExp(v) } } }),
    .structural("logSoftmax(alongAxis:)", "logSoftmax axis -2 [2,3,2]", [[2, 3, 2]],
                { $0[0].logSoftmax(alongAxis: -2) },
                naive: { Naive.alongAxis($0[0], 1) { v in v.map { $0 - Naive.logSumExp(v) } } }),
  ]

  static let linear: [OpRow] = [
    .structural(mm, "matmul [3,4]·[4,5]", [[3, 4], [4, 5]], { .matmul($0[0], $0[1]) },
                naive: { Naive.matmul($0[0], $0[1]) }),
    .structural(mm, "matmul Aᵀ·B", [[4, 3], [4, 2]], { .matmul($0[0], $0[1], transposeA: true) },
                naive: { Naive.matmul($0[0], $0[1], transposeA: true) }),
    .structural(mm, "matmul A·Bᵀ", [[3, 4], [2, 4]], { .matmul($0[0], $0[1], transposeB: true) },
                naive: { Naive.matmul($0[0], $0[1], transposeB: true) }),
    .structural(mm, "matmul Aᵀ·Bᵀ", [[4, 3], [2, 4]], { .matmul($0[0], $0[1], transposeA: true, transposeB: true) },
                naive: { Naive.matmul($0[0], $0[1], transposeA: true, transposeB: true) }),
    .structural(mm, "matmul batched [2,3,4]·[2,4,2]", [[2, 3, 4], [2, 4, 2]], { .matmul($0[0], $0[1]) },
                naive: { Naive.matmul($0[0], $0[1]) }),
    .structural(mm, "matmul broadcast batch [2,1,2,3]·[3,3,2]", [[2, 1, 2, 3], [3, 3, 2]], { .matmul($0[0], $0[1]) },
                naive: { Naive.matmul($0[0], $0[1]) }),
    .structural(mm, "matmul batched [2,3,2]ᵀ·[4,3]ᵀ", [[2, 3, 2], [4, 3]],
                { .matmul($0[0], $0[1], transposeA: true, transposeB: true) },
                naive: { Naive.matmul($0[0], $0[1], transposeA: true, transposeB: true) }),
    .structural(mm, "matmul [3,4]·[2,4,2] (broadcast A)", [[3, 4], [2, 4, 2]], { .matmul($0[0], $0[1]) },
                naive: { Naive.matmul($0[0], $0[1]) }),
    .structural(mm, "matmul vector·matrix", [[4], [4, 3]], { .matmul($0[0], $0[1]) },
                naive: { Naive.matmul($0[0], $0[1]) }),
    .structural(mm, "matmul matrix·vector", [[3, 4], [4]], { .matmul($0[0], $0[1]) },
                naive: { Naive.matmul($0[0], $0[1]) }),
    .structural(mm, "matmul vector·vector", [[4], [4]], { .matmul($0[0], $0[1]) },
                naive: { Naive.matmul($0[0], $0[1]) }),
    .structural("matmul(_:)", "a.matmul(b)", [[2, 3], [3, 2]], { $0[0].matmul($0[1]) },
                naive: { Naive.matmul($0[0], $0[1]) }),
  ]

  static let shapes: [OpRow] = [
    .structural("reshaped(to:)", "reshape [2,6]→[3,4]", [[2, 6]], { $0[0].reshaped(to: [3, 4]) },
                naive: { Naive.tensor([3, 4], $0[0].scalars) }),
    .structural("reshaped(to:)", "reshape [2,3,2]→[-1,3]", [[2, 3, 2]], { $0[0].reshaped(to: [-1, 3]) },
                naive: { Naive.tensor([4, 3], $0[0].scalars) }),
    .structural("flattened()", "flattened", [[2, 3]], { $0[0].flattened() }, naive: { Naive.tensor([6], $0[0].scalars) }),
    .structural("expandingShape(at:)", "expandingShape at -1", [[2, 3]], { $0[0].expandingShape(at: -1) },
                naive: { Naive.tensor([2, 3, 1], $0[0].scalars) }),
    .structural("squeezingShape(at:)", "squeezingShape at [1]", [[2, 1, 3, 1]], { $0[0].squeezingShape(at: [1]) },
                naive: { Naive.tensor([2, 3, 1], $0[0].scalars) }),
    .structural("squeezingShape(at:)", "squeezingShape all", [[1, 3, 1]], { $0[0].squeezingShape() },
                naive: { Naive.tensor([3], $0[0].scalars) }),
    .structural("permuted(_:)", "permute [2,0,1]", [[2, 3, 4]], { $0[0].permuted([2, 0, 1]) },
                naive: { Naive.permute($0[0], [2, 0, 1]) }),
    .structural("transposed()", "transposed [2,3,4]", [[2, 3, 4]], { $0[0].transposed() },
                naive: { Naive.permute($0[0], [0, 2, 1]) }),
    .structural("broadcast(to:)", "broadcast [3,1]→[2,3,4]", [[3, 1]], { $0[0].broadcast(to: [2, 3, 4]) },
                naive: { Naive.broadcast($0[0], to: [2, 3, 4]) }),
    .structural("broadcast(to:)", "broadcast []→[2,2]", [[]], { $0[0].broadcast(to: [2, 2]) },
                naive: { Naive.broadcast($0[0], to: [2, 2]) }),
    .structural("sliced(alongAxis:_:)", "slice axis 1 1..<3", [[3, 4]], { $0[0].sliced(alongAxis: 1, 1..<3) },
                naive: { Naive.slice($0[0], axis: 1, 1..<3) }),
    .structural("sliced(alongAxis:_:)", "slice axis -1 [2,3,4] 0..<1", [[2, 3, 4]], { $0[0].sliced(alongAxis: -1, 0..<1) },
                naive: { Naive.slice($0[0], axis: -1, 0..<1) }),
    .structural("sliced(alongAxis:_:)", "slice rows 2..<4", [[5, 2]], { $0[0].sliced(2..<4) },
                naive: { Naive.slice($0[0], axis: 0, 2..<4) }),
    .structural("padded(alongAxis:before:after:)", "pad axis 0 (1, 2)", [[2, 3]],
                { $0[0].padded(alongAxis: 0, before: 1, after: 2) },
                naive: { Naive.pad($0[0], axis: 0, before: 1, after: 2) }),
    .structural("padded(alongAxis:before:after:)", "pad axis -1 (0, 1)", [[2, 2, 2]],
                { $0[0].padded(alongAxis: -1, before: 0, after: 1) },
                naive: { Naive.pad($0[0], axis: 2, before: 0, after: 1) }),
    .structural("concatenate(_:along:)", "concatenate 3 along 1", [[2, 1], [2, 3], [2, 2]],
                { .concatenated($0, alongAxis: 1) }, naive: { Naive.concatenate($0, axis: 1) }),
    .structural("concatenate(_:along:)", "concatenate 2 along 0", [[1, 2, 2], [2, 2, 2]],
                { .concatenated($0) }, naive: { Naive.concatenate($0, axis: 0) }),
    .structural("gatheringRows(_:)", "gatherRows with repeats", [[3, 4]], { $0[0].gatheringRows([2, 0, 2, 1]) },
                naive: { Naive.gatherRows($0[0], [2, 0, 2, 1]) }),
    .structural("scatteringRows(_:rowCount:)", "scatterRows with repeats", [[3, 2]],
                { $0[0].scatteringRows([1, 1, 3], rowCount: 4) },
                naive: { Naive.scatterRows($0[0], [1, 1, 3], rowCount: 4) }),
  ]
}

/// Public functions in Ops/ that are deliberately not differentiable (constants or indices), each
/// with the reason. `OpCoverageTests` checks that every entry still exists.
let nonDifferentiableOps: [String: String] = [
  "greater(_:)": "comparison: 0/1 constant", "greaterEqual(_:)": "comparison: 0/1 constant",
  "less(_:)": "comparison: 0/1 constant", "lessEqual(_:)": "comparison: 0/1 constant",
  "equal(_:)": "comparison: 0/1 constant", "notEqual(_:)": "comparison: 0/1 constant",
  "sign()": "piecewise constant: derivative 0 a.e., returned as a constant",
  "argmax(alongAxis:)": "returns [Int] indices",
]
