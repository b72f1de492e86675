import RealModule

/// How to fill a new weight tensor: seeded, so that the same seed gives the same weights on every
/// run and every machine.
///
/// `fanIn` and `fanOut` are the input and output sizes of the layer (for a `Linear` weight of
/// shape `(out, in)`: `fanIn = in`, `fanOut = out`). The formulas are PyTorch's `torch.nn.init`:
///
/// - Glorot/Xavier (tanh, sigmoid): `Var(w) = gain² · 2 / (fanIn + fanOut)`;
///   uniform bound `a = gain · √(6 / (fanIn + fanOut))`.
/// - He/Kaiming (ReLU family): `Var(w) = gain² / fan`, with `gain = √(2 / (1 + a²))` for a leaky
///   ReLU of negative slope `a` (`a = 0`: plain ReLU, `gain = √2`); uniform bound `gain · √(3 / fan)`.
/// - `pytorchLinearDefault`: what `torch.nn.Linear` does, `kaiming_uniform_(a: √5)`, which
///   simplifies to `U(−1/√fanIn, 1/√fanIn)`.
///
/// The random streams differ from PyTorch's; the distributions are the same.
public enum Initializer: Sendable, Equatable {
  /// All zeros.
  case zeros
  /// Every element `value`.
  case constant(Double)
  /// `U(low, high)`.
  case uniform(low: Double, high: Double)
  /// `N(mean, standardDeviation²)`.
  case normal(mean: Double, standardDeviation: Double)
  /// Glorot/Xavier uniform: `U(−a, a)`, `a = gain · √(6 / (fanIn + fanOut))`.
  case xavierUniform(gain: Double = 1)
  /// Glorot/Xavier normal: `N(0, gain² · 2 / (fanIn + fanOut))`.
  case xavierNormal(gain: Double = 1)
  /// He/Kaiming uniform: `U(−b, b)`, `b = √(2 / (1 + a²)) · √(3 / fan)`; `fanIn` unless `useFanOut`.
  case kaimingUniform(negativeSlope: Double = 0, useFanOut: Bool = false)
  /// He/Kaiming normal: `N(0, 2 / ((1 + a²) · fan))`; `fanIn` unless `useFanOut`.
  case kaimingNormal(negativeSlope: Double = 0, useFanOut: Bool = false)
  /// PyTorch's default for `Linear` weights and biases: `U(−1/√fanIn, 1/√fanIn)`.
  public static let pytorchLinearDefault = Initializer.kaimingUniform(negativeSlope: 5.0.squareRoot())

  /// A new tensor of `shape` drawn from this distribution.
  public func makeTensor<Scalar: TensorScalar>(
    _ shape: [Int], fanIn: Int, fanOut: Int, using generator: inout SeededGenerator
  ) -> Tensor<Scalar> {
    switch self {
    case .zeros:
      return .zeros(shape)
    case let .constant(value):
      return Tensor(repeating: Scalar(value), shape: shape)
    case let .uniform(low, high):
      return .randomUniform(shape, low: Scalar(low), high: Scalar(high), using: &generator)
    case let .normal(mean, std):
      return .randomNormal(shape, mean: Scalar(mean), standardDeviation: Scalar(std), using: &generator)
    case let .xavierUniform(gain):
      let bound = gain * (6 / Double(max(1, fanIn + fanOut))).squareRoot()
      return .randomUniform(shape, low: Scalar(-bound), high: Scalar(bound), using: &generator)
    case let .xavierNormal(gain):
      let std = gain * (2 / Double(max(1, fanIn + fanOut))).squareRoot()
      return .randomNormal(shape, standardDeviation: Scalar(std), using: &generator)
    case let .kaimingUniform(a, useFanOut):
      let fan = Double(max(1, useFanOut ? fanOut : fanIn))
      let bound = (2 / (1 + a * a)).squareRoot() * (3 / fan).squareRoot()
      return .randomUniform(shape, low: Scalar(-bound), high: Scalar(bound), using: &generator)
    case let .kaimingNormal(a, useFanOut):
      let fan = Double(max(1, useFanOut ? fanOut : fanIn))
      let std = (2 / (1 + a * a)).squareRoot() / fan.squareRoot()
      return .randomNormal(shape, standardDeviation: Scalar(std), using: &generator)
    }
  }

  /// Parses a command-line name: `pytorch` (default), `xavier-uniform`, `xavier-normal`,
  /// `kaiming-uniform`, `kaiming-normal` (alias `he-uniform`, `he-normal`), `zeros`.
  public init?(name: String) {
    switch name.lowercased() {
    case "pytorch", "default": self = .pytorchLinearDefault
    case "xavier-uniform", "glorot-uniform", "xavier", "glorot": self = .xavierUniform()
    case "xavier-normal", "glorot-normal": self = .xavierNormal()
    case "kaiming-uniform", "he-uniform", "kaiming", "he": self = .kaimingUniform()
    case "kaiming-normal", "he-normal": self = .kaimingNormal()
    case "zeros": self = .zeros
    default: return nil
    }
  }

  /// The names `init(name:)` accepts, for help texts.
  public static let names = ["pytorch", "xavier-uniform", "xavier-normal", "kaiming-uniform", "kaiming-normal", "zeros"]
}
