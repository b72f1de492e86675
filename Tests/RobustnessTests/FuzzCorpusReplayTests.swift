import Backprop
import Foundation
import Testing

/// Replays the fuzzers' seed corpora (Fuzz/corpus/) and any saved reproducers
/// (Fuzz/regressions/<target>/) through the readers with the same checks as the libFuzzer
/// targets, so the ordinary test suite catches a regression on any of them without libFuzzer.
/// Every input must either throw a `DataError`/`TensorError` or decode to a consistent value.
@Suite struct FuzzCorpusReplayTests {
  static let fuzzDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fuzz")

  /// The files of Fuzz/corpus/<target>/ and Fuzz/regressions/<target>/.
  static func inputs(_ target: String) throws -> [(String, [UInt8])] {
    var result: [(String, [UInt8])] = []
    for folder in ["corpus", "regressions"] {
      let dir = fuzzDirectory.appendingPathComponent(folder).appendingPathComponent(target)
      guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
      for name in names.sorted() where !name.hasPrefix(".") {
        result.append(("\(folder)/\(target)/\(name)", Array(try Data(contentsOf: dir.appendingPathComponent(name)))))
      }
    }
    return result
  }

  /// Either a decoded value, or an error of the library's own kinds that names the file.
  static func expectCleanError(_ error: Error, _ name: String, path: String) {
    switch error {
    case let e as DataError: #expect(e.path == path, "\(name): \(e)")
    case is TensorError: break
    default: Issue.record("\(name): unexpected error type \(type(of: error)): \(error)")
    }
  }

  @Test func idxSeeds() throws {
    let inputs = try Self.inputs("idx") + Self.inputs("idx-gzip")
    #expect(inputs.count >= 20)
    var accepted = 0
    for (name, bytes) in inputs {
      for data in [bytes, try Gzip.compress(bytes)] {
        do {
          let a = try IDXArray(decoding: data, path: name)
          #expect(a.count * a.dataType.byteWidth == a.bytes.count, "\(name)")
          #expect(a.floats().count == a.count, "\(name)")
          #expect(try IDXArray(decoding: a.encoded(), path: name) == a, "\(name)")
          accepted += 1
        } catch { Self.expectCleanError(error, name, path: name) }
      }
    }
    #expect(accepted >= 10)
  }

  @Test func csvSeeds() throws {
    let inputs = try Self.inputs("csv")
    #expect(inputs.count >= 15)
    let headers: [CSVOptions.Header] = [.auto, .present, .absent]
    let delimiters: [CSVOptions.Delimiter] = [.auto, .comma, .tab, .semicolon, .whitespace]
    var accepted = 0
    for (name, input) in inputs where !input.isEmpty {
      let options = CSVOptions(header: headers[Int(input[0]) % 3], delimiter: delimiters[(Int(input[0]) / 3) % 5])
      var text = Array(input.dropFirst())
      do {
        if Gzip.isCompressed(text) { text = try Gzip.decompress(text, path: name) }
        let t = try CSVTable(parsing: text, path: name, options: options)
        #expect(t.values.count == t.rowCount * t.columnCount && t.lineNumbers.count == t.rowCount, "\(name)")
        let finite = t.values.allSatisfy { $0.isFinite }
        #expect(finite, "\(name)")
        accepted += 1
      } catch { Self.expectCleanError(error, name, path: name) }
    }
    #expect(accepted >= 5)
  }

  /// Model files, hostile ones included (an architecture far larger than the file's tensors, a
  /// PyTorch-style index gap of a billion layers): each loads or throws, promptly.
  @Test func modelFileSeeds() throws {
    let inputs = try Self.inputs("model")
    #expect(inputs.count >= 8)
    var accepted = 0
    for (name, bytes) in inputs {
      do {
        let file = try SafeTensorsFile(decoding: bytes, path: name)
        let model: Sequential<Float> = try ModelFile.load(file)
        for (parameter, p) in model.namedParameters {
          #expect(file.tensors[parameter]?.shape == p.shape, "\(name): \(parameter)")
        }
        accepted += 1
      } catch { Self.expectCleanError(error, name, path: name) }
    }
    #expect(accepted >= 3)
  }

  @Test func safetensorsSeeds() throws {
    let inputs = try Self.inputs("safetensors")
    #expect(inputs.count >= 25)
    var accepted = 0
    for (name, bytes) in inputs {
      do {
        let file = try SafeTensorsFile(decoding: bytes, path: name)
        for (_, t) in file.tensors {
          #expect(t.elementCount * t.dtype.byteWidth == t.bytes.count, "\(name)")
          _ = try? t.floats()
          _ = try? t.integers()
        }
        #expect(try SafeTensorsFile(decoding: file.encoded()) == file, "\(name): round trip")
        accepted += 1
      } catch { Self.expectCleanError(error, name, path: name) }
    }
    #expect(accepted >= 5)
  }
}
