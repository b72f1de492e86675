import Foundation

/// The small data sets shipped in the repository's `Data/` directory, and how to find it.
///
/// - `digits.csv.gz`: UCI optical recognition of handwritten digits, 1,797 8×8 images (pixel
///   values 0...16) in 10 classes.
/// - `diabetes.csv.gz`: 442 patients, 10 baseline variables, and disease progression after one
///   year as the regression target (Efron et al. 2004).
///
/// `Data/README.md` credits the sources and licences; `Tools/make_datasets.py` regenerates them.
extension Dataset {
  /// The environment variable naming a directory to search first for shipped data.
  public static let dataDirectoryEnvironmentVariable = "BACKPROP_DATA_DIR"

  /// The seed of the fixed digits train/test split (see `digits(split:dataDirectory:)`).
  public static let digitsSplitSeed: UInt64 = 1797
  /// Samples in the digits test split.
  public static let digitsTestCount = 360

  /// Finds the shipped data file `name` (for example `"digits.csv.gz"`).
  ///
  /// Looks, in order, in:
  /// 1. `$BACKPROP_DATA_DIR/<name>`;
  /// 2. `<directory>/<name>` and `<directory>/Data/<name>`, for a directory the caller passes
  ///    (the command-line tool passes its bundle's resource directory);
  /// 3. `Data/<name>` in the current directory and each of its parents;
  /// 4. `Data/<name>` in the directory of the running executable and each of its parents (a
  ///    binary under `.build/` finds the repository's `Data/`).
  ///
  /// Returns `nil` when none exists.
  public static func locateShippedData(named name: String, in directory: URL? = nil) -> URL? {
    locateShippedData(
      named: name, in: directory, environment: ProcessInfo.processInfo.environment,
      currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
      executable: Bundle.main.executableURL?.resolvingSymlinksInPath())
  }

  /// `locateShippedData(named:in:)` with its inputs explicit, for tests.
  static func locateShippedData(
    named name: String, in directory: URL?, environment: [String: String], currentDirectory: URL?,
    executable: URL?
  ) -> URL? {
    var candidates: [URL] = []
    if let dir = environment[dataDirectoryEnvironmentVariable], !dir.isEmpty {
      candidates.append(URL(fileURLWithPath: dir).appendingPathComponent(name))
    }
    if let directory {
      candidates.append(directory.appendingPathComponent(name))
      candidates.append(directory.appendingPathComponent("Data").appendingPathComponent(name))
    }
    for start in [currentDirectory, executable?.deletingLastPathComponent()].compactMap({ $0 }) {
      var dir = start.standardizedFileURL
      while true {
        candidates.append(dir.appendingPathComponent("Data").appendingPathComponent(name))
        let parent = dir.deletingLastPathComponent()
        if parent.path == dir.path || dir.path == "/" { break }
        dir = parent
      }
    }
    var isDirectory: ObjCBool = false
    return candidates.first {
      FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
  }

  /// Finds a shipped file or throws `DataError.datasetMissing` saying where it looked.
  static func shippedFile(_ name: String, in directory: URL?) throws -> URL {
    guard let url = locateShippedData(named: name, in: directory) else {
      throw DataError.datasetMissing(
        name: name, reason: "not in $\(dataDirectoryEnvironmentVariable), the resource directory, or a Data/ directory above the current directory or the executable",
        hint: "set \(dataDirectoryEnvironmentVariable) to the repository's Data/ directory")
    }
    return url
  }

  /// All 1,797 UCI handwritten digits: 64 features (8×8 pixels, row by row, values 0...16,
  /// unscaled: divide by 16 or standardize) and labels 0...9; `sampleShape` is `[1, 8, 8]`.
  ///
  /// - Parameter dataDirectory: passed to `locateShippedData(named:in:)`.
  public static func digits(dataDirectory: URL? = nil) throws -> Dataset {
    let url = try shippedFile("digits.csv.gz", in: dataDirectory)
    var data = try csv(contentsOf: url, task: .classification, labelColumn: .name("label"), classCount: 10, name: "digits")
    data.classNames = (0...9).map(String.init)
    return try data.withSampleShape([1, 8, 8])  // 8×8 grey images, one channel (subsets keep it)
  }

  /// The fixed digits split: 1,437 training and 360 test samples.
  ///
  /// Stratified by class and drawn with `SeededGenerator(seed: digitsSplitSeed)` through
  /// `splitIndices(validationCount:seed:stratified:)`, which uses its own shuffle and bounded
  /// random integers, so the split is identical on every machine and toolchain without storing
  /// any index file. Both parts keep the file's sample order.
  public static func digits(split: DataSplit, dataDirectory: URL? = nil) throws -> Dataset {
    let all = try digits(dataDirectory: dataDirectory)
    let parts = try all.splitIndices(validationCount: digitsTestCount, seed: digitsSplitSeed, stratified: true)
    var part = try all.subset(indices: split == .train ? parts.train : parts.validation)
    part.name = "digits/\(split.rawValue)"
    return part
  }

  /// The diabetes regression data: 442 samples of 10 raw, unscaled features (age, sex, body
  /// mass index, mean blood pressure, six blood serum measurements s1–s6) and one target, a
  /// measure of disease progression one year after baseline (25...346).
  ///
  /// scikit-learn's `load_diabetes()` returns the same rows with features standardized;
  /// use `FeatureScaler.standardization(fittedTo:)` on a training part instead.
  public static func diabetes(dataDirectory: URL? = nil) throws -> Dataset {
    let url = try shippedFile("diabetes.csv.gz", in: dataDirectory)
    return try csv(contentsOf: url, task: .regression, labelColumn: .name("target"), name: "diabetes")
  }
}
