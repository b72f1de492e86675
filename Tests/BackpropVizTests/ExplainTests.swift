import BackpropNN
import BackpropExamples
import BackpropViz
import Foundation
import Testing

/// `explain(loss)` against shapes derived by hand for a 2-layer MLP step, and the scalar chain rule.
struct ExplainTests {
  /// x [B×I] → Linear(I→H) → sigmoid → Linear(H→O) → softmax cross-entropy, with B = 5, I = 7, H = 4, O = 3.
  ///
  /// By hand (δ = ∂L/∂node):
  ///   loss:    ∂L/∂z₂ = δ·(softmax(z₂) − onehot(y))/B        [B×O], Jacobian 1×(B·O)
  ///   linear2: ∂L/∂a  = δ·W₂  [B×H] = [B×O]·[O×H];  ∂L/∂W₂ = δᵀ·a  [O×H] = [O×B]·[B×H];  ∂L/∂b₂ = Σ_rows δ  [O]
  ///   sigmoid: ∂L/∂z₁ = δ ⊙ σ'(z₁)  [B×H], diagonal Jacobian (B·H)×(B·H)
  ///   linear1: ∂L/∂W₁ = δᵀ·x  [H×I] = [H×B]·[B×I];  ∂L/∂b₁ = Σ_rows δ  [H];  x needs no gradient
  @Test func twoLayerMLPStepMatchesHandDerivedShapes() throws {
    let (b, i, h, o) = (5, 7, 4, 3)
    var rng = SeededGenerator(seed: 3)
    let model = Sequential<Float>([Linear(i, h, using: &rng), Sigmoid(), Linear(h, o, using: &rng)])
    let x = Tensor<Float>.randomNormal([b, i], using: &rng); x.label = "x"
    let loss = softmaxCrossEntropy(logits: model(x), labels: [0, 1, 2, 1, 0])
    let e = explain(loss, parameterNames: model.namedParameters)

    #expect(e.steps.map(\.op) == ["softmaxCrossEntropy", "linear", "sigmoid", "linear"])
    #expect(e.rootShape == [] && e.symbol == "L")

    let lossStep = e.steps[0]
    let dz2 = try #require(lossStep.gradients.first)
    #expect(dz2.resultShape == [b, o] && dz2.jacobianStructure == .row && dz2.jacobianText == "1×\(b * o)")
    #expect(dz2.expression.contains("softmax") && dz2.expression.contains("onehot"))

    let linear2 = e.steps[1]
    #expect(linear2.node == "linear2" && linear2.outputShape == [b, o])
    let da = try #require(linear2.gradient(for: "sigmoid1"))
    #expect(da.expression == "δ·2.weight" && da.resultShape == [b, h] && da.operands == [[b, o], [o, h]] && da.product == .matrix)
    let dW2 = try #require(linear2.gradient(for: "2.weight"))
    #expect(dW2.expression == "δᵀ·sigmoid1" && dW2.resultShape == [o, h] && dW2.operands == [[o, b], [b, h]])
    #expect(dW2.jacobianShape == [b, o, o, h] && dW2.jacobianStructure == .kronecker)
    #expect(dW2.equation() == "∂L/∂2.weight = δᵀ·sigmoid1  [3×4] = [3×5]·[5×4]")
    let db2 = try #require(linear2.gradient(for: "2.bias"))
    #expect(db2.resultShape == [o] && db2.product == .sum && db2.summedAxes == [0])

    let sigmoid = e.steps[2]
    let dz1 = try #require(sigmoid.gradient(for: "linear1"))
    #expect(dz1.expression == "δ ⊙ σ'(linear1)" && dz1.product == .hadamard && dz1.resultShape == [b, h])
    #expect(dz1.jacobianShape == [b, h, b, h] && dz1.jacobianStructure == .diagonal)

    let linear1 = e.steps[3]
    #expect(linear1.skipped == ["x"])
    let dW1 = try #require(linear1.gradient(for: "0.weight"))
    #expect(dW1.expression == "δᵀ·x" && dW1.resultShape == [h, i] && dW1.operands == [[h, b], [b, i]])
    #expect(try #require(linear1.gradient(for: "0.bias")).resultShape == [h])

    // explain() ran the real backward pass: the parameters have gradients of their shapes.
    #expect(model.namedParameters.allSatisfy { $0.1.grad?.shape == $0.1.shape })
    #expect(e.text.contains("∂L/∂0.weight = δᵀ·x  [4×7] = [4×5]·[5×7]"))
    #expect(!e.text.contains("\u{1B}"))  // plain text: no terminal escapes
  }

  /// A hand-written layer, x·W + b with b broadcast over the batch, then a mean: the broadcast
  /// axis the add summed over, and the matmul's VJPs without a fused linear op.
  @Test func broadcastAxesAndMatmul() throws {
    let x = Tensor<Double>(repeating: 0.5, shape: [6, 3]); x.label = "x"
    let w = Tensor<Double>(repeating: 0.1, shape: [3, 2], requiresGrad: true); w.label = "W"
    let bias = Tensor<Double>([1, 2], requiresGrad: true); bias.label = "b"
    let xw = x.matmul(w); xw.label = "xW"
    let z = xw + bias; z.label = "z"
    let e = explain(z.relu().mean())
    let add = try #require(e.step(for: "z"))
    #expect(try #require(add.gradient(for: "b")).summedAxes == [0])
    #expect(try #require(add.gradient(for: "xW")).summedAxes == [])
    #expect(try #require(add.gradient(for: "b")).jacobianStructure == .broadcastDiagonal)
    let mm = try #require(e.step(for: "xW"))
    let dW = try #require(mm.gradient(for: "W"))
    #expect(dW.expression == "xᵀ·δ" && dW.operands == [[3, 6], [6, 2]] && dW.resultShape == [3, 2])
    #expect(e.text.contains("summed over broadcast axes 0"))
  }

  /// The study note's scalar example: each edge is upstream × local derivative, with the numbers.
  @Test func scalarChainRuleShowsLocalDerivatives() throws {
    let z = try ChainRuleReport.graph(s: 0.5, t: 1.2).output
    let e = explain(z)
    #expect(e.symbol == "z" && e.steps.first?.node == "z")
    for step in e.steps {
      for g in step.gradients {
        let (u, l, s) = try (#require(step.upstream?.first), #require(g.localDerivative?.first), #require(g.sent?.first))
        #expect(Swift.abs(u * l - s) <= 1e-12 * Swift.max(1, Swift.abs(s)))
      }
    }
    let report = try ChainRuleReport.compute(s: 0.5, t: 1.2)
    let x = report.x
    #expect(try #require(e.step(for: "x²")?.gradient(for: "x")).expression == "δ · 2·x")
    #expect(Swift.abs(try #require(e.step(for: "x²")?.gradient(for: "x")?.sent?.first) - 2 * x) < 1e-12)
    #expect(e.text.contains("∂z/∂t = δ · cos(t)"))
  }

  /// A custom op is explained by the formula its author wrote, read from its op value.
  @Test func customOpsShowTheirOwnFormula() throws {
    let x = Tensor<Double>([0.5, -1], requiresGrad: true); x.label = "x"
    let y = Tensor.customOp("myop", inputs: [x], formula: "δ ⊙ 2x",
                            forward: { $0[0] * $0[0] }, pullback: { g, ctx in [g * ctx.inputs[0] * 2] })
    let e = explain(y.sum())
    let g = try #require(e.step(for: "myop1")?.gradients.first)
    #expect(g.expression == "δ ⊙ 2x" && g.product == .other && g.jacobianShape == [2, 2])
  }

  /// The explanation reads the op's parameters from the node: pow's exponent and matmul's
  /// transpose flags are not guessed from values or shapes.
  @Test func parametersComeFromTheOpValue() throws {
    let x = Tensor<Double>([[0, 1], [1, 0]], requiresGrad: true); x.label = "x"   // values where log|y|/log|x| fails
    let w = Tensor<Double>([[1, 2], [3, 4]], requiresGrad: true); w.label = "W"   // square: shapes cannot tell the flags
    let y = Tensor.matmul(x.pow(3), w, transposeB: true)
    let e = explain(y.sum())
    let cube = try #require(e.steps.first { $0.op == "pow" })
    #expect(cube.operation == "pow(exponent: 3)")
    #expect(cube.gradients.first?.expression == "δ ⊙ 3·x^2")
    let product = try #require(e.steps.first { $0.op == "matmul" })
    #expect(product.operation == "matmul(transposeB: true)")
    #expect(product.gradients.map(\.expression) == ["δ·W", "δᵀ·pow1"])
  }

  /// The JSON form decodes back to the same steps.
  @Test func jsonRoundTrips() throws {
    let z = try VectorChainRuleReport.graph(s: [1, 2, 3], t: [0.5, -1, 2]).output
    let e = explain(z)
    let decoded = try JSONDecoder().decode(BackwardExplanation.self, from: Data(try e.json().utf8))
    #expect(decoded.steps.count == e.steps.count)
    #expect(decoded.steps.map(\.node) == e.steps.map(\.node))
    let hadamard = try #require(decoded.step(for: "x")?.gradient(for: "s"))
    #expect(hadamard.expression == "δ ⊙ t" && hadamard.jacobianShape == [3, 3] && hadamard.jacobianStructure == .diagonal)
    let mean = try #require(decoded.step(for: "Σ")?.gradients.first)
    #expect(mean.jacobianText == "1×3")  // the study note's 1×n for the mean
  }
}
