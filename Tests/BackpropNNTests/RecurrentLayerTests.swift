import BackpropCore
@testable import BackpropNN
import BackpropIO
import Foundation
import Testing
import _BackpropTestSupport

/// LSTM and GRU against PyTorch float64 (Tools/make_recurrent_fixtures.py): with PyTorch's
/// parameters loaded by their state-dict names, the outputs, final states and the gradients of
/// sum(out ⊙ u) + Σ sum(final ⊙ u_k) for the input, the initial states and every parameter.
@Suite struct RecurrentLayerTests {
  typealias T = Tensor<Double>

  struct Case: Decodable {
    var input, output, u, grad_input: FixtureTensor
    var states, finals, finals_u, grad_states: [FixtureTensor]
    var parameters, grad_parameters: [String: FixtureTensor]
  }

  static func load(_ layer: some Layer<Double>, _ c: Case) throws {
    #expect(Set(layer.namedParameters.map(\.0)) == Set(c.parameters.keys), "PyTorch's parameter names")
    for (name, p) in layer.namedParameters {
      let v = try c.parameters[name]!.tensor()
      #expect(p.shape == v.shape, "\(name)")
      p.update { $0 = v.scalars }
    }
  }

  static func check(_ layer: some Layer<Double>, _ c: Case, output: T, finals: [T], inputs: [T]) throws {
    expectClose(output, try c.output.tensor(), .pytorchFixture, "output")
    for (k, f) in finals.enumerated() { expectClose(f, try c.finals[k].tensor(), .pytorchFixture, "final state \(k)") }
    var loss = (output * (try c.u.tensor())).sum()
    for (k, f) in finals.enumerated() { loss = loss + (f * (try c.finals_u[k].tensor())).sum() }
    loss.backward()
    expectClose(try #require(inputs[0].grad), try c.grad_input.tensor(), .pytorchFixture, "∂L/∂input")
    for k in 1..<inputs.count {
      expectClose(try #require(inputs[k].grad), try c.grad_states[k - 1].tensor(), .pytorchFixture, "∂L/∂state \(k - 1)")
    }
    for (name, p) in layer.namedParameters {
      expectClose(try #require(p.grad), try c.grad_parameters[name]!.tensor(), .pytorchFixture, "∂L/∂\(name)")
    }
  }

  @Test func lstmMatchesPyTorch() throws {
    let c = try loadFixture("recurrent.json", as: [String: Case].self)["lstm"]!
    let lstm = LSTM<Double>(inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true)
    try Self.load(lstm, c)
    let x = try c.input.tensor(requiresGrad: true)
    let h0 = try c.states[0].tensor(requiresGrad: true), c0 = try c.states[1].tensor(requiresGrad: true)
    let (y, state) = lstm(x, state: (h0, c0))
    #expect(y.shape == [2, 5, 4] && state.h.shape == [2, 2, 4])
    try Self.check(lstm, c, output: y, finals: [state.h, state.c], inputs: [x, h0, c0])
  }

  @Test func gruMatchesPyTorch() throws {
    let c = try loadFixture("recurrent.json", as: [String: Case].self)["gru"]!
    let gru = GRU<Double>(inputSize: 3, hiddenSize: 4, numLayers: 2)
    try Self.load(gru, c)
    let x = try c.input.tensor(requiresGrad: true), h0 = try c.states[0].tensor(requiresGrad: true)
    let (y, h) = gru(x, state: h0)
    #expect(y.shape == [5, 2, 4] && h.shape == [2, 2, 4])
    try Self.check(gru, c, output: y, finals: [h], inputs: [x, h0])
  }

  @Test func zeroStateIsTheDefaultAndLastOutputIsTheFinalState() {
    let gru = GRU<Double>(inputSize: 2, hiddenSize: 3, batchFirst: true)
    let x = T.seeded([2, 4, 2], seed: 7)
    let (y, h) = gru(x, state: nil)
    let (y0, _) = gru(x, state: T.zeros([1, 2, 3]))
    #expect(y.scalars == y0.scalars)
    #expect(y.sliced(alongAxis: 1, 3..<4).scalars == h.scalars)
  }

  /// An `nn.LSTM` state dict written by PyTorch loads by name and gives PyTorch's output; a GRU
  /// (wrong architecture) refuses it with one line naming the file and the tensor.
  @Test func pytorchStateDictLoadsAndWrongArchitectureThrows() throws {
    let c = try loadFixture("recurrent.json", as: [String: Case].self)["lstm"]!
    let url = fixtureURL("lstm_state_dict.safetensors")
    let lstm = LSTM<Double>(inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true)
    try lstm.loadParameters(contentsOf: url)
    let (y, _) = lstm(try c.input.tensor(), state: (try c.states[0].tensor(), try c.states[1].tensor()))
    expectClose(y, try c.output.tensor(), .pytorchFixture, "output after loading the state dict")
    let gru = GRU<Double>(inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true)
    let error = try #require(throws: DataError.self) { try gru.loadParameters(contentsOf: url) }
    #expect("\(error)".contains("lstm_state_dict.safetensors") && "\(error)".contains("weight_ih_l0"), "\(error)")
    #expect(!"\(error)".contains("\n"))
  }

  /// The README's "Sequence models" example, as written there.
  @Test func readmeExampleRuns() {
    let lstm = LSTM<Float>(inputSize: 8, hiddenSize: 16, numLayers: 2, batchFirst: true)
    let x = Tensor<Float>.randomNormal([4, 10, 8])                     // [batch, T, features]
    let (y, state) = lstm(x, state: nil)                               // y [4, 10, 16], state.h [2, 4, 16]
    let gpt = GPT<Float>(GPTConfiguration(vocabularySize: 65, blockSize: 64, layers: 2, heads: 4, embedDimension: 64))
    let logits = gpt.logits([[1, 2, 3]])                               // [1, 3, 65]
    let loss = Tensor.crossEntropy(logits: logits, targets: [2, 3, 4])
    loss.backward()
    var generator = SeededGenerator(seed: 1)
    let tokens = gpt.sample(prompt: [1], count: 20, temperature: 0.8, using: &generator)
    #expect(y.shape == [4, 10, 16] && state.h.shape == [2, 4, 16] && logits.shape == [1, 3, 65])
    #expect(tokens.count == 21 && gpt.tokenEmbedding.weight.grad != nil)
  }
}
