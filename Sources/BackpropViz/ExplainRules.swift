import BackpropCore

// Turns one observed backward step into an `ExplainedStep`. The maths of each op comes from the
// op value stored in the node (`Op.gradientFormula`), with its parameters: nothing here knows an
// op by name. δ always stands for ∂L/∂(the node's output).

enum ExplainRules {
  static func explain<Scalar>(_ step: BackwardStep<Scalar>, index: Int, name: String, inputNames: [String]) -> ExplainedStep {
    let out = step.output.shape
    let context = FormulaContext(inputNames: inputNames, inputShapes: step.inputs.map(\.shape), outputShape: out)
    var gradients: [ExplainedGradient] = []
    var skipped: [String] = []
    var expressions: [String] = []
    for (k, input) in step.inputs.enumerated() {
      let formula = step.op.gradientFormula(input: k, context)
      expressions.append(formula.expression)
      guard input.requiresGrad, let sent = step.sent[k] else { skipped.append(inputNames[k]); continue }
      let traced = TracedValue(sent)
      gradients.append(ExplainedGradient(
        input: inputNames[k], inputShape: input.shape, expression: formula.expression, resultShape: sent.shape,
        operands: formula.operandShapes, product: formula.product, jacobianShape: out + input.shape,
        jacobianStructure: step.output.count == 1 ? .row : formula.structure,
        summedAxes: formula.summedAxes, localDerivative: step.localDerivatives?[k]?.doubleValues,
        sent: traced.small, sentSummary: traced.summary))
    }
    let upstream = TracedValue(step.upstream)
    return ExplainedStep(
      index: index, node: name, op: step.op.name, operation: step.op.description, inputs: inputNames, outputShape: out,
      upstream: upstream.small, upstreamSummary: upstream.summary,
      tapeFormula: "\(name) = \(step.op.forwardFormula(inputNames)); VJP: " + expressions.joined(separator: ", "),
      gradients: gradients, skipped: skipped)
  }
}
