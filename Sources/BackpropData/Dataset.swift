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
///
/// Features are kept either as `Float`s or, for byte-valued data such as images (Fashion-MNIST,
/// `init(name:pixels:pixelScale:featureCount:labels:classCount:featureNames:classNames:)`), as
/// one byte per feature, a quarter of the memory, decoded to `Float` only as rows are read
/// (`batch(_:)`, `features(at:)`). Both give the same values; `storesFeaturesAsBytes` says which.
/// Two data sets are equal when they hold the same values, however they are stored.
public struct Dataset: Sendable, Equatable {
  /// A short name for messages and reports ("digits", "fashion-mnist/train", ...).
  public var name: String
  /// The features, as `Float`s or as bytes with their decoding.
  private(set) var storage: FeatureStorage
  /// Features per sample.
  public private(set) var featureCount: Int
  /// The shape of one sample's features, e.g. `[1, 28, 28]` for Fashion-MNIST images
  /// (channels, height, width) or `[featureCount]` for a table row; its product is
  /// `featureCount`. Convolutional models read flat rows in this shape (see `withSampleShape(_:)`).
  public private(set) var sampleShape: [Int]
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
    try self.init(
      name: name, storage: .floats(features), featureCount: featureCount, labels: labels, classCount: classCount,
      featureNames: featureNames, classNames: classNames)
  }

  /// Makes a classification data set from features in either storage (see the public initializers).
  init(
    name: String, storage: FeatureStorage, featureCount: Int, labels: [Int], classCount: Int?,
    featureNames: [String]?, classNames: [String]?
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
      name: name, storage: storage, featureCount: featureCount, count: labels.count, featureNames: featureNames)
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
      name: name, storage: .floats(features), featureCount: featureCount, count: targets.count / targetCount,
      featureNames: featureNames)
    self.targets = targets
    self.targetCount = targetCount
  }

  private init(name: String, storage: FeatureStorage, featureCount: Int, count: Int, featureNames: [String]?) throws {
    guard featureCount > 0 else { throw Self.invalid("featureCount must be positive, got \(featureCount)") }
    guard storage.count == count * featureCount else {
      throw Self.invalid("\(storage.count) features are not \(count) samples × \(featureCount)")
    }
    if let names = featureNames, names.count != featureCount {
      throw Self.invalid("\(names.count) feature names for \(featureCount) features")
    }
    self.name = name
    self.storage = storage
    self.featureCount = featureCount
    self.sampleShape = [featureCount]
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

  /// All features as `Float`s, row-major: `count × featureCount`.
  ///
  /// For a data set that keeps its features as bytes (`storesFeaturesAsBytes`), every read
  /// builds a new array of `count × featureCount` `Float`s (188 MB for Fashion-MNIST's training
  /// set, four times the bytes it holds). Training never reads it: `batch(_:)`, `features(at:)`,
  /// `subset(indices:)`, `split` and the scalers decode only the rows they need.
  public var features: [Float] { storage.materialized(columns: featureCount) }

  /// Whether the features are kept as one byte each, decoded when read (see the type's
  /// documentation); `false` when they are kept as `Float`s.
  public var storesFeaturesAsBytes: Bool { storage.isBytes }

  /// The same samples, read as features of shape `shape` (e.g. `[1, 8, 8]` for 64 pixels).
  /// - Throws: `TensorError.invalidArgument` unless `shape`'s sizes are positive and multiply to `featureCount`.
  public func withSampleShape(_ shape: [Int]) throws -> Dataset {
    guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), shape.reduce(1, *) == featureCount else {
      throw Self.invalid("sample shape \(shape) does not hold \(featureCount) features", op: "Dataset.withSampleShape")
    }
    var copy = self
    copy.sampleShape = shape
    return copy
  }

  /// The features of sample `index`.
  ///
  /// For `Float` storage the slice shares the data set's array and its indices are the
  /// positions in `features` (`index * featureCount ..< (index + 1) * featureCount`); for byte
  /// storage it is a new row indexed from 0. Use `Array(_:)` or `startIndex`-relative
  /// positions to work with either.
  public func features(at index: Int) -> ArraySlice<Float> {
    switch storage {
    case let .floats(values):
      return values[index * featureCount..<(index + 1) * featureCount]
    case .bytes:
      require((0..<count).contains(index), "sample index \(index) is outside 0..<\(count)")
      return [Float](unsafeUninitializedCapacity: featureCount) { row, initialized in
        storage.gather(rows: CollectionOfOne(index), columns: featureCount, rowCount: count, into: row)
        initialized = featureCount
      }[...]
    }
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
    var copy = self
    copy.storage = storage.gathering(rows: indices, columns: featureCount, rowCount: count)
    copy.labels = labels.isEmpty ? [] : indices.map { labels[$0] }
    copy.targets = []
    if targetCount > 0 {
      copy.targets.reserveCapacity(indices.count * targetCount)
      for i in indices { copy.targets.append(contentsOf: targets[i * targetCount..<(i + 1) * targetCount]) }
    }
    copy.count = indices.count
    return copy
  }

  /// The same samples with the features in `newStorage` (used by the scalers); sizes must match.
  func replacingStorage(_ newStorage: FeatureStorage) -> Dataset {
    require(newStorage.count == storage.count, "Dataset: the transformed features changed their count")
    var copy = self
    copy.storage = newStorage
    return copy
  }

  /// The same samples with every regression target replaced; sizes must match.
  func replacingTargets(_ newTargets: [Float]) -> Dataset {
    require(newTargets.count == targets.count, "Dataset: the transformed targets changed their count")
    var copy = self
    copy.targets = newTargets
    return copy
  }
}
