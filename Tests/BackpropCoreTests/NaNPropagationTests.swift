import BackpropCore
import Testing

/// NaN goes through every op as in PyTorch: an op never turns a NaN input into a confident
/// number (relu(NaN) was 0 before, which hid diverged training).
@Suite struct NaNPropagationTests {
  static let nan = Double.nan

  @Test(arguments: ["relu", "leakyRelu", "abs", "exp", "tanh", "sigmoid", "softplus", "gelu", "squared", "max", "min",
                    "maximum left", "maximum right", "minimum left", "minimum right", "sum", "softmax", "logSumExp", "matmul"])
  func nanPropagates(_ op: String) {
    let x = T([1, Self.nan, -2]), one = T([0, 0, 0])
    let y: T
    switch op {
    case "relu": y = x.relu()
    case "leakyRelu": y = x.leakyRelu()
    case "abs": y = x.abs()
    case "exp": y = x.exp()
    case "tanh": y = x.tanh()
    case "sigmoid": y = x.sigmoid()
    case "softplus": y = x.softplus()
    case "gelu": y = x.gelu()
    case "squared": y = x.squared()
    case "max": y = x.max()
    case "min": y = x.min()
    case "maximum left": y = T.maximum(x, one)
    case "maximum right": y = T.maximum(one, x)
    case "minimum left": y = T.minimum(x, one)
    case "minimum right": y = T.minimum(one, x)
    case "sum": y = x.sum()
    case "softmax": y = x.softmax()
    case "logSumExp": y = x.logSumExp()
    default: y = T.matmul(x, T([1, 1, 1]))
    }
    #expect(y.scalars.contains { $0.isNaN }, "\(op)(…NaN…) = \(y.scalars)")
  }

  @Test func floatReluKeepsNaN() {
    #expect(Tensor<Float>([.nan, -1, 2]).relu().scalars[0].isNaN)
  }
}
