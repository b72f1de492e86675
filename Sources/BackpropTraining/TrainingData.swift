import BackpropData
import BackpropNN
import Foundation

/// A data set ready for training: a training and a test part, already scaled, plus the scaler
/// that maps the loader's raw features onto the model's inputs (saved in checkpoints so that
/// `eval` and `predict` see inputs exactly as training did).
///
/// Sources, by name:
/// - `digits` (default): the shipped UCI digits, fixed 1,437/360 split, pixels 0…16 divided by 16;
/// - `fashion-mnist`: from `/usr/share/datasets/fashion-mnist` or `dataDirectory`, 60,000/10,000,
///   already in [0, 1] (no scaler);
/// - a path to a CSV file: a seeded, stratified split (`testFraction`), features standardized
///   with statistics of the training part only.
public struct TrainingData {
  /// The source name as given (`digits`, `fashion-mnist`, or the CSV path).
  public var source: String
  /// The training part (scaled).
  public var train: Dataset
  /// The held-out test part (scaled the same way).
  public var test: Dataset
  /// Raw features → model inputs; `nil` when the loader's values are used as they are.
  public var inputScaler: FeatureScaler?
  /// How the data was loaded, as checkpoint metadata: `dataset`, `task`, and for CSV files
  /// `label_column`, `test_fraction` and `split_seed` (see `SavedModel`'s keys), so that a
  /// checkpoint can rebuild exactly this pipeline.
  public var pipelineMetadata: [String: String] = [:]

  /// The names of the built-in sources.
  public static let builtInSources = ["digits", "fashion-mnist"]

  /// Loads `source` (see the type's documentation).
  ///
  /// - Parameters:
  ///   - dataDirectory: where Fashion-MNIST's files are, or where to look first for shipped data.
  ///   - task: for CSV files, classification (integer labels) or regression.
  ///   - inputScaler: use this scaler instead of fitting one (when evaluating a saved model).
  /// - Throws: `DataError.datasetMissing` with installation advice, other `DataError`s for
  ///   damaged files, an empty split or a saved scaler that does not fit the features,
  ///   `TensorError.invalidArgument` for bad arguments.
  public static func load(
    _ source: String, dataDirectory: URL? = nil, task: DatasetTask = .classification, labelColumn: LabelColumn = .last,
    testFraction: Double = 0.2, splitSeed: UInt64 = 0, inputScaler: FeatureScaler? = nil
  ) throws -> TrainingData {
    var train: Dataset, test: Dataset
    var scaler: FeatureScaler?
    switch source.lowercased() {
    case "digits":
      train = try Dataset.digits(split: .train, dataDirectory: dataDirectory)
      test = try Dataset.digits(split: .test, dataDirectory: dataDirectory)
      scaler = try FeatureScaler.dividing(by: 16, columns: train.featureCount)
    case "fashion-mnist", "fashion_mnist", "fashionmnist":
      train = try Dataset.fashionMNIST(split: .train, directory: dataDirectory)
      test = try Dataset.fashionMNIST(split: .test, directory: dataDirectory)
    default:
      let url = URL(fileURLWithPath: source)
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw DataError.datasetMissing(
          name: source, reason: "it is neither a built-in data set (\(builtInSources.joined(separator: ", "))) nor an existing CSV file",
          hint: "pass --dataset digits, --dataset fashion-mnist (apt-get install dataset-fashion-mnist, or --data-dir DIR), or a path to a CSV file")
      }
      let all = try Dataset.csv(contentsOf: url, task: task, labelColumn: labelColumn)
      guard testFraction > 0, testFraction < 1 else {
        throw TensorError.invalidArgument(op: "TrainingData", message: "test fraction must be in (0, 1), got \(testFraction)")
      }
      (train, test) = try all.split(validationFraction: testFraction, seed: splitSeed, stratified: task == .classification)
      scaler = FeatureScaler.standardization(fittedTo: train)
    }
    // Refuse empty parts here, naming them: training or evaluating 0 samples "succeeds" with
    // a meaningless 0% otherwise.
    for (name, part) in [("training", train), ("test", test)] where part.count == 0 {
      let other = name == "training" ? test.count : train.count
      throw DataError.malformed(
        path: source, reason: "the \(name) split is empty (0 samples; the other split has \(other))"
          + (builtInSources.contains(source.lowercased()) ? "" : "; use more rows or another --test-fraction than \(testFraction)"))
    }
    if let inputScaler {
      guard inputScaler.columnCount == train.featureCount else {
        throw DataError.malformed(
          path: source, reason: "has \(train.featureCount) features but the model's saved input scaler expects \(inputScaler.columnCount)")
      }
      scaler = inputScaler
    }
    if let scaler {
      train = try scaler.transform(train)
      test = try scaler.transform(test)
    }
    var pipeline = [SavedModel.datasetKey: source, SavedModel.taskKey: task == .classification ? "classification" : "regression"]
    if !builtInSources.contains(source.lowercased()) {
      pipeline[SavedModel.labelColumnKey] = labelColumn.optionValue
      pipeline[SavedModel.testFractionKey] = String(testFraction)
      pipeline[SavedModel.splitSeedKey] = String(splitSeed)
    }
    return TrainingData(source: source, train: train, test: test, inputScaler: scaler, pipelineMetadata: pipeline)
  }

  /// Input features per sample.
  public var featureCount: Int { train.featureCount }
  /// The shape of one sample (`[1, 8, 8]` for digits, `[1, 28, 28]` for Fashion-MNIST,
  /// `[features]` for CSV rows): the input shape `--arch` networks are built for.
  public var sampleShape: [Int] { train.sampleShape }
  /// Outputs the model needs: classes, or regression targets.
  public var outputCount: Int { train.task == .classification ? train.classCount : train.targetCount }

  /// A sensible MLP for the source: 64-128-64-10 for digits, 784-256-128-10 for Fashion-MNIST,
  /// features-64-outputs otherwise.
  public var defaultLayerSizes: [Int] {
    switch source.lowercased() {
    case "digits": return [featureCount, 128, 64, outputCount]
    case "fashion-mnist", "fashion_mnist", "fashionmnist": return [featureCount, 256, 128, outputCount]
    default: return [featureCount, 64, outputCount]
    }
  }
}

extension LabelColumn {
  /// The column as the command line writes it: `-1` for the last, `0` for the first, an index,
  /// or a header name.
  public var optionValue: String {
    switch self {
    case .last: return "-1"
    case .first: return "0"
    case let .index(i): return String(i)
    case let .name(name): return name
    }
  }
}
