import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Helpers for the robustness tests: finding and running the `checkpoint-writer` helper.
enum Helper {
  /// The `checkpoint-writer` executable built next to the test bundle (SwiftPM builds it because
  /// RobustnessTests depends on it). `CHECKPOINT_WRITER` overrides the path.
  static var checkpointWriter: URL {
    get throws {
      if let path = ProcessInfo.processInfo.environment["CHECKPOINT_WRITER"] { return URL(fileURLWithPath: path) }
      let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        Bundle.main.bundleURL,
        Bundle.main.bundleURL.deletingLastPathComponent(),
      ] + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
      for directory in candidates {
        let url = directory.appendingPathComponent("checkpoint-writer")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
      }
      throw HelperError("checkpoint-writer not found next to the test bundle (looked in \(candidates.map(\.path)))")
    }
  }

  /// Runs `checkpoint-writer` to completion; returns its standard output.
  @discardableResult
  static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let process = Process()
    process.executableURL = try checkpointWriter
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, process.terminationReason == .exit else {
      throw HelperError("checkpoint-writer \(arguments) failed (\(process.terminationStatus)): "
        + String(decoding: errors, as: UTF8.self))
    }
    return String(decoding: output, as: UTF8.self)
  }

  /// A new empty directory under the system's temporary directory.
  static func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// An integer from the environment, for knobs like the number of kill iterations.
  static func environmentInt(_ name: String, default value: Int) -> Int {
    ProcessInfo.processInfo.environment[name].flatMap { Int($0) } ?? value
  }
}

struct HelperError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// FNV-1a (64-bit) over the bit patterns of `words`: the checksum `checkpoint-writer` stores
/// in each version's metadata.
func fnv1a(_ words: UnsafeBufferPointer<Float>, _ hash: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
  var h = hash
  for w in words { h = (h ^ UInt64(w.bitPattern)) &* 0x0000_0100_0000_01b3 }
  return h
}

/// Seconds on a monotonic clock.
func now() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
