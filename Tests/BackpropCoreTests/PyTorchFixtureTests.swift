import BackpropCore
import Foundation
import Testing
import _BackpropTestSupport

// PyTorch float64 reference values (Fixtures/ops.json, written by Tools/make_fixtures.py),
// replayed with our engine: output and the gradients of sum(y ⊙ u) to 1e-10 relative.

enum PyTorchFixtures {
  static let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/ops.json")
  static let file: FixtureFile<FixtureCase>? = try? loadFixture(FixtureFile<FixtureCase>.self, from: url)
  static let cases: [FixtureCase] = file?.cases ?? []

  static func seedChain(_ s: T, _ t: T) throws -> T {
    let x = s - t.sin(), y = s.exp() + t.cos()
    return x * x - y * y
  }

  static func layerNorm(_ x: T) throws -> T {
    let centered = x - x.mean(alongAxes: [-1], keepingDims: true)
    let variance = centered.squared().mean(alongAxes: [-1], keepingDims: true)
    return centered / (variance + 1e-5).sqrt()
  }

  /// The expressions of make_fixtures.py, by the same names, written with Backprop.
  static let expressions: [String: ([T]) throws -> T] = [
    "seed_chain_rule": { try seedChain($0[0], $0[1]) },
    "seed_chain_rule_vectors": { try seedChain($0[0], $0[1]) },
    "vector_chain_rule_add": { x in (x[0] * x[1] + (x[0] - x[1])).mean() },
    "vector_chain_rule_multiply": { x in ((x[0] * x[1]) * (x[0] - x[1])).mean() },
    "mlp_tanh": { p in T.matmul((T.matmul(p[0], p[1]) + p[2]).tanh(), p[3]) },
    "softmax_cross_entropy": { p in -((p[0].logSoftmax() * p[1]).sum(alongAxes: [-1]).mean()) },
    "mse_loss": { p in (p[0] - p[1]).pow(2).mean() },
    "layer_norm": { try layerNorm($0[0]) },
    "attention": { p in
      T.matmul((T.matmul(p[0], p[1], transposeB: true) / Double(4).squareRoot()).softmax(), p[2])
    },
    "logsumexp_axis0_keepdim": { $0[0].logSumExp(alongAxes: [0], keepingDims: true) },
    "logsumexp_all_large": { $0[0].flattened().logSumExp(alongAxes: [0]) },
    "softmax_axis0": { $0[0].softmax(alongAxis: 0) },
    "log_softmax_large_logits": { $0[0].logSoftmax() },
    "batched_matmul_broadcast": { T.matmul($0[0], $0[1]) },
    "matmul_both_transposed": { T.matmul($0[0], $0[1], transposeA: true, transposeB: true) },
    "matmul_vector_vector": { T.matmul($0[0], $0[1]) },
    "matmul_vector_matrix": { T.matmul($0[0], $0[1]) },
    "matmul_matrix_vector_batched": { T.matmul($0[0], $0[1]) },
    "gelu_erf": { x in x[0].gelu() + x[0].erf() },
    "leaky_relu_sigmoid": { x in x[0].leakyRelu(slope: 0.1) * x[0].sigmoid() },
    "relu_abs": { x in x[0].relu() + x[0].abs() * 0.5 },
    "relu_abs_at_zero": { x in x[0].relu() + x[0].abs() },
    "sigmoid_saturated": { $0[0].sigmoid() },
    "pow_tensor_broadcast": { T.pow($0[0], $0[1]) },
    "pow_scalars": { x in x[0].pow(3) + x[0].pow(1.7) - x[0].pow(-0.5) },
    "pow_negative_base_integer": { x in x[0].pow(3) - x[0].pow(2) },
    "pow_zero_exponent_at_zero": { x in x[0].pow(0) + x[0] * 2 },
    "sqrt_log_exp": { x in x[0].sqrt() * x[0].log() + (-x[0]).exp() },
    "sin_cos_tanh": { x in x[0].sin() * (x[0] * 2).cos() + x[0].tanh() },
    "softplus": { x in (x[0].exp() + 1).log() },
    "maximum_minimum_broadcast": { p in T.maximum(p[0], p[1]) - T.minimum(p[0], p[1]) * 2 },
    "amax_with_ties": { $0[0].max(alongAxes: [1]) },
    "amax_amin_axes": { x in
      x[0].max(alongAxes: [0, 2], keepingDims: true) + x[0].min(alongAxes: [1], keepingDims: true)
    },
    "mean_axes": { x in x[0].mean(alongAxes: [1, 2]) * x[0].mean() },
    "sum_to_shape": { $0[0].sum(toShape: [3, 1]) },
    "divide_broadcast_and_scalars": { p in p[0] / p[1] + 1 / p[1] - (3 - p[0]) / 4 },
    "slice_pad_concatenate": { p in
      T.concatenated([p[0].sliced(alongAxis: 1, 1..<3).padded(alongAxis: 1, before: 1, after: 2), p[1] * p[1]], alongAxis: 1)
    },
    "gather_scatter_rows": { p in p[0].gatheringRows([2, 0, 2]).scatteringRows([1, 1, 3], rowCount: 4).pow(2) },
    "permute_reshape_broadcast": { p in
      p[0].permuted([2, 0, 1]).reshaped(to: [4, 6]) * p[1].broadcast(to: [2, 3, 4]).reshaped(to: [4, 6])
    },
    "transpose_squeeze_unsqueeze": { p in
      p[0].squeezingShape(at: [1]).transposed().expandingShape(at: -1) * p[0].reshaped(to: [-1]).sum()
    },
  ]
}

@Suite struct PyTorchFixtureTests {
  @Test func fixtureFileIsPresentAndMatchesTheExpressions() throws {
    let file = try loadFixture(FixtureFile<FixtureCase>.self, from: PyTorchFixtures.url)
    #expect(file.generator == "Tools/make_fixtures.py")
    #expect(file.cases.count >= 36, "a few dozen expressions")
    let names = Set(file.cases.map(\.name))
    #expect(names.count == file.cases.count, "duplicate fixture names")
    let swiftNames = Set(PyTorchFixtures.expressions.keys)
    #expect(names == swiftNames, """
      fixture-only: \(names.subtracting(swiftNames).sorted()); Swift-only: \(swiftNames.subtracting(names).sorted())
      """)
  }

  @Test(arguments: PyTorchFixtures.cases.map(\.name))
  func replay(_ name: String) throws {
    let c = try #require(PyTorchFixtures.cases.first { $0.name == name })
    let f = try #require(PyTorchFixtures.expressions[name], "no Swift expression for fixture \(name)")
    try replayFixture(c, f)
  }
}

/// Replays one PyTorch fixture case: `f` on the case's inputs against PyTorch's output, then
/// backward with the case's cotangent against PyTorch's gradient of every input (float64 on
/// both sides, `.pytorchFixture` tolerance). Shared by the op, CNN and sequence fixture suites.
func replayFixture(_ c: FixtureCase, _ f: ([T]) throws -> T) throws {
  let name = c.name
  let inputs = try c.inputs.map { try $0.tensor(requiresGrad: true) }
  let y = try f(inputs)
  expectClose(y, try c.output.tensor(), .pytorchFixture, "\(name): output")
  y.backward(gradient: try c.cotangent.tensor())
  for (i, (x, expected)) in zip(inputs, c.gradients).enumerated() {
    let g = x.grad ?? T.zeros(x.shape)
    expectClose(g, try #require(expected).tensor(), .pytorchFixture, "\(name): gradient of input \(i)")
  }
}
