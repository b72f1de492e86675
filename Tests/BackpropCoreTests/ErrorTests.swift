import BackpropCore
import Testing
import _BackpropTestSupport

// Never silently wrong: anomaly mode names the op that produced the first non-finite value, and
// a misused op stops the program (like a bad array index) with a message naming the op, the
// shapes and the caller's line. Those stops are checked in child processes (exit tests).

@Suite struct AnomalyTests {
  @Test func forwardNaNNamesTheOp() throws {
    let line = #line + 4
    do {
      _ = try withAnomalyDetection {
        let x = T([1, -1], requiresGrad: true)
        return (x.log() * 2).sum()
      }
      Issue.record("log(−1) under anomaly detection did not throw")
    } catch let TensorError.nonFinite(op, phase, location, shapes) {
      #expect(op == "log" && phase == "forward" && shapes == [[2]])
      // Debug builds carry line tables: the user's line that called log() is named.
      #expect(location.contains("ErrorTests.swift:\(line)"), "location was \(location)")
    }
  }

  @Test func forwardAnomalyStopsBackward() throws {
    let x = T([0, 1], requiresGrad: true)
    var scopeError: Error?
    do {
      try withAnomalyDetection {
        let y = (1 / x).sum()
        y.backward()
      }
    } catch { scopeError = error }
    guard case let .nonFinite(op, phase, _, _)? = scopeError as? TensorError else {
      Issue.record("a forward anomaly was not reported: \(String(describing: scopeError))")
      return
    }
    #expect(op == "scalarDivide(c: 1)" && phase == "forward")
    #expect(x.grad == nil, "nothing was backpropagated past the anomaly")
  }

  @Test func backwardNaNNamesTheOp() throws {
    // pow(a, b) at a = 0: the forward value 0² = 0 is fine, but ∂/∂b = y·log a = 0·(−∞) = NaN.
    let a = T([0, 2]), b = T([2, 2], requiresGrad: true)
    do {
      try withAnomalyDetection { T.pow(a, b).sum().backward() }
      Issue.record("NaN gradient under anomaly detection did not throw")
    } catch let TensorError.nonFinite(op, phase, location, shapes) {
      #expect(op == "powTensor" && phase == "backward" && shapes == [[2], [2]])
      #expect(location.contains("ErrorTests.swift:"), "location was \(location)")
    }
    // Without anomaly mode the same computation runs through (PyTorch's default).
    T.pow(a, b).sum().backward()
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

/// A misuse of an op and the words its stop message must contain.
struct MisuseCase: Sendable, CustomTestStringConvertible {
  var op: String
  var words: [String]
  var call: @Sendable () -> Void
  var testDescription: String { "\(op) \(words.dropFirst().joined(separator: " vs "))" }

  static func binary(_ op: String, _ lhs: [Int], _ rhs: [Int], _ f: @escaping @Sendable (T, T) -> T) -> Self {
    Self(op: op, words: [op + ":", "\(lhs)", "\(rhs)"]) { _ = f(T.zeros(lhs), T.zeros(rhs)) }
  }
  static func call(_ op: String, _ f: @escaping @Sendable () -> Void) -> Self { Self(op: op, words: [op + ":"], call: f) }

  /// Shape mismatches: the message names the op and both shapes.
  static let shapes: [MisuseCase] = [
    .binary("add", [2, 3], [4], { $0 + $1 }),
    .binary("subtract", [3], [2, 2], { $0 - $1 }),
    .binary("multiply", [2, 3], [3, 2], { $0 * $1 }),
    .binary("multiply", [5], [4], { .hadamard($0, $1) }),
    .binary("divide", [2, 3], [2], { $0 / $1 }),
    .binary("powTensor", [3], [4], { .pow($0, $1) }),
    .binary("maximum", [2], [3], { .maximum($0, $1) }),
    .binary("minimum", [2], [3], { .minimum($0, $1) }),
    .binary("greater", [2], [3], { $0.greater($1) }),
    .binary("equal", [4, 1], [3, 2], { $0.equal($1) }),
    .binary("matmul", [2, 3], [4, 5], { .matmul($0, $1) }),
    .binary("matmul", [3, 2], [3, 2], { .matmul($0, $1, transposeA: true, transposeB: true) }),
    .binary("matmul", [2, 2, 3], [3, 3, 4], { .matmul($0, $1) }),
    .binary("matmul", [], [3], { .matmul($0, $1) }),
    .binary("matmul", [3], [4], { .matmul($0, $1) }),
    .binary("concatenate", [2, 3], [3, 3], { .concatenated([$0, $1], alongAxis: 1) }),
    .binary("concatenate", [2, 3], [2], { .concatenated([$0, $1]) }),
    Self(op: "reshape", words: ["reshape:", "[2, 3]", "[4, 2]"]) { _ = T.zeros([2, 3]).reshaped(to: [4, 2]) },
    Self(op: "reshape", words: ["reshape:", "[5]", "[-1, 2]"]) { _ = T.zeros([5]).reshaped(to: [-1, 2]) },
    Self(op: "broadcast", words: ["broadcast:", "[3]", "[2, 4]"]) { _ = T.zeros([3]).broadcast(to: [2, 4]) },
    .binary("conv2d", [1, 1, 2, 2], [1, 1, 3, 3], { .conv2d($0, weight: $1) }),  // kernel larger than the input
    .binary("conv2d", [1, 3, 5, 5], [4, 2, 3, 3], { .conv2d($0, weight: $1) }),  // 3 channels, weight wants 2
    .binary("conv2d", [1, 3, 5, 5], [2, 1, 3, 3], { .conv2d($0, weight: $1, groups: 2) }),  // 2 does not divide 3
    Self(op: "conv2d", words: ["conv2d:", "[2]", "[4]"]) { _ = T.conv2d(T.zeros([1, 1, 3, 3]), weight: T.zeros([4, 1, 1, 1]), bias: T.zeros([2])) },
    .binary("convTranspose2d", [1, 2, 3, 3], [3, 1, 3, 3], { .convTranspose2d($0, weight: $1) }),
    Self(op: "maxPool2d", words: ["maxPool2d:", "padding 2", "kernel 3"]) { _ = T.zeros([1, 1, 5, 5]).maxPool2d(kernel: 3, padding: 2) },
    Self(op: "unfold2d", words: ["unfold2d:", "[1, 1, 2, 2]"]) { _ = T.zeros([1, 1, 2, 2]).avgPool2d(kernel: 3) },
    Self(op: "groupNorm", words: ["groupNorm:", "groups 3", "[2, 4, 5]"]) { _ = T.zeros([2, 4, 5]).groupNorm(groups: 3) },
    Self(op: "layerNorm", words: ["layerNorm:", "[2, 3]", "[2]"]) { _ = T.zeros([2, 3]).layerNorm(normalizedShape: [2]) },
    Self(op: "sum(toShape:)", words: ["sum(toShape:):", "[2, 3]", "[4]"]) { _ = T.zeros([2, 3]).sum(toShape: [4]) },
    Self(op: "backward(gradient:)", words: ["backward(gradient:):", "[3]", "[1]"]) {
      T.zeros([3], requiresGrad: true).backward(gradient: T([1]))
    },
    Self(op: "vjp", words: ["vjp:", "[2]", "[3]"]) { _ = vjp(of: { $0 * 2 }, at: T([1, 2]), cotangent: T([1, 2, 3])) },
    Self(op: "jvp", words: ["jvp:", "[2]", "[1]"]) { _ = jvp(of: { $0 * 2 }, at: T([1, 2]), tangent: T([1])) },
  ]

  /// Invalid arguments (axes, ranges, indices, element counts) name the op the user called.
  static let arguments: [MisuseCase] = [
    .call("sum") { _ = T.zeros([2, 3]).sum(alongAxes: [2]) },
    .call("mean") { _ = T.zeros([2, 3]).mean(alongAxes: [-3]) },
    .call("max") { _ = T.zeros([2, 3]).max(alongAxes: [5]) },
    .call("max") { _ = T.zeros([0, 3]).max(alongAxes: [0]) },
    .call("min") { _ = T.zeros([2, 3]).min(alongAxes: [5]) },
    .call("logSumExp") { _ = T.zeros([2, 3]).logSumExp(alongAxes: [2]) },
    .call("softmax") { _ = T.zeros([2, 3]).softmax(alongAxis: 2) },
    .call("logSoftmax") { _ = T.zeros([2, 3]).logSoftmax(alongAxis: -3) },
    .call("slice") { _ = T.zeros([2, 3]).sliced(alongAxis: 1, 2..<4) },
    .call("slice") { _ = T.zeros([2, 3]).sliced(alongAxis: 2, 0..<1) },
    .call("pad") { _ = T.zeros([2, 3]).padded(alongAxis: 0, before: -1, after: 0) },
    .call("permute") { _ = T.zeros([2, 3]).permuted([0, 0]) },
    .call("gatherRows") { _ = T.zeros([2, 3]).gatheringRows([0, 2]) },
    .call("scatterRows") { _ = T.zeros([2, 3]).scatteringRows([0, 5], rowCount: 3) },
    .call("scatterRows") { _ = T.zeros([2, 3]).scatteringRows([0], rowCount: 3) },
    .call("argmax") { _ = T.zeros([2, 3]).argmax(alongAxis: 2) },
    .call("expandingShape") { _ = T.zeros([2]).expandingShape(at: 3) },
    .call("squeezingShape") { _ = T.zeros([2]).squeezingShape(at: [1]) },
    .call("concatenated") { _ = T.concatenated([]) },
    .call("Tensor(shape:scalars:)") { _ = T(shape: [2, 2], scalars: [1, 2, 3]) },
    .call("Tensor(rows:)") { _ = T(rows: [[1, 2], [3]]) },
    .call("subscript") { _ = T.zeros([2, 3])[2] },
    .call("subscript") { _ = T.zeros([2, 3])[0, 0, 0] },
    .call("subscript") { _ = T.zeros([2, 3])[.., 1..<4] },
    .call("backward()") { T.zeros([2]).sum().backward() },
    .call("backward()") { T.zeros([2], requiresGrad: true).backward() },
    Self(op: "backward()", words: ["backward():", "'sum'", "retainGraph: true"]) {
      let y = T([1, 2], requiresGrad: true).exp().sum()
      y.backward()
      y.backward()  // the graph was released by the first pass
    },
    .call("backward(batchedGradient:)") { T([1, 2], requiresGrad: true).exp().backward(batchedGradient: T.seeded([2, 3], seed: 1)) },
    .call("backward(batchedGradient:)") { T([1, 2], requiresGrad: true).exp().backward(batchedGradient: T.seeded([2], seed: 1)) },
    .call("badShape") {
      let x = T([1, 2, 3], requiresGrad: true)
      T.customOp("badShape", inputs: [x], forward: { $0[0] * 2 }, pullback: { g, _ in [g.sum()] }).sum().backward()
    },
    .call("tooFew") {
      let x = T([1, 2, 3], requiresGrad: true)
      T.customOp("tooFew", inputs: [x, x], forward: { $0[0] + $0[1] }, pullback: { g, _ in [g] }).sum().backward()
    },
    .call("softplus") {
      _ = jvp(of: { x in T.customOp("softplus", inputs: [x], forward: { ($0[0].exp() + 1).log() },
                                    pullback: { g, c in [g * c.inputs[0].sigmoid()] }) },
              at: T([1]), tangent: T([1]))
    },
    // Axis arguments on rank-0 tensors stop too (there is no axis 0 in a scalar).
    .call("slice") { _ = T(1).sliced(alongAxis: 0, 0..<1) },
    .call("pad") { _ = T(1).padded(alongAxis: 0, before: 1, after: 1) },
    .call("concatenated") { _ = T.concatenated([T(1), T(2)]) },
    .call("argmax") { _ = T(1).argmax(alongAxis: 0) },
    .call("sum") { _ = T(1).sum(alongAxes: [0]) },
    .call("max") { _ = T(1).max(alongAxes: [0]) },
    .call("squeezingShape") { _ = T(1).squeezingShape(at: [0]) },
    .call("gatherRows") { _ = T(1).gatheringRows([0]) },
    // Sequence ops: the message names the op and the shapes.
    Self(op: "where", words: ["where", "[4]", "[3]"]) { _ = T.where(T.zeros([2, 3]), T.zeros([4]), T.zeros([3])) },
    Self(op: "maskedFill", words: ["maskedFill", "[2, 4]", "[2, 3]"]) { _ = T.zeros([2, 3]).maskedFill(T.zeros([2, 4]), with: 1) },
    Self(op: "embedding", words: ["embedding", "index 7", "[5, 3]"]) { _ = T.embedding([1, 7], weight: T.zeros([5, 3])) },
    Self(op: "scaledDotProductAttention", words: ["scaledDotProductAttention", "[1, 2, 3, 4]", "[1, 2, 3, 5]"]) {
      _ = T.scaledDotProductAttention(query: T.zeros([1, 2, 3, 4]), key: T.zeros([1, 2, 3, 5]), value: T.zeros([1, 2, 3, 4]))
    },
    Self(op: "crossEntropy", words: ["crossEntropy", "5 targets", "[2, 3, 4]"]) {
      _ = T.crossEntropy(logits: T.zeros([2, 3, 4]), targets: [0, 1, 2, 3, 0])
    },
    Self(op: "crossEntropy", words: ["crossEntropy", "target 4", "[2, 4]"]) {
      _ = T.crossEntropy(logits: T.zeros([2, 4]), targets: [0, 4])
    },
    Self(op: "lstmCell", words: ["lstmCell", "[2, 3]", "[2, 4]", "[12, 3]"]) {
      _ = T.lstmCell(T.zeros([2, 3]), h: T.zeros([2, 4]), c: T.zeros([2, 4]), weightIH: T.zeros([12, 3]), weightHH: T.zeros([16, 4]))
    },
    Self(op: "gruCell", words: ["gruCell", "[2, 3]", "[2, 4]", "[12, 5]"]) {
      _ = T.gruCell(T.zeros([2, 3]), h: T.zeros([2, 4]), weightIH: T.zeros([12, 3]), weightHH: T.zeros([12, 5]))
    },
  ]
}

@Suite struct MisuseTests {
  /// Runs case `index` of `list` in a child process and checks that it stopped with a message
  /// holding the case's words and the caller's file (debug builds carry line tables).
  static func expectStop(_ c: MisuseCase, in list: Int, at index: Int) async throws {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent], "\(c.testDescription)") {
      [list, index] in
      (list == 0 ? MisuseCase.shapes : MisuseCase.arguments)[index].call()
    }
    let text = String(decoding: try #require(result).standardErrorContent, as: UTF8.self)
    for word in c.words { #expect(text.contains(word), "\(c.testDescription): \(text)") }
    #expect(text.contains("ErrorTests.swift:"), "the caller's line is named: \(text)")
  }

  @Test(arguments: MisuseCase.shapes.indices)
  func shapeMismatchNamesTheOpAndBothShapes(_ i: Int) async throws {
    try await Self.expectStop(MisuseCase.shapes[i], in: 0, at: i)
  }

  @Test(arguments: MisuseCase.arguments.indices)
  func invalidArgumentNamesTheOp(_ i: Int) async throws {
    try await Self.expectStop(MisuseCase.arguments[i], in: 1, at: i)
  }

  @Test func everyBinaryOpHasAShapeCase() {
    // Every op of the registry with two or more inputs can meet incompatible shapes.
    let covered = Set(MisuseCase.shapes.map(\.op))
    for name in ["add", "subtract", "multiply", "divide", "powTensor", "maximum", "minimum", "matmul", "concatenate"] {
      #expect(covered.contains(name), "\(name)")
    }
  }

  @Test func wholeTensorReductionsOfScalarsStillWork() {
    let x = T(3, requiresGrad: true)
    #expect(x.sum().item == 3 && x.mean().item == 3)
    #expect(x.max().item == 3 && x.logSumExp().item == 3)
    #expect(x.reshaped(to: [1, 1]).shape == [1, 1])
  }
}
