import BackpropCore
import Foundation
import Testing
import _BackpropTestSupport

// PyTorch float64 references for the sequence-model ops (Fixtures/sequence_ops.json, written by
// Tools/make_sequence_fixtures.py), replayed: output and the gradients of sum(y ⊙ u).

enum PyTorchSequenceFixtures {
  static let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/sequence_ops.json")
  static let cases: [FixtureCase] = (try? loadFixture(FixtureFile<FixtureCase>.self, from: url))?.cases ?? []
  static let condition = T(shape: [3, 4], scalars: [1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0])
  static let attentionMask = T(shape: [3, 5], scalars: [1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1])

  /// The expressions of make_sequence_fixtures.py, by the same names, written with Backprop.
  static let expressions: [String: ([T]) -> T] = [
    "where_broadcast": { T.where(condition, $0[0], $0[1]) },
    "masked_fill": { $0[0].maskedFill(T(shape: [1, 3], scalars: [0, 1, 0]), with: -1.5) },
    "embedding_padding": { T.embedding([1, 0, 4, 1, 5, 0, 1, 2], shape: [2, 4], weight: $0[0], paddingIndex: 0) },
    "attention_causal": { T.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], causal: true) },
    "attention_mask": { T.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: attentionMask) },
    "cross_entropy_ignore_smoothing": {
      T.crossEntropy(logits: $0[0], targets: [2, -100, 0, 4, 4, 1], ignoreIndex: -100, labelSmoothing: 0.1)
    },
    "cross_entropy_2d": { T.crossEntropy(logits: $0[0], targets: [2, 0, 1, 1]) },
  ]
}

@Suite struct PyTorchSequenceFixtureTests {
  @Test func fixtureFileMatchesTheExpressions() throws {
    let file = try loadFixture(FixtureFile<FixtureCase>.self, from: PyTorchSequenceFixtures.url)
    #expect(file.generator == "Tools/make_sequence_fixtures.py")
    #expect(Set(file.cases.map(\.name)) == Set(PyTorchSequenceFixtures.expressions.keys))
  }

  @Test(arguments: PyTorchSequenceFixtures.cases.map(\.name))
  func replay(_ name: String) throws {
    let c = try #require(PyTorchSequenceFixtures.cases.first { $0.name == name })
    let f = try #require(PyTorchSequenceFixtures.expressions[name], "no Swift expression for fixture \(name)")
    try replayFixture(c, f)
  }

  /// Masked fill with −∞ and a softmax: the masked entries get exactly zero gradient, no NaN.
  @Test func maskedFillWithInfinityKeepsGradientsFinite() {
    let x = T([[1, 2, 3]], requiresGrad: true)
    let y = x.maskedFill(T([[0, 1, 0]]), with: -.infinity).softmax(alongAxis: -1)
    (y * T([[1, 2, 3]])).sum().backward()
    let g = x.grad!.scalars
    #expect(g.allSatisfy { $0.isFinite }, "\(g)")
    #expect(g[1] == 0)
  }
}
