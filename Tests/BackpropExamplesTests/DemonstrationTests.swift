import BackpropExamples
import BackpropNN
import Foundation
import Testing
import _BackpropTestSupport

/// `backprop step` and `backprop linreg` at the library level.
@Suite struct DemonstrationTests {
  @Test(arguments: [[2, 3, 2], [2, 2, 2], [4, 5, 3, 2]])
  func oneStepLowersTheError(sizes: [Int]) throws {
    let r = try OneStepReport.run(sizes: sizes, seed: 1)
    #expect(r.lossAfter < r.lossBefore)
    #expect(r.layers.map(\.layer) == Array((1..<sizes.count).reversed()), "output layer first")
    #expect(r.layers.first!.shape == [sizes.last!, sizes[sizes.count - 2]])
    // ∂E/∂W = δ · inputᵀ: check the output layer against the reported δ and hidden outputs.
    let out = r.layers.first!, hidden = r.forward[r.forward.count - 2].out
    for (i, row) in out.weightGradient.enumerated() {
      expectClose(row, hidden.map { out.delta[i] * $0 }, .sameMathsDifferentOrder)
    }
    // Updated = before − η·gradient.
    expectClose(out.updatedWeights.flatMap { $0 },
                zip(out.weightsBefore.flatMap { $0 }, out.weightGradient.flatMap { $0 }).map { $0 - r.learningRate * $1 },
                .sameMathsDifferentOrder)
  }

  @Test func oneStepMatchesTheOutputDeltaFormula() throws {
    // For E = ½Σ(t − o)² and o = σ(net): δ = (o − t)·o·(1 − o).
    let r = try OneStepReport.run(sizes: [2, 3, 2], seed: 4)
    let o = r.forward.last!.out
    expectClose(r.layers[0].delta, zip(o, r.target).map { ($0 - $1) * $0 * (1 - $0) }, .sameMathsDifferentOrder)
    #expect(throws: TensorError.self) { try OneStepReport.run(sizes: [2], seed: 0) }
    #expect(throws: TensorError.self) { try OneStepReport.run(sizes: [2, 2], seed: 0, input: [1]) }
  }

  @Test func normalEquationAndGradientDescentAgree() throws {
    var g = SeededGenerator(seed: 3)
    let x = Tensor<Double>.randomNormal([200, 6], using: &g)
    let w = Tensor<Double>([1, -2, 0.5, 3, 0, -1])
    let y = Tensor.matmul(x, w) + Tensor<Double>.randomNormal([200], standardDeviation: 0.01, using: &g)
    let closed = try LeastSquares.normalEquation(x: x, y: y)
    let gd = try LeastSquares.gradientDescent(x: x, y: y, tolerance: 1e-10)
    expectClose(closed.scalars, w.scalars, Tolerance(rtol: 0, atol: 0.01, rationale: "noise of 0.01 on 200 samples"))
    expectClose(gd.weights.scalars, closed.scalars, Tolerance(rtol: 1e-7, atol: 1e-8, rationale: "GD stopped at ‖∇L‖ < 1e-10"))
    #expect(gd.losses.first! > gd.losses.last!)
    // Normal equation residual is orthogonal to the columns: Xᵀ(Xw − y) ≈ 0.
    let residual = Tensor.matmul(x, Tensor.matmul(x, closed) - y, transposeA: true)
    #expect(residual.scalars.allSatisfy { abs($0) < 1e-9 })
  }

  @Test func collinearFeaturesAreReported() throws {
    let x = Tensor<Double>(shape: [3, 2], scalars: [1, 2, 2, 4, 3, 6])
    #expect(throws: TensorError.self) { try LeastSquares.normalEquation(x: x, y: Tensor([1, 2, 3])) }
    #expect(try LeastSquares.normalEquation(x: x, y: Tensor([1, 2, 3]), ridge: 1e-6).count == 2)
  }

  @Test func leastSquaresProblemsHaveAnInterceptColumn() throws {
    let synthetic = try LeastSquares.synthetic(features: 3, samples: 20, seed: 4)
    #expect(synthetic.x.shape == [20, 4] && synthetic.y.shape == [20])
    #expect(synthetic.columnNames == ["intercept", "x1", "x2", "x3"])
    #expect((0..<20).allSatisfy { synthetic.x.scalars[$0 * 4] == 1 })
    #expect(try LeastSquares.synthetic(features: 3, samples: 20, seed: 4).y.scalars == synthetic.y.scalars)
    #expect(throws: TensorError.self) { try LeastSquares.synthetic(features: 0, samples: 20, seed: 4) }
    let diabetes = try LeastSquares.diabetes()
    #expect(diabetes.x.shape == [442, 11] && diabetes.columnNames.first == "intercept")
  }
}
