/// A per-column affine map `x' = (x − offset) / scale`, fitted on training data and then applied
/// unchanged to validation and test data (fitting on test data would leak it into training).
///
/// Three fits: `standardization` (mean 0, standard deviation 1), `minMax` (onto [0, 1]) and
/// `dividing(by:)` (a constant, such as 255 for pixels). The two arrays are all there is to
/// save in a checkpoint.
///
/// ```swift
/// let scaler = FeatureScaler.standardization(fittedTo: train)
/// let train = try scaler.transform(train), test = try scaler.transform(test)
/// ```
public struct FeatureScaler: Sendable, Equatable, Codable {
  /// Subtracted from each column.
  public var offset: [Float]
  /// Each column is divided by this after subtracting `offset`; never 0.
  public var scale: [Float]

  /// Decodes a saved scaler, with the same checks as `init(offset:scale:)`.
  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try self.init(
      offset: container.decode([Float].self, forKey: .offset), scale: container.decode([Float].self, forKey: .scale))
  }

  /// Number of columns the scaler applies to.
  public var columnCount: Int { offset.count }

  /// A scaler from explicit per-column offsets and scales.
  ///
  /// - Throws: `TensorError.invalidArgument` when the lengths differ or a scale is 0 or not finite.
  public init(offset: [Float], scale: [Float]) throws {
    guard offset.count == scale.count, scale.allSatisfy({ $0 != 0 && $0.isFinite }),
      offset.allSatisfy(\.isFinite)
    else {
      throw TensorError.invalidArgument(
        op: "FeatureScaler", message: "needs as many offsets as scales, finite, with no zero scale")
    }
    self.offset = offset
    self.scale = scale
  }

  /// Standardization: subtract each column's mean, divide by its (population) standard deviation.
  ///
  /// A constant column (standard deviation 0, e.g. a border pixel that is always 0) gets scale 1,
  /// so it maps to 0 instead of NaN. Statistics are accumulated in `Double`.
  ///
  /// - Throws: `TensorError.invalidArgument` when `values` do not form rows of `columns`.
  public static func standardization(of values: [Float], columns: Int) throws -> FeatureScaler {
    let (mean, variance, _, _) = try columnStatistics(of: checkedRows(values, columns: columns), columns: columns)
    return standardization(mean: mean, variance: variance)
  }

  private static func standardization(mean: [Double], variance: [Double]) -> FeatureScaler {
    let std = variance.map { Float($0.squareRoot()) }
    return FeatureScaler(unchecked: mean.map { Float($0) }, std.map { $0 > 0 && $0.isFinite ? $0 : 1 })
  }

  /// Min–max scaling onto [0, 1]: subtract each column's minimum, divide by its range (1 for a
  /// constant column).
  ///
  /// - Throws: `TensorError.invalidArgument` when `values` do not form rows of `columns`.
  public static func minMax(of values: [Float], columns: Int) throws -> FeatureScaler {
    let (_, _, lo, hi) = try columnStatistics(of: checkedRows(values, columns: columns), columns: columns)
    return minMax(lo: lo, hi: hi)
  }

  private static func minMax(lo: [Float], hi: [Float]) -> FeatureScaler {
    FeatureScaler(unchecked: lo, zip(lo, hi).map { $1 > $0 && ($1 - $0).isFinite ? $1 - $0 : 1 })
  }

  /// Standardization fitted to a data set's features (row by row: a data set that keeps its
  /// features as bytes is never expanded to `Float`s).
  public static func standardization(fittedTo dataset: Dataset) -> FeatureScaler {
    let (mean, variance, _, _) = columnStatistics(of: dataset.storage, columns: dataset.featureCount)
    return standardization(mean: mean, variance: variance)
  }

  /// Min–max scaling fitted to a data set's features (row by row, like `standardization(fittedTo:)`).
  public static func minMax(fittedTo dataset: Dataset) -> FeatureScaler {
    let (_, _, lo, hi) = columnStatistics(of: dataset.storage, columns: dataset.featureCount)
    return minMax(lo: lo, hi: hi)
  }

  /// Divides every one of `columns` columns by `divisor` (offset 0).
  ///
  /// - Throws: `TensorError.invalidArgument` when `divisor` is 0 or not finite.
  public static func dividing(by divisor: Float, columns: Int) throws -> FeatureScaler {
    try FeatureScaler(offset: [Float](repeating: 0, count: columns), scale: [Float](repeating: divisor, count: columns))
  }

  private init(unchecked offset: [Float], _ scale: [Float]) {
    self.offset = offset
    self.scale = scale
  }

  /// Applies the map to a row-major matrix with `columnCount` columns.
  ///
  /// - Throws: `TensorError.invalidArgument` when `values.count` is not a multiple of `columnCount`.
  public func transform(_ values: [Float]) throws -> [Float] {
    try checkLengths(op: "FeatureScaler.transform")
    try requireRows(values.count, columns: columnCount, op: "FeatureScaler.transform")
    var out = values
    // Divide rather than multiply by 1/scale, so that dividing(by: 255) gives exactly x / 255.
    for row in stride(from: 0, to: out.count, by: columnCount) {
      for j in 0..<columnCount { out[row + j] = (out[row + j] - offset[j]) / scale[j] }
    }
    return out
  }

  /// Undoes `transform` (for example to report regression predictions in original units).
  public func inverseTransform(_ values: [Float]) throws -> [Float] {
    try checkLengths(op: "FeatureScaler.inverseTransform")
    try requireRows(values.count, columns: columnCount, op: "FeatureScaler.inverseTransform")
    var out = values
    for row in stride(from: 0, to: out.count, by: columnCount) {
      for j in 0..<columnCount { out[row + j] = out[row + j] * scale[j] + offset[j] }
    }
    return out
  }

  /// The data set with its features transformed.
  ///
  /// A data set that keeps its features as bytes keeps them as bytes: the map is applied to
  /// the 256 values each byte can stand for (per column where columns differ), which gives
  /// exactly the values transforming the `Float`s would.
  ///
  /// - Throws: `TensorError.invalidArgument` when the scaler has a different number of columns
  ///   than the data set has features, or (after editing `offset` or `scale`) a different
  ///   number of offsets than scales; the message gives the counts.
  public func transform(_ dataset: Dataset) throws -> Dataset {
    try checkLengths(op: "FeatureScaler.transform")
    guard columnCount == dataset.featureCount else {
      throw TensorError.invalidArgument(
        op: "FeatureScaler.transform",
        message: "scaler has \(columnCount) columns, data set '\(dataset.name)' has \(dataset.featureCount) features")
    }
    switch dataset.storage {
    case let .floats(values):
      return dataset.replacingStorage(.floats(try transform(values)))
    case let .bytes(bytes, decoder):
      return dataset.replacingStorage(.bytes(bytes, decoder.mapped(offset: offset, scale: scale)))
    }
  }

  /// Throws when `offset` and `scale` (public and mutable) were edited to different lengths.
  private func checkLengths(op: String) throws {
    guard offset.count == scale.count else {
      throw TensorError.invalidArgument(op: op, message: "scaler has \(offset.count) offsets but \(scale.count) scales")
    }
  }

  /// The data set with its regression targets transformed (fit with `standardization(of:
  /// dataset.targets, columns: dataset.targetCount)`).
  public func transformTargets(_ dataset: Dataset) throws -> Dataset {
    guard columnCount == dataset.targetCount else {
      throw TensorError.invalidArgument(
        op: "FeatureScaler.transformTargets",
        message: "scaler has \(columnCount) columns, data set '\(dataset.name)' has \(dataset.targetCount) targets")
    }
    return dataset.replacingTargets(try transform(dataset.targets))
  }
}

/// Checks that `values` form rows of `columns` and wraps them as storage for `columnStatistics`.
private func checkedRows(_ values: [Float], columns: Int) throws -> FeatureStorage {
  try requireRows(values.count, columns: columns, op: "FeatureScaler")
  return .floats(values)
}

/// Throws unless `count` values form whole rows of `columns` (> 0).
private func requireRows(_ count: Int, columns: Int, op: String) throws {
  guard columns > 0, count % columns == 0 else {
    throw TensorError.invalidArgument(op: op, message: "\(count) values do not form rows of \(columns)")
  }
}

/// Per-column mean, population variance, minimum and maximum (zeros for an empty matrix), read
/// row by row so that byte storage is decoded one row at a time.
private func columnStatistics(of storage: FeatureStorage, columns: Int) -> ([Double], [Double], [Float], [Float]) {
  let rows = storage.count / columns
  var sum = [Double](repeating: 0, count: columns)
  var lo = [Float](repeating: rows > 0 ? .infinity : 0, count: columns)
  var hi = [Float](repeating: rows > 0 ? -.infinity : 0, count: columns)
  storage.forEachRow(columns: columns) { row in
    for j in 0..<columns {
      let x = row[j]
      sum[j] += Double(x)
      lo[j] = min(lo[j], x)
      hi[j] = max(hi[j], x)
    }
  }
  let mean = sum.map { rows > 0 ? $0 / Double(rows) : 0 }
  // Two passes (mean first) rather than E[x²] − E[x]², which cancels badly for large offsets.
  var squares = [Double](repeating: 0, count: columns)
  storage.forEachRow(columns: columns) { row in
    for j in 0..<columns {
      let d = Double(row[j]) - mean[j]
      squares[j] += d * d
    }
  }
  return (mean, squares.map { rows > 0 ? $0 / Double(rows) : 0 }, lo, hi)
}
