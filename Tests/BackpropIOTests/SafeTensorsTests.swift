import BackpropCore
import Foundation
import Testing
import _BackpropTestSupport

@testable import BackpropIO

@Suite struct SafeTensorsTests {
  @Test func readsAFileWrittenByTheReferenceImplementation() throws {
    let file = try SafeTensorsFile(contentsOf: fixtures.appendingPathComponent("reference.safetensors"))
    #expect(file.metadata["format"] == "pt")
    #expect(try file.floats(named: "weight") == [1.5, -2, 0.25, 3, 4, -0.5])
    #expect(try file.shape(named: "weight") == [2, 3])
    #expect(try file.doubles(named: "bias") == [0.1, 0.2])
    #expect(try file.floats(named: "half") == [1, -0.5, 65504, 0x1p-14])
    #expect(try file.floats(named: "brain") == [1, -3, 0.15625])
    #expect(try file.integers(named: "steps") == [7, -1])
    #expect(try file.shape(named: "scalar") == [] && file.floats(named: "scalar") == [2.5])
    #expect(throws: TensorError.self) { try file.floats(named: "steps") }
    #expect(throws: TensorError.self) { try file.floats(named: "missing") }
  }

  @Test func roundTripsThroughAnAtomicWrite() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    let original = try SafeTensorsFile(
      tensors: [
        "layer.0.weight": SafeTensor(floats: [1, 2, 3, 4, 5, 6], shape: [2, 3]),
        "layer.0.bias": SafeTensor(doubles: [-1.25, .pi], shape: [2]),
        "half": SafeTensor(floats: [0.5, -2, 1e-7], shape: [3], dtype: .float16),
        "bf": SafeTensor(floats: [3, 1.0 / 3], shape: [2], dtype: .bfloat16),
        "step": SafeTensor(integers: [42], shape: []),
        "empty": SafeTensor(floats: [], shape: [0, 4]),
        "weird \"name\"\n\u{1}é": SafeTensor(dtype: .uint8, shape: [1], bytes: [9]),
      ],
      metadata: ["epoch": "3", "quote\"d": "line\nbreak"])
    let url = dir.file("model.safetensors")
    try original.write(to: url)
    let bytes = try [UInt8](Data(contentsOf: url))
    let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
    #expect(headerLength % 8 == 0, "header padded to 8 bytes")
    let decoded = try SafeTensorsFile(contentsOf: url)
    #expect(decoded == original)
    #expect(try decoded.floats(named: "half") == [0.5, -2, float(fromHalfBits: 2)])  // 1e-7 ≈ 1.68 × 2^-24
    #expect(try decoded.doubles(named: "layer.0.bias") == [-1.25, .pi])
    #expect(try original.encoded() == bytes, "encoding is deterministic")
    // Writing again replaces the file and leaves no temporary files behind.
    try SafeTensorsFile(tensors: [:], metadata: ["k": "v"]).write(to: url)
    #expect(try SafeTensorsFile(contentsOf: url).metadata == ["k": "v"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["model.safetensors"])
  }

  @Test func reservedNameCannotBeWritten() throws {
    let file = try SafeTensorsFile(tensors: ["__metadata__": SafeTensor(floats: [1], shape: [1])])
    #expect(throws: TensorError.self) { try file.encoded() }
  }

  /// A file from a header string and a data buffer.
  static func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    return littleEndianBytes([length ?? UInt64(h.count)]) + h + data
  }

  static let four = [UInt8](repeating: 0, count: 4)
  static let malformed: [(String, [UInt8], String)] = [
    ("short", [1, 2, 3], "truncated: 3 bytes, shorter than the 8-byte header length"),
    ("length past end", file("{}", length: 100), "header length 100 is larger than the 2 bytes after it"),
    ("absurd length", file("{}", length: 200_000_000), "too large: header length 200000000 is over the limit"),
    ("not utf8", littleEndianBytes([UInt64(3)]) + [0x7B, 0xFF, 0x7D], "the header is not valid UTF-8"),
    ("not json", file("{\"a\": }"), "invalid JSON header at byte 6"),
    ("not an object", file("[1, 2]"), "the header is an array, not a JSON object"),
    ("empty header", file(""), "invalid JSON header at byte 0: unexpected end of JSON"),
    ("duplicate", file(#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, data: [1, 2]), "duplicate key \"w\""),
    ("escaped duplicate", file(#"{"w":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"\u0077":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}"#), "duplicate key \"w\""),
    ("unknown dtype", file(#"{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#), "tensor 'w': unknown dtype 'F128'"),
    ("missing shape", file(#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, data: four), "tensor 'w': missing \"shape\""),
    ("negative shape", file(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: four), "shape element -1 is not a non-negative integer"),
    ("fractional shape", file(#"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, data: four), "shape element 1.0 is not"),
    ("huge shape", file(#"{"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}"#, data: four), "shape element 99999999999999999999"),
    ("overflowing shape", file(#"{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, data: four), "too large: tensor 'w': shape [4294967296, 4294967296] of F64 overflows"),
    ("offsets reversed", file(#"{"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}"#, data: four), "data_offsets [4, 0] are out of order"),
    ("offsets not a pair", file(#"{"w":{"dtype":"U8","shape":[4],"data_offsets":[0]}}"#, data: four), "\"data_offsets\" is not [begin, end]"),
    ("size mismatch", file(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: four), "data_offsets [0, 4] hold 4 bytes, but shape [2] of F32 needs 8"),
    ("past the end", file(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: four), "data_offsets end 8 is past the end of the 4-byte data buffer"),
    ("overlap", file(#"{"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, data: four), "tensors 'a' and 'b' overlap"),
    ("gap", file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, data: four), "1 bytes before tensor 'b' belong to no tensor"),
    ("uncovered tail", file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, data: four), "the last 2 bytes of the data buffer belong to no tensor"),
    ("bad metadata", file(#"{"__metadata__":{"k":1}}"#), "__metadata__ value for 'k' is a number, not a string"),
    ("deep nesting", file(String(repeating: "[", count: 10_000)), "nested more than 64 levels deep"),
    ("trailing text", file("{} x"), "unexpected text after the JSON value"),
  ]

  @Test(arguments: malformed)
  func rejectsMalformedFiles(name: String, bytes: [UInt8], message: String) {
    let error = expectDataError { _ = try SafeTensorsFile(decoding: bytes, path: "m.safetensors") }
    #expect(error?.path == "m.safetensors", "\(name)")
    #expect(error?.description.contains(message) == true, "\(name): \(error?.description ?? "nil")")
  }

  @Test func acceptsOutOfOrderEntriesThatTileTheBuffer() throws {
    let bytes = Self.file(#"{"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}  "#, data: [1, 2, 3, 4])
    let file = try SafeTensorsFile(decoding: bytes)
    #expect(try file.integers(named: "a") == [1, 2] && file.integers(named: "b") == [3, 4])
  }

  @Test func randomlyDamagedFilesNeverCrash() throws {
    let good = try SafeTensorsFile(
      tensors: ["w": SafeTensor(floats: [1, 2, 3], shape: [3]), "b": SafeTensor(doubles: [4], shape: [1])],
      metadata: ["a": "b"]
    ).encoded()
    var generator = SeededGenerator(seed: 11)
    for _ in 0..<1000 {
      var bytes = good
      for _ in 0..<(1 + Int(generator.next() % 4)) {
        bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
      }
      do { _ = try SafeTensorsFile(decoding: bytes) } catch is DataError {} catch { Issue.record("unexpected \(error)") }
    }
  }

  @Test func halfPrecisionMatchesTheHardwareConversion() {
    #if !(os(macOS) && arch(x86_64))
      // Every half converts exactly to Float and back.
      for bits in UInt16.min...UInt16.max {
        let reference = Float16(bitPattern: bits)
        let value = float(fromHalfBits: bits)
        if reference.isNaN { #expect(value.isNaN); continue }
        #expect(value == Float(reference), "\(bits)")
        #expect(halfBits(from: value) == bits, "\(bits)")
      }
      // Rounding from Float, including ties, subnormals and overflow.
      var generator = SeededGenerator(seed: 3)
      for _ in 0..<20_000 {
        let x = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()) & 0xC7FF_FFFF)
        guard !x.isNaN else { continue }
        #expect(halfBits(from: x) == Float16(x).bitPattern, "\(x)")
      }
      for x: Float in [65504, 65519.99, 65520, 1e-8, 0x1p-25, 0x1.8p-24, 2049, 2051, -0.0] {
        #expect(halfBits(from: x) == Float16(x).bitPattern, "\(x)")
      }
    #endif
    #expect(bfloat16Bits(from: 1) == 0x3F80)
    #expect(bfloat16Bits(from: Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie to even
    #expect(bfloat16Bits(from: Float(bitPattern: 0x3F81_8000)) == 0x3F82)
  }
}
