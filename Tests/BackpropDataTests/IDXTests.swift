import Foundation
import Testing
import _BackpropTestSupport

@testable import BackpropData

@Suite struct IDXTests {
  @Test func readsGzippedFixture() throws {
    let images = try IDXArray(contentsOf: fixtures.appendingPathComponent("tiny-images-idx3-ubyte.gz"))
    #expect(images.dataType == .uint8)
    #expect(images.shape == [3, 2, 3])
    #expect(images.floats() == [0, 1, 2, 3, 4, 5, 255, 128, 0, 7, 8, 9, 10, 20, 30, 40, 50, 60])
  }

  @Test func readsRawFixture() throws {
    let labels = try IDXArray(contentsOf: fixtures.appendingPathComponent("tiny-labels-idx1-ubyte"))
    #expect(labels.shape == [3])
    #expect(try labels.integers() == [2, 0, 1])
  }

  @Test(arguments: IDXDataType.allCases, [false, true])
  func roundTripsEveryType(type: IDXDataType, compressed: Bool) throws {
    // Elements 1, 2, 3, 4 stored big-endian (right-aligned in each word), or as IEEE bits.
    var payload = [UInt8]()
    for v in 1...4 {
      switch type {
      case .float32: payload += bigEndian(Float(v).bitPattern)
      case .float64: payload += bigEndian(UInt32(Double(v).bitPattern >> 32)) + bigEndian(0)
      default: payload += [UInt8](repeating: 0, count: type.byteWidth - 1) + [UInt8(v)]
      }
    }
    let array = try IDXArray(dataType: type, shape: [2, 2], bytes: payload)
    let file = compressed ? try Gzip.compress(array.encoded()) : array.encoded()
    let decoded = try IDXArray(decoding: file)
    #expect(decoded == array)
    #expect(decoded.floats() == [1, 2, 3, 4])
    #expect(try decoded.integers() == [1, 2, 3, 4])
  }

  @Test func decodingLeavesTheCallersBytesAlone() throws {
    // A raw file's elements reuse the file's array where nothing else holds it; a caller's
    // array must still be left as it was.
    let array = try IDXArray(dataType: .uint8, shape: [2, 3], bytes: [1, 2, 3, 4, 5, 6])
    let file = array.encoded()
    let copy = file
    #expect(try IDXArray(decoding: file) == array)
    #expect(file == copy && file.count == 4 + 2 * 4 + 6)
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    #expect(try IDXArray(contentsOf: try dir.write(file, to: "raw")) == array)
  }

  @Test func negativeIntegersDecode() throws {
    let array = try IDXArray(dataType: .int16, shape: [2], bytes: [0xFF, 0xFE, 0x01, 0x00])
    #expect(try array.integers() == [-2, 256])
    #expect(try IDXArray(dataType: .int8, shape: [1], bytes: [0x80]).floats() == [-128])
  }

  @Test func missingFileNamesThePath() throws {
    let error = expectDataError { _ = try IDXArray(contentsOf: URL(fileURLWithPath: "/no/such/images.idx")) }
    #expect(error == .fileNotFound(path: "/no/such/images.idx", hint: nil))
    #expect(error?.description == "/no/such/images.idx: no such file")
  }

  /// A valid header for shape `dims` of `type`, then `payload` bytes of data.
  static func file(type: UInt8 = 0x08, dims: [UInt32], payload: Int) -> [UInt8] {
    [0, 0, type, UInt8(dims.count)] + dims.flatMap(bigEndian) + [UInt8](repeating: 7, count: payload)
  }

  static let malformedCases: [(String, [UInt8], String)] = [
    ("empty", [], "truncated"),
    ("short magic", [0, 0, 8], "shorter than the 4-byte IDX magic"),
    ("wrong magic", Array("PK\u{3}\u{4}rest".utf8), "wrong magic 50 4b 03 04"),
    ("unknown type", [0, 0, 0x07, 1, 0, 0, 0, 1, 5], "unknown IDX element type 0x07"),
    ("rank 0", [0, 0, 8, 0], "wrong rank 0"),
    ("header cut", [0, 0, 8, 3, 0, 0, 0, 2], "declares 3 dimensions but ends after 1"),
    ("payload short", file(dims: [2, 3], payload: 5), "needs 6 bytes of data, found 5"),
    ("payload long", file(dims: [2, 3], payload: 7), "more data than shape [2, 3]"),
    ("huge sizes", file(dims: [.max, .max, .max], payload: 4), "too large"),
    ("wide type overflow", file(type: 0x0E, dims: [1 << 31, 1 << 31], payload: 0), "too large"),
  ]

  @Test(arguments: malformedCases)
  func rejectsMalformedFiles(name: String, bytes: [UInt8], message: String) throws {
    for compressed in [false, true] {
      let input = compressed && !bytes.isEmpty ? try Gzip.compress(bytes) : bytes
      let error = expectDataError { _ = try IDXArray(decoding: input, path: "bad.idx") }
      #expect(error?.path == "bad.idx", "\(name)")
      #expect(error?.description.contains(message) == true, "\(name): \(error?.description ?? "")")
    }
  }

  @Test func refusesDeclaredSizesOverTheLimitBeforeReadingThem() throws {
    let bytes = Self.file(dims: [100, 100], payload: 10_000)
    let error = expectDataError { _ = try IDXArray(decoding: bytes, path: "big.idx", maxBytes: 9_999) }
    #expect(error?.description.contains("more than the limit of 9999 bytes") == true)
  }

  @Test func compressedBombStopsAtTheDeclaredSize() throws {
    // 8 MB of zeros compresses to ~8 KB; a header claiming 16 bytes must stop inflation early.
    let bomb = try Gzip.compress(Self.file(dims: [16], payload: 0) + [UInt8](repeating: 0, count: 8 << 20))
    #expect(bomb.count < 20_000)
    let error = expectDataError { _ = try IDXArray(decoding: bomb, path: "bomb.idx.gz") }
    #expect(error?.description.contains("more data than shape [16]") == true)
    let plain = expectDataError { _ = try Gzip.decompress(bomb, path: "bomb.gz", maxOutputBytes: 1 << 20) }
    #expect(plain == .tooLarge(path: "bomb.gz", reason: "decompresses to more than the limit of 1048576 bytes"))
  }

  @Test func corruptGzipIsReported() throws {
    let good = try Gzip.compress(Self.file(dims: [64], payload: 0) + (0..<64).map { UInt8($0 * 37 % 251) })
    var flipped = good
    flipped[good.count / 2] ^= 0xFF
    var badChecksum = good
    badChecksum[good.count - 6] ^= 0x01  // inside the CRC-32 of the trailer
    for (bytes, kinds) in [
      (Array(good.prefix(good.count - 3)), ["truncated"]),
      (flipped, ["corrupt gzip data", "truncated", "wrong magic", "more data", "needs"]),
      (badChecksum, ["corrupt gzip data: incorrect data check"]),
      (good + [1, 2, 3], ["3 bytes of trailing garbage"]),
    ] {
      let error = expectDataError { _ = try IDXArray(decoding: bytes, path: "x.gz") }
      #expect(kinds.contains { error?.description.contains($0) == true }, "\(error?.description ?? "")")
    }
  }

  @Test func concatenatedGzipMembersAndZeroPaddingAreAccepted() throws {
    let array = try IDXArray(dataType: .uint8, shape: [4], bytes: [1, 2, 3, 4])
    let encoded = array.encoded()
    let twoMembers = try Gzip.compress(Array(encoded.prefix(6))) + Gzip.compress(Array(encoded.dropFirst(6))) + [0, 0]
    #expect(try IDXArray(decoding: twoMembers) == array)
  }

  /// Random damage to valid files must always end in a thrown error or a value, never a crash.
  @Test func randomlyDamagedFilesNeverCrash() throws {
    var generator = SeededGenerator(seed: 7)
    let array = try IDXArray(dataType: .int16, shape: [3, 5], bytes: (0..<30).map { UInt8($0) })
    for original in [array.encoded(), try Gzip.compress(array.encoded())] {
      for _ in 0..<400 {
        var bytes = original
        for _ in 0..<(1 + Int(generator.next() % 3)) {
          switch generator.next() % 3 {
          case 0: bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
          case 1: bytes.removeLast(Int(generator.next() % UInt64(bytes.count)))
          default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: Int(generator.next() % UInt64(bytes.count + 1)))
          }
          if bytes.isEmpty { break }
        }
        do { _ = try IDXArray(decoding: bytes) } catch is DataError {} catch { Issue.record("unexpected \(error)") }
      }
    }
  }
}
