import BackpropCore
import BackpropData
import BackpropExamples
import Testing
import _BackpropTestSupport

@Suite("micrograd demo on Value")
struct MicrogradDemoTests {
  /// The demo's loss on 0-dim `Tensor<Double>`s at the same parameter values, and its gradients.
  func tensorLossAndGradients(_ demo: MicrogradDemo<Double>) throws -> (loss: Double, gradients: [Double]) {
    let parameters = demo.model.parameters.map { Tensor<Double>($0.value, requiresGrad: true) }
    let total = try demo.lossOnTensors(parameters)
    total.backward()
    return (total.item, parameters.map { $0.grad?.item ?? 0 })
  }

  @Test("the Value graph's loss and gradients equal the Tensor graph's")
  func matchesTensor() throws {
    let demo = try MicrogradDemo<Double>(count: 30)
    for _ in 0..<3 {
      let reference = try tensorLossAndGradients(demo)
      let (loss, _) = try demo.loss()
      loss.backward()
      expectClose(loss.value, reference.loss, .sameMathsDifferentOrder)
      expectClose(demo.model.parameters.map(\.grad), reference.gradients, .sameMathsDifferentOrder)
      try demo.step()  // move the parameters, compare again
    }
  }

  @Test("training separates the two moons: loss falls, accuracy rises")
  func trains() throws {
    let demo = try MicrogradDemo<Double>(count: 60)
    let first = try demo.step()
    var last = first
    for _ in 0..<40 { last = try demo.step() }
    #expect(demo.stepCount == 41)
    #expect(last.loss < first.loss * 0.5, "loss \(first.loss) → \(last.loss)")
    #expect(last.accuracy >= 0.9, "accuracy \(first.accuracy) → \(last.accuracy)")
    // A step's graph is dropped: the tape holds the parameters plus one step's nodes.
    #expect(demo.model.tape.count < 2 * 60 * 700)
  }

  @Test("bad layer sizes and inputs are thrown errors")
  func errors() throws {
    #expect(throws: TensorError.self) { try ScalarMLP<Double>(sizes: [2]) }
    #expect(throws: TensorError.self) { try ScalarMLP<Double>(sizes: [2, 0, 1]) }
    let mlp = try ScalarMLP<Double>(sizes: [2, 3, 1])
    #expect(mlp.parameters.count == 2 * 3 + 3 + 3 * 1 + 1)
    #expect(throws: TensorError.self) { try mlp([Value(1)]) }
    #expect(throws: TensorError.self) { try MicrogradDemo<Double>(count: 10).lossOnTensors([]) }
  }
}
