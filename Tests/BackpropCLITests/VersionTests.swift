import Backprop
import Foundation
import Testing

/// The version lives in one place (`BackpropVersion.string`): the binary prints it and the
/// changelog's newest heading names it.
@Suite struct VersionTests {
  @Test func versionComesFromOnePlace() throws {
    let r = try runBackprop(["--version"])
    #expect(r.status == 0 && r.stdout == BackpropVersion.string + "\n", "\(r.stdout)")
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let changelog = try String(contentsOf: root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
    let newest = changelog.split(separator: "\n").first { $0.hasPrefix("## [") }
    #expect(newest?.hasPrefix("## [\(BackpropVersion.string)]") == true, "CHANGELOG.md's newest heading: \(newest ?? "none")")
    #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("LICENSE").path))
  }
}
