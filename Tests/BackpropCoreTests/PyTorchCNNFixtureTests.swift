import BackpropCore
import Foundation
import Testing
import _BackpropTestSupport

// PyTorch float64 references for the CNN ops (Fixtures/cnn_ops.json, written by
// Tools/make_cnn_fixtures.py), replayed: output and the gradients of sum(y ⊙ u).

enum PyTorchCNNFixtures {
  static let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/cnn_ops.json")
  static let cases: [FixtureCase] = (try? loadFixture(FixtureFile<FixtureCase>.self, from: url))?.cases ?? []
  static let (runningMean, runningVariance) = (T([0.5, -1, 0]), T([2, 0.5, 1]))

  /// The expressions of make_cnn_fixtures.py, by the same names, written with Backprop.
  static let expressions: [String: ([T]) -> T] = [
    "conv2d_padding_bias": { .conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1) },
    "conv2d_stride_dilation_groups": { .conv2d($0[0], weight: $0[1], stride: 2, padding: [1, 2], dilation: [2, 1], groups: 2) },
    "conv2d_depthwise": { .conv2d($0[0], weight: $0[1], bias: $0[2], stride: [1, 2], padding: 1, groups: 3) },
    "conv2d_same_even_kernel": { .conv2d($0[0], weight: $0[1], padding: .same, dilation: [1, 2]) },
    "conv1d_stride_groups": { .conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, groups: 2) },
    "conv_transpose2d": { .convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1) },
    "conv_transpose2d_groups_dilation": {
      .convTranspose2d($0[0], weight: $0[1], stride: [1, 2], outputPadding: [0, 1], dilation: 2, groups: 2)
    },
    "max_pool2d_padding": { $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) },
    "max_pool1d": { $0[0].maxPool1d(kernel: 2, stride: 1) },
    "avg_pool2d_exclude_pad": { $0[0].avgPool2d(kernel: 3, stride: 2, padding: 1, countIncludePad: false) },
    "avg_pool2d_include_pad": { $0[0].avgPool2d(kernel: [2, 3], stride: 1, padding: 1) },
    "avg_pool1d_exclude_pad": { $0[0].avgPool1d(kernel: 3, stride: 2, padding: 1, countIncludePad: false) },
    "adaptive_avg_pool2d": { $0[0].adaptiveAvgPool2d(outputSize: [3, 2]) },
    "batch_norm_train_and_running_stats": { p in
      let r = T.batchNorm(p[0], runningMean: runningMean, runningVariance: runningVariance, weight: p[1], bias: p[2],
                          training: true, momentum: 0.3)
      return T.concatenated([r.output.flattened(), r.runningMean!, r.runningVariance!])
    },
    "batch_norm_eval": { p in
      T.batchNorm(p[0], runningMean: runningMean, runningVariance: runningVariance, weight: p[1], bias: p[2], training: false).output
    },
    "layer_norm_2d": { $0[0].layerNorm(normalizedShape: [3, 4], weight: $0[1], bias: $0[2]) },
    "group_norm": { $0[0].groupNorm(groups: 2, weight: $0[1], bias: $0[2]) },
    "silu_elu_gelu_tanh": { x in x[0].silu() + x[0].elu(alpha: 1.5) * x[0].gelu(approximate: .tanh) },
    "conv_bn_relu_pool_linear": { p in
      var h = T.conv2d(p[0], weight: p[1], bias: p[2], padding: 1)
      h = T.batchNorm(h, runningMean: nil, runningVariance: nil, weight: p[3], bias: p[4], training: true).output
      h = h.relu().maxPool2d(kernel: 2).reshaped(to: [2, -1])
      return T.matmul(h, p[5], transposeB: true) + p[6]
    },
  ]
}

@Suite struct PyTorchCNNFixtureTests {
  @Test func fixtureFileMatchesTheExpressions() throws {
    let file = try loadFixture(FixtureFile<FixtureCase>.self, from: PyTorchCNNFixtures.url)
    #expect(file.generator == "Tools/make_cnn_fixtures.py")
    #expect(Set(file.cases.map(\.name)) == Set(PyTorchCNNFixtures.expressions.keys))
  }

  @Test(arguments: PyTorchCNNFixtures.cases.map(\.name))
  func replay(_ name: String) throws {
    let c = try #require(PyTorchCNNFixtures.cases.first { $0.name == name })
    let f = try #require(PyTorchCNNFixtures.expressions[name], "no Swift expression for fixture \(name)")
    try replayFixture(c, f)
  }
}
