import BackpropCore
import Testing
import _BackpropTestSupport

// Never silently wrong, never a crash: anomaly mode names the op that produced the first
// non-finite value, and every throwing op names itself and both shapes.

@Suite struct AnomalyTests {
  @Test func forwardNaNNamesTheOp() throws {
    do {
      _ = try withAnomalyDetection {
        let x = T([1, -1], requiresGrad: true)
        return (x.log() * 2).sum()
      }
      Issue.record("log(−1) under anomaly detection did not throw")
    } catch let TensorError.nonFinite(op, phase, location, shapes) {
      #expect(op == "log" && phase == "forward" && shapes == [[2]])
      // Debug builds carry line tables: the user's line that called log() is named.
      #expect(location.contains("ErrorTests.swift:13"), "location was \(location)")
    }
  }

  @Test func forwardAnomalyStopsBackward() throws {
    let x = T([0, 1], requiresGrad: true)
    var backwardError: Error?
    _ = try? withAnomalyDetection {
      let y = (1 / x).sum()
      do { try y.backward() } catch { backwardError = error }
    }
    guard case let .nonFinite(op, phase, _, _)? = backwardError as? TensorError else {
      Issue.record("backward after a forward anomaly did not throw: \(String(describing: backwardError))")
      return
    }
    #expect(op == "scalarDivide" && phase == "forward")
    #expect(x.grad == nil, "nothing was backpropagated past the anomaly")
  }

  @Test func backwardNaNNamesTheOp() throws {
    // pow(a, b) at a = 0: the forward value 0² = 0 is fine, but ∂/∂b = y·log a = 0·(−∞) = NaN.
    let a = T([0, 2]), b = T([2, 2], requiresGrad: true)
    do {
      try withAnomalyDetection { try T.pow(a, b).sum().backward() }
      Issue.record("NaN gradient under anomaly detection did not throw")
    } catch let TensorError.nonFinite(op, phase, location, shapes) {
      #expect(op == "pow" && phase == "backward" && shapes == [[2], [2]])
      #expect(location.contains("ErrorTests.swift:"), "location was \(location)")
    }
    // Without anomaly mode the same computation runs through (PyTorch's default).
    try T.pow(a, b).sum().backward()
    #expect(b.grad!.scalars[0].isNaN)
  }

  @Test func anomalyModeIsScopedAndDescribed() throws {
    _ = try? withAnomalyDetection { _ = T([-1]).log() }
    _ = T([-1]).log()  // outside the scope: no error, no leftover state
    try withAnomalyDetection { _ = T([4]).sqrt() }
    let e = TensorError.nonFinite(op: "log", phase: "forward", location: "node #3", inputShapes: [[2]])
    #expect("\(e)".contains("'log'") && "\(e)".contains("forward") && "\(e)".contains("[2]"))
  }
}

/// One throwing call and the shapes its error must name.
struct ShapeErrorCase: Sendable, CustomTestStringConvertible {
  var op: String
  var lhs: [Int]
  var rhs: [Int]
  var call: @Sendable () throws -> Void
  var testDescription: String { "\(op) \(lhs) vs \(rhs)" }

  static func binary(_ op: String, _ lhs: [Int], _ rhs: [Int], _ f: @escaping @Sendable (T, T) throws -> T) -> Self {
    Self(op: op, lhs: lhs, rhs: rhs) { _ = try f(T.zeros(lhs), T.zeros(rhs)) }
  }

  static let all: [ShapeErrorCase] = [
    .binary("add", [2, 3], [4], { try $0 + $1 }),
    .binary("subtract", [3], [2, 2], { try $0 - $1 }),
    .binary("multiply", [2, 3], [3, 2], { try $0 * $1 }),
    .binary("multiply", [5], [4], { try .hadamard($0, $1) }),
    .binary("divide", [2, 3], [2], { try $0 / $1 }),
    .binary("pow", [3], [4], { try .pow($0, $1) }),
    .binary("maximum", [2], [3], { try .maximum($0, $1) }),
    .binary("minimum", [2], [3], { try .minimum($0, $1) }),
    .binary("greater", [2], [3], { try $0.greater($1) }),
    .binary("equal", [4, 1], [3, 2], { try $0.equal($1) }),
    .binary("matmul", [2, 3], [4, 5], { try .matmul($0, $1) }),
    .binary("matmul", [3, 2], [3, 2], { try .matmul($0, $1, transposeA: true, transposeB: true) }),
    .binary("matmul", [2, 2, 3], [3, 3, 4], { try .matmul($0, $1) }),
    .binary("matmul", [], [3], { try .matmul($0, $1) }),
    .binary("matmul", [3], [4], { try .matmul($0, $1) }),
    .binary("concatenate", [2, 3], [3, 3], { try .concatenate([$0, $1], along: 1) }),
    .binary("concatenate", [2, 3], [2], { try .concatenate([$0, $1]) }),
    Self(op: "reshape", lhs: [2, 3], rhs: [4, 2]) { _ = try T.zeros([2, 3]).reshaped(to: [4, 2]) },
    Self(op: "reshape", lhs: [5], rhs: [-1, 2]) { _ = try T.zeros([5]).reshaped(to: [-1, 2]) },
    Self(op: "broadcast", lhs: [3], rhs: [2, 4]) { _ = try T.zeros([3]).broadcast(to: [2, 4]) },
    Self(op: "sum(toShape:)", lhs: [2, 3], rhs: [4]) { _ = try T.zeros([2, 3]).sum(toShape: [4]) },
    Self(op: "backward(seed:)", lhs: [3], rhs: [1]) { try T.zeros([3], requiresGrad: true).backward(seed: T([1])) },
    Self(op: "vjp", lhs: [2], rhs: [3]) { _ = try vjp(of: { $0 * 2 }, at: T([1, 2]), cotangent: T([1, 2, 3])) },
    Self(op: "jvp", lhs: [2], rhs: [1]) { _ = try jvp(of: { $0 * 2 }, at: T([1, 2]), tangent: T([1])) },
  ]
}

/// A call that must throw an error naming `op`.
struct ErrorCall: Sendable, CustomTestStringConvertible {
  var op: String
  var run: @Sendable () throws -> Void
  init(_ op: String, _ run: @escaping @Sendable () throws -> Void) { (self.op, self.run) = (op, run) }
  var testDescription: String { op }
}

@Suite struct ShapeErrorTests {
  @Test(arguments: ShapeErrorCase.all)
  func errorNamesTheOpAndBothShapes(_ c: ShapeErrorCase) {
    do {
      try c.call()
      Issue.record("\(c.op) accepted \(c.lhs) and \(c.rhs)")
    } catch let error as TensorError {
      guard case let .shapeMismatch(op, lhs, rhs, _) = error else {
        Issue.record("expected shapeMismatch, got \(error)")
        return
      }
      #expect(op == c.op && lhs == c.lhs && rhs == c.rhs, "\(error)")
      let text = "\(error)"
      #expect(text.hasPrefix(c.op) && text.contains("\(c.lhs)") && text.contains("\(c.rhs)"), "\(text)")
    } catch {
      Issue.record("unexpected error type: \(error)")
    }
  }

  @Test func everyBinaryOpInTheTableHasAShapeErrorCase() {
    // Every op of the table with two or more inputs can meet incompatible shapes.
    let covered = Set(ShapeErrorCase.all.map(\.op))
    for name in ["add", "subtract", "multiply", "divide", "pow", "maximum", "minimum", "matmul", "concatenate"] {
      #expect(covered.contains(name), "\(name)")
    }
  }

  /// Invalid arguments (axes, ranges, indices) name the op the user called.
  @Test(arguments: [
    ErrorCall("sum") { _ = try T.zeros([2, 3]).sum(alongAxes: [2]) },
    ErrorCall("mean") { _ = try T.zeros([2, 3]).mean(alongAxes: [-3]) },
    ErrorCall("max") { _ = try T.zeros([2, 3]).max(alongAxes: [5]) },
    ErrorCall("max") { _ = try T.zeros([0, 3]).max(alongAxes: [0]) },
    ErrorCall("min") { _ = try T.zeros([2, 3]).min(alongAxes: [5]) },
    ErrorCall("logSumExp") { _ = try T.zeros([2, 3]).logSumExp(alongAxes: [2]) },
    ErrorCall("softmax") { _ = try T.zeros([2, 3]).softmax(alongAxis: 2) },
    ErrorCall("logSoftmax") { _ = try T.zeros([2, 3]).logSoftmax(alongAxis: -3) },
    ErrorCall("slice") { _ = try T.zeros([2, 3]).sliced(along: 1, 2..<4) },
    ErrorCall("slice") { _ = try T.zeros([2, 3]).sliced(along: 2, 0..<1) },
    ErrorCall("pad") { _ = try T.zeros([2, 3]).padded(along: 0, before: -1, after: 0) },
    ErrorCall("permute") { _ = try T.zeros([2, 3]).permuted([0, 0]) },
    ErrorCall("gatherRows") { _ = try T.zeros([2, 3]).gatheringRows([0, 2]) },
    ErrorCall("scatterRows") { _ = try T.zeros([2, 3]).scatteringRows([0, 5], rowCount: 3) },
    ErrorCall("scatterRows") { _ = try T.zeros([2, 3]).scatteringRows([0], rowCount: 3) },
    ErrorCall("argmax") { _ = try T.zeros([2, 3]).argmax(alongAxis: 2) },
    ErrorCall("expandingShape") { _ = try T.zeros([2]).expandingShape(at: 3) },
    ErrorCall("squeezingShape") { _ = try T.zeros([2]).squeezingShape(at: [1]) },
    ErrorCall("concatenate") { _ = try T.concatenate([]) },
    ErrorCall("Tensor(shape:scalars:)") { _ = try T(shape: [2, 2], scalars: [1, 2, 3]) },
    ErrorCall("Tensor(rows:)") { _ = try T(rows: [[1, 2], [3]]) },
  ])
  func invalidArgumentsNameTheOp(_ c: ErrorCall) {
    let op = c.op
    do {
      try c.run()
      Issue.record("\(op): no error")
    } catch {
      #expect("\(error)".hasPrefix(op + ":"), "\(error)")
    }
  }

  /// Axis arguments on rank-0 tensors are errors, not crashes (there is no axis 0 in a scalar).
  @Test(arguments: [
    ErrorCall("slice") { _ = try T(1).sliced(along: 0, 0..<1) },
    ErrorCall("pad") { _ = try T(1).padded(along: 0, before: 1, after: 1) },
    ErrorCall("concatenate") { _ = try T.concatenate([T(1), T(2)]) },
    ErrorCall("argmax") { _ = try T(1).argmax(alongAxis: 0) },
    ErrorCall("sum") { _ = try T(1).sum(alongAxes: [0]) },
    ErrorCall("max") { _ = try T(1).max(alongAxes: [0]) },
    ErrorCall("squeezingShape") { _ = try T(1).squeezingShape(at: [0]) },
    ErrorCall("gatherRows") { _ = try T(1).gatheringRows([0]) },
  ])
  func axesOfScalarsThrow(_ c: ErrorCall) {
    #expect(throws: TensorError.self, "\(c.op)") { try c.run() }
  }

  @Test func wholeTensorReductionsOfScalarsStillWork() throws {
    let x = T(3, requiresGrad: true)
    #expect(x.sum().item == 3 && x.mean().item == 3)
    #expect(try x.max().item == 3 && x.logSumExp().item == 3)
    #expect(try x.reshaped(to: [1, 1]).shape == [1, 1])
  }
}
