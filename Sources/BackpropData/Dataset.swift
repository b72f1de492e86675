/// What a data set's outputs are: class indices or real-valued targets.
public enum DatasetTask: Sendable, Equatable {
  /// Each sample has one class index in `0..<classCount` (`Dataset.labels`).
  case classification
  /// Each sample has `targetCount` real values (`Dataset.targets`).
  case regression
}

/// An in-memory data set of plain arrays: `count` samples of `featureCount` features, row-major,
/// with one class label or `targetCount` regression targets per sample.
///
/// The neural-network layer wraps these arrays in tensors; nothing here depends on them.
/// Samples are rows: the features of sample `i` are `features[i * featureCount ..< (i + 1) * featureCount]`.
public struct Dataset: Sendable, Equatable {
  /// A short name for messages and reports ("digits", "fashion-mnist/train", ...).
  public var name: String
  /// All features, row-major: `count × featureCount`.
  public private(set) var features: [Float]
  /// Features per sample.
  public private(set) var featureCount: Int
  /// Class index of each sample, in `0..<classCount`; empty for regression.
  public private(set) var labels: [Int]
  /// Regression targets, row-major `count × targetCount`; empty for classification.
  public private(set) var targets: [Float]
  /// Number of classes (classification); 0 for regression.
  public private(set) var classCount: Int
  /// Targets per sample (regression); 0 for classification.
  public private(set) var targetCount: Int
  /// Optional feature names (from a CSV header), `featureCount` of them.
  public internal(set) var featureNames: [String]?
  /// Optional class names, `classCount` of them (e.g. "T-shirt/top").
  public internal(set) var classNames: [String]?

  /// Number of samples.
  public private(set) var count: Int

  /// Classification or regression.
  public var task: DatasetTask { classCount > 0 ? .classification : .regression }

  /// Makes a classification data set.
  ///
  /// - Parameters:
  ///   - classCount: defaults to the largest label plus one.
  /// - Throws: `TensorError.invalidArgument` when `features.count` is not `labels.count ×
  ///   featureCount`, a label is outside `0..<classCount`, or the name lists have the wrong length.
  public init(
    name: String, features: [Float], featureCount: Int, labels: [Int], classCount: Int? = nil,
    featureNames: [String]? = nil, classNames: [String]? = nil
  ) throws {
    let classes = classCount ?? ((labels.max() ?? -1) + 1)
    guard classes > 0 else { throw Self.invalid("a classification data set needs at least one class") }
    if let bad = labels.first(where: { !(0..<classes).contains($0) }) {
      throw Self.invalid("label \(bad) is outside 0..<\(classes)")
    }
    if let names = classNames, names.count != classes {
      throw Self.invalid("\(names.count) class names for \(classes) classes")
    }
    try self.init(
      name: name, features: features, featureCount: featureCount, count: labels.count,
      featureNames: featureNames)
    self.labels = labels
    self.classCount = classes
    self.classNames = classNames
  }

  /// Makes a regression data set with `targetCount` real-valued targets per sample.
  ///
  /// - Throws: `TensorError.invalidArgument` when the array sizes disagree.
  public init(
    name: String, features: [Float], featureCount: Int, targets: [Float], targetCount: Int = 1,
    featureNames: [String]? = nil
  ) throws {
    guard targetCount > 0, targets.count % targetCount == 0 else {
      throw Self.invalid("\(targets.count) targets do not split into rows of \(targetCount)")
    }
    try self.init(
      name: name, features: features, featureCount: featureCount, count: targets.count / targetCount,
      featureNames: featureNames)
    self.targets = targets
    self.targetCount = targetCount
  }

  private init(name: String, features: [Float], featureCount: Int, count: Int, featureNames: [String]?) throws {
    guard featureCount > 0 else { throw Self.invalid("featureCount must be positive, got \(featureCount)") }
    guard features.count == count * featureCount else {
      throw Self.invalid("\(features.count) features are not \(count) samples × \(featureCount)")
    }
    if let names = featureNames, names.count != featureCount {
      throw Self.invalid("\(names.count) feature names for \(featureCount) features")
    }
    self.name = name
    self.features = features
    self.featureCount = featureCount
    self.count = count
    self.featureNames = featureNames
    labels = []
    targets = []
    classCount = 0
    targetCount = 0
  }

  static func invalid(_ message: String, op: String = "Dataset") -> TensorError {
    .invalidArgument(op: op, message: message)
  }

  /// The features of sample `index`.
  public func features(at index: Int) -> ArraySlice<Float> {
    features[index * featureCount..<(index + 1) * featureCount]
  }

  /// The number of samples of each class (empty for regression).
  public var classCounts: [Int] {
    var counts = [Int](repeating: 0, count: classCount)
    for label in labels { counts[label] += 1 }
    return counts
  }

  /// A new data set of the samples at `indices`, in that order (repeats allowed).
  ///
  /// - Throws: `TensorError.invalidArgument` for an index outside `0..<count`.
  public func subset(indices: [Int]) throws -> Dataset {
    if let bad = indices.first(where: { !(0..<count).contains($0) }) {
      throw Self.invalid("index \(bad) is outside 0..<\(count)", op: "Dataset.subset")
    }
    let rows = batch(indices)
    var copy = self
    copy.features = rows.features
    copy.labels = rows.labels
    copy.targets = rows.targets
    copy.count = rows.count
    return copy
  }

  /// The same samples with every feature replaced (used by the scalers); sizes must match.
  func replacingFeatures(_ newFeatures: [Float]) -> Dataset {
    precondition(newFeatures.count == features.count)
    var copy = self
    copy.features = newFeatures
    return copy
  }

  /// The same samples with every regression target replaced; sizes must match.
  func replacingTargets(_ newTargets: [Float]) -> Dataset {
    precondition(newTargets.count == targets.count)
    var copy = self
    copy.targets = newTargets
    return copy
  }
}
