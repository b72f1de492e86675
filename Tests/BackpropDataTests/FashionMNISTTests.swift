import Foundation
import Testing
import _BackpropTestSupport

@testable import BackpropData

@Suite struct FashionMNISTTests {
  /// Writes a miniature Fashion-MNIST (2 images of 2×2 per split) with un-gzipped names.
  static func writeMiniature(in dir: TemporaryDirectory, imageDims: [Int] = [2, 2, 2], labels: [UInt8] = [9, 0])
    throws
  {
    for split in DataSplit.allCases {
      let names = FashionMNIST.fileNames(for: split)
      let pixels = (0..<imageDims.reduce(1, *)).map { UInt8($0 * 17 % 256) }
      _ = try dir.write(IDXArray(dataType: .uint8, shape: imageDims, bytes: pixels).encoded(), to: names.images)
      _ = try dir.write(IDXArray(dataType: .uint8, shape: [labels.count], bytes: labels).encoded(), to: names.labels)
    }
  }

  @Test func loadsFromAGivenDirectoryWithUncompressedNames() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    try Self.writeMiniature(in: dir)
    let train = try Dataset.fashionMNIST(split: .train, directory: dir.url)
    #expect(train.name == "fashion-mnist/train")
    #expect(train.count == 2 && train.featureCount == 4 && train.classCount == 10)
    #expect(train.labels == [9, 0])
    #expect(train.classNames?[9] == "Ankle boot")
    #expect(train.sampleShape == [1, 2, 2], "count × 2 × 2 images are one-channel [1, 2, 2] samples")
    #expect(train.features == [0, 17, 34, 51, 68, 85, 102, 119].map { Float($0) / 255 })
    #expect(train.storesFeaturesAsBytes, "pixels stay bytes until a batch is gathered")
    #expect(train.batch([1]).features == [68, 85, 102, 119].map { Float($0) / 255 })
  }

  @Test func byteImagesLoadAsBytesWiderTypesAsFloats() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    let labels = try dir.write(IDXArray(dataType: .uint8, shape: [2], bytes: [1, 0]).encoded(), to: "labels")
    let pixels: [UInt8] = [0, 1, 127, 128, 200, 255]
    func load(_ type: IDXDataType, _ bytes: [UInt8], compressed: Bool = false, scale: Float = 255) throws -> Dataset {
      let encoded = try IDXArray(dataType: type, shape: [2, 3], bytes: bytes).encoded()
      let images = try dir.write(compressed ? try Gzip.compress(encoded) : encoded, to: "images-\(type)-\(compressed)")
      return try Dataset.idx(images: images, labels: labels, name: "t", pixelScale: scale)
    }
    let unsigned = try load(.uint8, pixels)
    #expect(unsigned.storesFeaturesAsBytes)
    #expect(unsigned.features.map(\.bitPattern) == pixels.map { (Float($0) / 255).bitPattern })
    #expect(try load(.uint8, pixels, compressed: true) == unsigned, "gzip'd and raw files load alike")
    let signed = try load(.int8, pixels, scale: 2)
    #expect(signed.storesFeaturesAsBytes)
    #expect(signed.features == [0, 0.5, 63.5, -64, -28, -0.5])
    let wide = try load(.int16, pixels.flatMap { [0, $0] }, scale: 1)
    #expect(!wide.storesFeaturesAsBytes && wide.features == pixels.map(Float.init))
    #expect(wide == (try load(.uint8, pixels, scale: 1)), "same values, different storage: equal")
  }

  @Test func loadsFromTheFixturePair() throws {
    let data = try Dataset.idx(
      images: fixtures.appendingPathComponent("tiny-images-idx3-ubyte.gz"),
      labels: fixtures.appendingPathComponent("tiny-labels-idx1-ubyte"), name: "tiny")
    #expect(data.count == 3 && data.featureCount == 6 && data.classCount == 3)
    #expect(data.features(at: 1).first == 1)
    #expect(data.features.allSatisfy { (0...1).contains($0) })
    #expect(data.storesFeaturesAsBytes)
  }

  @Test func missingDataSaysHowToInstallIt() throws {
    let error = expectDataError { _ = try Dataset.fashionMNIST(split: .test, directory: URL(fileURLWithPath: "/nonexistent/fm")) }
    let message = error?.description ?? ""
    #expect(!message.contains("\n"))
    #expect(message.contains("apt-get install dataset-fashion-mnist"))
    #expect(message.contains("--data-dir"))
    #expect(message.contains("/nonexistent/fm"))
    #expect(message.contains("t10k-images-idx3-ubyte"))
  }

  @Test func inconsistentFilesAreRejected() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    try Self.writeMiniature(in: dir, labels: [1, 2, 3])
    var error = expectDataError { _ = try Dataset.fashionMNIST(split: .train, directory: dir.url) }
    #expect(error?.description.contains("3 labels for 2 images") == true)

    try Self.writeMiniature(in: dir, labels: [1, 12])
    error = expectDataError { _ = try Dataset.fashionMNIST(split: .train, directory: dir.url) }
    #expect(error?.description.contains("label 12 of sample 1 is outside 0..<10") == true)

    try Self.writeMiniature(in: dir, imageDims: [2])
    error = expectDataError { _ = try Dataset.fashionMNIST(split: .train, directory: dir.url) }
    #expect(error?.description.contains("wrong rank 1") == true)
  }

  static let installed = FileManager.default.fileExists(
    atPath: FashionMNIST.defaultDirectory.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path)

  @Test(.enabled(if: installed, "needs `apt-get install dataset-fashion-mnist`"))
  func loadsTheInstalledDataSet() throws {
    let test = try Dataset.fashionMNIST(split: .test)
    #expect(test.count == 10_000 && test.featureCount == 784)
    #expect(Array(test.labels.prefix(10)) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    #expect(test.classCounts == [Int](repeating: 1000, count: 10))
    let train = try Dataset.fashionMNIST(split: .train)
    #expect(train.count == 60_000)
    #expect(train.storesFeaturesAsBytes && test.storesFeaturesAsBytes)
    #expect(Array(train.labels.prefix(10)) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
    // Sum of the first image's bytes, from NumPy: 76247.
    #expect(train.features(at: 0).reduce(0) { $0 + Double($1) * 255 }.rounded() == 76247)
    #expect(train.features.max() == 1 && train.features.min() == 0)
  }
}
