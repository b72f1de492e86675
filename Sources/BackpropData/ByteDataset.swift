extension Dataset {
  /// Makes a classification data set whose features are bytes, such as image pixels, kept as
  /// bytes (a quarter of the memory of `Float`s) and decoded as `Float(pixel) / pixelScale`
  /// whenever rows are read.
  ///
  /// The data set behaves exactly like
  /// `Dataset(name:features: pixels.map { Float($0) / pixelScale }, featureCount:labels:...)`:
  /// the same batches, rows, subsets, splits and scaled values, and it compares equal to it.
  /// Only `features`, which returns every value at once, costs `Float` memory on each read.
  ///
  /// - Parameters:
  ///   - pixels: row-major `labels.count × featureCount` bytes.
  ///   - pixelScale: each byte is divided by this; 255 maps 0...255 onto [0, 1], 1 keeps raw values.
  ///   - classCount: defaults to the largest label plus one.
  /// - Throws: `TensorError.invalidArgument` when `pixelScale` is not positive and finite,
  ///   `pixels.count` is not `labels.count × featureCount`, a label is outside
  ///   `0..<classCount`, or the name lists have the wrong length; the message gives the sizes.
  public init(
    name: String, pixels: [UInt8], pixelScale: Float = 255, featureCount: Int, labels: [Int],
    classCount: Int? = nil, featureNames: [String]? = nil, classNames: [String]? = nil
  ) throws {
    guard pixelScale > 0, pixelScale.isFinite else {
      throw Self.invalid("pixelScale must be positive and finite, got \(pixelScale)")
    }
    try self.init(
      name: name, storage: .bytes(pixels, ByteDecoder(dividingBy: pixelScale)), featureCount: featureCount,
      labels: labels, classCount: classCount, featureNames: featureNames, classNames: classNames)
  }
}
