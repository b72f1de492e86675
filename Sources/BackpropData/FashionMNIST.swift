import Foundation

/// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 70,000 grayscale 28×28 images of clothing in
/// 10 classes, 60,000 for training and 10,000 for testing, in MNIST's IDX format.
///
/// Not shipped in the repository (30 MB); on Debian/Ubuntu `apt-get install
/// dataset-fashion-mnist` puts it in `defaultDirectory`. Load it with
/// `Dataset.fashionMNIST(split:directory:)`.
public enum FashionMNIST {
  /// Where the Debian package `dataset-fashion-mnist` installs the files.
  public static let defaultDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

  /// The class names, by label.
  public static let classNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  ]

  /// How to get the files, for error messages.
  public static let installHint = "run `apt-get install dataset-fashion-mnist` or pass --data-dir DIR"

  /// The file names of a split, without `.gz` (`train-images-idx3-ubyte`, ...).
  public static func fileNames(for split: DataSplit) -> (images: String, labels: String) {
    let prefix = split == .train ? "train" : "t10k"
    return ("\(prefix)-images-idx3-ubyte", "\(prefix)-labels-idx1-ubyte")
  }

  /// The image and label files of a split in `directory`, gzip'd (`.gz`) or not.
  ///
  /// - Throws: `DataError.datasetMissing`, whose one-line message says how to install the data.
  public static func files(for split: DataSplit, in directory: URL = defaultDirectory) throws
    -> (images: URL, labels: URL)
  {
    let names = fileNames(for: split)
    func find(_ name: String) throws -> URL {
      for candidate in [name + ".gz", name] {
        let url = directory.appendingPathComponent(candidate)
        if FileManager.default.fileExists(atPath: url.path) { return url }
      }
      throw DataError.datasetMissing(
        name: "Fashion-MNIST", reason: "no \(name).gz or \(name) in \(directory.path)", hint: installHint)
    }
    return (try find(names.images), try find(names.labels))
  }
}

extension Dataset {
  /// Loads one split of Fashion-MNIST: 784 features per image (28×28, row by row) scaled to
  /// [0, 1] by dividing by 255, and labels 0...9 (see `FashionMNIST.classNames`).
  ///
  /// The pixels are kept as bytes (`storesFeaturesAsBytes`): 47 MB for the training split
  /// instead of 188 MB of `Float`s; batches decode their rows as they are gathered.
  ///
  /// - Parameter directory: where the four IDX files are; defaults to `FashionMNIST.defaultDirectory`.
  /// - Throws: `DataError.datasetMissing` ("... run `apt-get install dataset-fashion-mnist` or
  ///   pass --data-dir DIR") when the files are not there; other `DataError`s for damaged files.
  public static func fashionMNIST(split: DataSplit, directory: URL? = nil) throws -> Dataset {
    let files = try FashionMNIST.files(for: split, in: directory ?? FashionMNIST.defaultDirectory)
    return try idx(
      images: files.images, labels: files.labels, name: "fashion-mnist/\(split.rawValue)",
      classCount: 10, classNames: FashionMNIST.classNames)
  }

  /// Loads an MNIST-style pair of IDX files: images of rank ≥ 2 (`count × ...`, flattened per
  /// sample) and labels of rank 1 with the same count. The sample shape (`sampleShape`) is
  /// `[1, rows, columns]` for rank-3 images, else the dimensions after the count.
  ///
  /// Images of bytes (`uint8`, `int8`) are kept as bytes and decoded per batch
  /// (`storesFeaturesAsBytes`); wider types are converted to `Float`s as they load.
  ///
  /// - Parameters:
  ///   - pixelScale: each image element is divided by this (255 maps bytes onto [0, 1]; pass 1
  ///     to keep raw values).
  ///   - classCount: defaults to the largest label plus one.
  /// - Throws: `DataError` naming the file: missing, damaged, wrong rank, counts that disagree,
  ///   labels outside `0..<classCount`.
  public static func idx(
    images: URL, labels: URL, name: String, classCount: Int? = nil, classNames: [String]? = nil,
    pixelScale: Float = 255
  ) throws -> Dataset {
    guard pixelScale > 0, pixelScale.isFinite else {
      throw TensorError.invalidArgument(op: "Dataset.idx", message: "pixelScale must be positive, got \(pixelScale)")
    }
    let imageArray = try IDXArray(contentsOf: images)
    let labelArray = try IDXArray(contentsOf: labels)
    guard imageArray.shape.count >= 2 else {
      throw DataError.malformed(
        path: images.path, reason: "wrong rank \(imageArray.shape.count): images need rank 3 (count × rows × columns)")
    }
    guard labelArray.shape.count == 1 else {
      throw DataError.malformed(path: labels.path, reason: "wrong rank \(labelArray.shape.count): labels need rank 1")
    }
    let count = imageArray.shape[0]
    guard labelArray.shape[0] == count else {
      throw DataError.malformed(
        path: labels.path, reason: "\(labelArray.shape[0]) labels for \(count) images in \(images.path)")
    }
    let featureCount = imageArray.shape.dropFirst().reduce(1, *)
    guard featureCount > 0 else {
      throw DataError.malformed(path: images.path, reason: "images of shape \(imageArray.shape) have no pixels")
    }
    // Byte images stay bytes (shared with the decoded file, not copied), decoded per batch.
    let storage: FeatureStorage
    switch imageArray.dataType {
    case .uint8: storage = .bytes(imageArray.bytes, ByteDecoder(dividingBy: pixelScale))
    case .int8: storage = .bytes(imageArray.bytes, ByteDecoder { Float(Int8(bitPattern: $0)) / pixelScale })
    default: storage = .floats(imageArray.floats().map { $0 / pixelScale })
    }
    let labelValues: [Int]
    do { labelValues = try labelArray.integers() } catch {
      throw DataError.malformed(path: labels.path, reason: "labels must be whole numbers")
    }
    let classes = classCount ?? ((labelValues.max() ?? -1) + 1)
    guard classes > 0 else { throw DataError.malformed(path: labels.path, reason: "no samples") }
    if let index = labelValues.firstIndex(where: { !(0..<classes).contains($0) }) {
      throw DataError.malformed(
        path: labels.path, reason: "label \(labelValues[index]) of sample \(index) is outside 0..<\(classes)")
    }
    // count × rows × columns images are one-channel [1, rows, columns] samples (NCHW).
    let dims = Array(imageArray.shape.dropFirst())
    return try Dataset(
      name: name, storage: storage, featureCount: featureCount, labels: labelValues, classCount: classes,
      featureNames: nil, classNames: classNames
    ).withSampleShape(dims.count == 2 ? [1] + dims : dims)
  }
}
