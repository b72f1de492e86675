import Foundation
import Testing

@testable import BackpropData

@Suite struct AtomicFileTests {
  @Test func createsAndReplacesFiles() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    let url = dir.file("checkpoint.bin")
    try AtomicFile.write(Data([1, 2, 3]), to: url)
    #expect(try Data(contentsOf: url) == Data([1, 2, 3]))
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    #expect((attributes[.posixPermissions] as? Int) == 0o644)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    try AtomicFile.write(Data(), to: url)
    #expect(try Data(contentsOf: url).isEmpty)
    #expect((try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) == 0o600)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["checkpoint.bin"])
  }

  @Test func failureLeavesNoTraceAndNamesTheFile() throws {
    let error = expectDataError { try AtomicFile.write(Data([1]), to: URL(fileURLWithPath: "/nonexistent-dir/x.bin")) }
    #expect(error?.path == "/nonexistent-dir/x.bin")
    #expect(error?.description.contains("cannot create a temporary file in /nonexistent-dir") == true)

    // Renaming onto a directory fails after the temporary file was written: it must be removed.
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    try FileManager.default.createDirectory(at: dir.file("occupied"), withIntermediateDirectories: false)
    _ = try dir.write([0], to: "occupied/inner")
    let renameError = expectDataError { try AtomicFile.write(Data([1]), to: dir.file("occupied")) }
    #expect(renameError?.description.contains("cannot rename onto") == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["occupied"])
  }
}
