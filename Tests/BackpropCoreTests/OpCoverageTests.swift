import BackpropCore
import Testing
import _BackpropTestSupport

// Makes it impossible to add an op without a row in `OpTable`: every primitive in
// `OpRegistry.primitives` must be recorded by some row's graph, and every op a row records must
// be registered (so an op that was written but not registered fails too).

enum OpGraphs {
  /// Every op name recorded in the graph that `row` builds (walking back from its output).
  static func opsRecorded(by row: OpRow) throws -> Set<String> {
    var stack = [try row.apply(row.inputs().map { $0.leafCopy() })]
    var seen: Set<String> = []
    while let t = stack.popLast() {
      if let op = t.opName { seen.insert(op) }
      stack.append(contentsOf: t.graphInputs)
    }
    return seen
  }
}

@Suite struct OpCoverageTests {
  @Test func theRegistryListsEachOpOnce() {
    let names = OpRegistry.primitives.map(\.name)
    #expect(names.count >= 35, "\(names)")
    #expect(Set(names).count == names.count, "an op name is registered twice: \(names)")
    #expect(OpRegistry.names.isSuperset(of: ["add", "exp", "matmul", "sum", "max", "slice", "negate", "softplus"]))
  }

  @Test func everyRegisteredOpIsExercisedByARow() throws {
    var exercised: Set<String> = []
    for row in OpTable.rows { exercised.formUnion(try OpGraphs.opsRecorded(by: row)) }
    let missing = OpRegistry.names.subtracting(exercised)
    #expect(missing.isEmpty, "registered ops that no OpTable row reaches: \(missing.sorted())")
    let unregistered = exercised.subtracting(OpRegistry.names)
    #expect(unregistered.isEmpty, "ops recorded by OpTable rows but missing from OpRegistry.primitives: \(unregistered.sorted())")
  }

  /// Each registered op explains itself: a formula for every input and a description that shows
  /// its parameters, read from the value (no op is known to explain() by name).
  @Test func everyRegisteredOpHasAFormulaPerInput() throws {
    for row in OpTable.rows {
      let inputs = row.inputs().map { $0.leafCopy() }
      var stack = [try row.apply(inputs)]
      while let t = stack.popLast() {
        guard let op = t.op else { continue }
        let names = t.graphInputs.indices.map { "x\($0)" }
        let context = FormulaContext(inputNames: names, inputShapes: t.graphInputs.map(\.shape), outputShape: t.shape)
        for k in t.graphInputs.indices {
          #expect(!op.gradientFormula(input: k, context).expression.isEmpty, "\(row.name): \(op.name) input \(k)")
        }
        #expect(!op.forwardFormula(names).isEmpty)
        #expect(op.description.hasPrefix(op.name))
        stack.append(contentsOf: t.graphInputs)
      }
    }
  }

  @Test func rowNamesAreUniqueAndInputsMatchShapes() {
    let names = OpTable.rows.map(\.name)
    #expect(Set(names).count == names.count, "duplicate row names")
    for row in OpTable.rows {
      #expect(row.shapes.count == row.domains.count, "\(row.name): one domain per input")
      #expect(row.inputs().map(\.shape) == row.shapes, "\(row.name)")
    }
  }

  @Test(arguments: OpTable.rows)
  func everyRowBuildsAGraphThatReachesEveryInput(_ row: OpRow) throws {
    // A row whose closure ignored an input (or ran outside the tape) would make its gradient
    // checks vacuous for that input.
    let inputs = row.inputs().map { $0.leafCopy() }
    let y = try row.apply(inputs)
    #expect(y.requiresGrad && !y.isLeaf, "\(row.name) recorded nothing")
    let seed = Tensor<Double>.seeded(y.shape, .uniform(0.5, 1.5), seed: 3)
    y.backward(gradient: seed)
    for (i, x) in inputs.enumerated() {
      #expect(x.grad != nil, "\(row.name): input \(i) received no gradient")
    }
  }
}
