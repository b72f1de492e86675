import Foundation
import Testing

@testable import BackpropData

/// Data sets that keep their features as bytes give exactly what the equivalent `[Float]` data
/// set gives: rows, batches, subsets, splits, scaler fits and scaled values.
@Suite struct ByteStorageTests {
  static let featureCount = 5
  static let labels = [0, 1, 2, 1, 0, 2, 2, 1, 0, 1, 2, 0, 1]

  /// Seeded bytes covering 0 and 255, with columns of different spread (so that per-column
  /// scalers differ by column) and one constant column.
  static let pixels: [UInt8] = {
    var generator = SeededGenerator(seed: 31)
    var pixels = [UInt8]()
    for row in 0..<labels.count {
      for column in 0..<featureCount {
        switch column {
        case 0: pixels.append(row == 0 ? 0 : row == 1 ? 255 : UInt8(truncatingIfNeeded: generator.next()))
        case 1: pixels.append(UInt8(truncatingIfNeeded: generator.next() % 16))
        case 2: pixels.append(200 + UInt8(truncatingIfNeeded: generator.next() % 50))
        case 3: pixels.append(7)
        default: pixels.append(UInt8(truncatingIfNeeded: generator.next()))
        }
      }
    }
    return pixels
  }()

  static func pair(pixelScale: Float = 255) throws -> (bytes: Dataset, floats: Dataset) {
    let bytes = try Dataset(
      name: "b", pixels: pixels, pixelScale: pixelScale, featureCount: featureCount, labels: labels, classCount: 3)
    let floats = try Dataset(
      name: "b", features: pixels.map { Float($0) / pixelScale }, featureCount: featureCount, labels: labels,
      classCount: 3)
    return (bytes, floats)
  }

  /// Bit patterns, so that the comparison is exact (no tolerance, and -0 differs from +0).
  static func bits<S: Sequence>(_ values: S) -> [UInt32] where S.Element == Float { values.map(\.bitPattern) }

  @Test func storesBytesAndReadsTheSameValues() throws {
    let (bytes, floats) = try Self.pair()
    #expect(bytes.storesFeaturesAsBytes && !floats.storesFeaturesAsBytes)
    #expect(bytes.count == floats.count && bytes.featureCount == floats.featureCount)
    #expect(Self.bits(bytes.features) == Self.bits(floats.features))
    #expect(bytes.features[1 * Self.featureCount] == 1, "byte 255 / 255")
    for i in 0..<bytes.count {
      #expect(Self.bits(bytes.features(at: i)) == Self.bits(floats.features(at: i)), "row \(i)")
    }
    #expect(bytes == floats, "equal values compare equal across storages")
    var other = Self.pixels
    other[7] ^= 1
    let changed = try Dataset(name: "b", pixels: other, featureCount: Self.featureCount, labels: Self.labels, classCount: 3)
    #expect(changed != floats && changed != bytes)
    let raw = try Self.pair(pixelScale: 1)
    #expect(raw.bytes.features == Self.pixels.map(Float.init) && raw.bytes == raw.floats)
  }

  @Test func batchesAreIdentical() throws {
    let (bytes, floats) = try Self.pair()
    let sampler = try BatchSampler(sampleCount: bytes.count, batchSize: 4, seed: 3)
    for epoch in 0..<3 {
      for indices in sampler.batches(epoch: epoch) {
        let (a, b) = (bytes.batch(indices), floats.batch(indices))
        #expect(a == b)
        #expect(Self.bits(a.features) == Self.bits(b.features))
      }
    }
    #expect(bytes.batch([12, 0, 12]) == floats.batch([12, 0, 12]), "repeats and the last row")
    #expect(bytes.batch([Int]()).features.isEmpty)
  }

  @Test func subsetsAndSplitsStayBytesWithTheSameValues() throws {
    let (bytes, floats) = try Self.pair()
    let indices = [12, 3, 3, 0, 7]
    let part = try bytes.subset(indices: indices)
    #expect(part.storesFeaturesAsBytes)
    #expect(part == (try floats.subset(indices: indices)))
    #expect(Self.bits(part.features) == Self.bits(try floats.subset(indices: indices).features))
    #expect(part.labels == indices.map { Self.labels[$0] })
    #expect(throws: TensorError.self) { try bytes.subset(indices: [13]) }

    for stratified in [true, false] {
      let a = try bytes.split(validationFraction: 0.3, seed: 11, stratified: stratified)
      let b = try floats.split(validationFraction: 0.3, seed: 11, stratified: stratified)
      #expect(a.train.storesFeaturesAsBytes && a.validation.storesFeaturesAsBytes)
      #expect(a.train == b.train && a.validation == b.validation)
      #expect(Self.bits(a.validation.features) == Self.bits(b.validation.features))
      #expect(a.train.name == "b/train")
    }
  }

  @Test func scalersFitAndTransformExactlyAsOnFloats() throws {
    let (bytes, floats) = try Self.pair()
    let fitted = [
      (FeatureScaler.standardization(fittedTo: bytes), FeatureScaler.standardization(fittedTo: floats)),
      (FeatureScaler.minMax(fittedTo: bytes), FeatureScaler.minMax(fittedTo: floats)),
    ]
    for (fromBytes, fromFloats) in fitted {
      #expect(fromBytes == fromFloats)
      let (a, b) = (try fromBytes.transform(bytes), try fromFloats.transform(floats))
      #expect(a.storesFeaturesAsBytes, "a per-column affine map of bytes stays bytes")
      #expect(Self.bits(a.features) == Self.bits(b.features))
      #expect(a == b)
      let indices = [4, 2, 9]
      #expect(a.batch(indices) == b.batch(indices))
      #expect(Self.bits(a.features(at: 6)) == Self.bits(b.features(at: 6)))
      #expect(try a.subset(indices: indices) == (try b.subset(indices: indices)))
      // A second map on top of a per-column one, fitted to the already-scaled data.
      let again = FeatureScaler.minMax(fittedTo: a)
      #expect(again == FeatureScaler.minMax(fittedTo: b))
      #expect(Self.bits(try again.transform(a).features) == Self.bits(try again.transform(b).features))
    }
    #expect(FeatureScaler.standardization(fittedTo: bytes).scale[3] == 1, "the constant column")

    // One offset and scale for every column keeps one shared table of 256 values.
    let raw = try Self.pair(pixelScale: 1)
    let divide = try FeatureScaler.dividing(by: 255, columns: Self.featureCount)
    let divided = try divide.transform(raw.bytes)
    guard case let .bytes(_, decoder) = divided.storage else {
      Issue.record("dividing a byte data set left bytes storage")
      return
    }
    #expect(!decoder.isPerColumn)
    #expect(Self.bits(divided.features) == Self.bits(try divide.transform(raw.floats).features))
    #expect(Self.bits(divided.features) == Self.bits(bytes.features), "x / 255 either way")
  }

  @Test func dividingDecoderMatchesItsTable() {
    let all = (0...255).map(UInt8.init)
    for divisor: Float in [255, 16, 3, 1, 0.1, 7e-3, 1e30] {
      let computed = ByteDecoder(dividingBy: divisor), lookedUp = ByteDecoder { Float($0) / divisor }
      #expect(computed.divisor == divisor && lookedUp.divisor == nil)
      var a = [Float](repeating: 0, count: 256), b = a
      all.withUnsafeBufferPointer { bytes in
        a.withUnsafeMutableBufferPointer { computed.decode(bytes, columns: 1, into: $0.baseAddress!) }
        b.withUnsafeMutableBufferPointer { lookedUp.decode(bytes, columns: 1, into: $0.baseAddress!) }
      }
      #expect(Self.bits(a) == Self.bits(b), "divisor \(divisor)")
      #expect(Self.bits(a) == Self.bits(computed.table))
    }
  }

  @Test func mistakesAreThrownWithTheSizes() throws {
    func message(_ body: () throws -> Dataset) -> String {
      do {
        _ = try body()
        Issue.record("expected an error")
      } catch { return "\(error)" }
      return ""
    }
    #expect(message { try Dataset(name: "x", pixels: [1, 2, 3], featureCount: 2, labels: [0, 1]) }
      .contains("3 features are not 2 samples × 2"))
    #expect(message { try Dataset(name: "x", pixels: [1, 2], pixelScale: 0, featureCount: 2, labels: [0]) }
      .contains("pixelScale must be positive and finite, got 0"))
    #expect(message { try Dataset(name: "x", pixels: [1, 2], pixelScale: .nan, featureCount: 2, labels: [0]) }
      .contains("pixelScale"))
    #expect(message { try Dataset(name: "x", pixels: [1, 2], featureCount: 2, labels: [3], classCount: 2) }
      .contains("label 3 is outside 0..<2"))
    #expect(message { try Dataset(name: "x", pixels: [1, 2], featureCount: 0, labels: [0]) }
      .contains("featureCount must be positive, got 0"))
    let (bytes, _) = try Self.pair()
    let narrow = try FeatureScaler.dividing(by: 2, columns: 3)
    #expect(message { try narrow.transform(bytes) }.contains("scaler has 3 columns, data set 'b' has 5 features"))
    var edited = try FeatureScaler.dividing(by: 2, columns: 5)
    edited.scale.removeLast()
    #expect(message { try edited.transform(bytes) }.contains("scaler has 5 offsets but 4 scales"))
    #expect(throws: TensorError.self) { try edited.transform([1, 2, 3, 4, 5]) }
    #expect(throws: TensorError.self) { try edited.inverseTransform([1, 2, 3, 4, 5]) }
    let empty = try Dataset(name: "e", pixels: [], featureCount: 4, labels: [], classCount: 10)
    #expect(empty.count == 0 && empty.features.isEmpty && empty.batch([Int]()).count == 0)
  }
}
