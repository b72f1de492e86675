import BackpropCore
import BackpropData

extension LeastSquares {
  /// A linear least-squares problem ready for `normalEquation` and `gradientDescent`: the design
  /// matrix with a leading column of ones (the intercept), the targets, and a name per column.
  public struct Problem {
    /// Where the data came from, e.g. `diabetes` or `synthetic (seed 0)`.
    public var name: String
    /// `[1 | X]`, one row per sample.
    public var x: Tensor<Double>
    /// The targets, one per sample.
    public var y: Tensor<Double>
    /// `intercept`, then one name per feature.
    public var columnNames: [String]
  }

  /// `y = X·w + 1 + ε` with `X`, `w` standard normal and noise `ε ~ N(0, 0.1²)`, drawn from a
  /// generator seeded with `seed` (features first, then weights, then noise).
  /// - Throws: `TensorError.invalidArgument` unless both sizes are at least 1.
  public static func synthetic(features n: Int, samples m: Int, seed: UInt64) throws -> Problem {
    guard n >= 1, m >= 1 else {
      throw TensorError.invalidArgument(op: "LeastSquares.synthetic", message: "features and samples must be positive, got \(n) and \(m)")
    }
    var g = SeededGenerator(seed: seed)
    let x = Tensor<Double>.randomNormal([m, n], using: &g)
    let w = Tensor<Double>.randomNormal([n], using: &g)
    let noise = Tensor<Double>.randomNormal([m], standardDeviation: 0.1, using: &g)
    let y = Tensor.matmul(x, w) + noise + 1
    return Problem(name: "synthetic (seed \(seed))", x: try withIntercept(x.scalars, rows: m, columns: n), y: y,
                   columnNames: ["intercept"] + (1...n).map { "x\($0)" })
  }

  /// The shipped diabetes data (442 samples, 10 features), standardized, with an intercept column.
  /// - Throws: `DataError` when the shipped file cannot be read.
  public static func diabetes() throws -> Problem {
    let data = try Dataset.diabetes()
    let standardized = try FeatureScaler.standardization(fittedTo: data).transform(data)
    let names = ["intercept"] + (data.featureNames ?? (1...data.featureCount).map { "x\($0)" })
    return Problem(name: "diabetes",
                   x: try withIntercept(standardized.features.map(Double.init), rows: data.count, columns: data.featureCount),
                   y: Tensor(data.targets.map(Double.init)), columnNames: names)
  }

  /// `[1 | X]`: a column of ones in front, for the intercept.
  static func withIntercept(_ x: [Double], rows: Int, columns: Int) throws -> Tensor<Double> {
    var values = [Double](repeating: 1, count: rows * (columns + 1))
    for r in 0..<rows { for c in 0..<columns { values[r * (columns + 1) + c + 1] = x[r * columns + c] } }
    return Tensor(shape: [rows, columns + 1], scalars: values)
  }
}
