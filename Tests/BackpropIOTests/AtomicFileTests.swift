import Foundation
import Testing
import _BackpropTestSupport

@testable import BackpropIO

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

    // A directory at the destination is refused before anything is written.
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    try FileManager.default.createDirectory(at: dir.file("occupied"), withIntermediateDirectories: false)
    _ = try dir.write([0], to: "occupied/inner")
    let renameError = expectDataError { try AtomicFile.write(Data([1]), to: dir.file("occupied")) }
    #expect(renameError?.description.contains("cannot replace: it is not a regular file") == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["occupied"])
  }

  /// A device (as root, rename(2) would turn /dev/null into a regular file) is refused.
  @Test func nonRegularDestinationsAreRefused() throws {
    let error = expectDataError { try AtomicFile.write(Data([1]), to: URL(fileURLWithPath: "/dev/null")) }
    #expect(error?.description == "/dev/null: cannot replace: it is not a regular file")
    var info = stat()
    #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
  }

  /// A symbolic link is written through: the target gets the new bytes, the link stays a link
  /// (also when it dangles, and when it is relative).
  @Test func symbolicLinksAreWrittenThrough() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    _ = try dir.write([0], to: "target.bin")
    try FileManager.default.createSymbolicLink(atPath: dir.file("link.bin").path, withDestinationPath: "target.bin")
    try AtomicFile.write(Data([7, 8]), to: dir.file("link.bin"))
    #expect(try Data(contentsOf: dir.file("target.bin")) == Data([7, 8]))
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("link.bin").path) == "target.bin")
    try FileManager.default.createSymbolicLink(atPath: dir.file("dangling.bin").path, withDestinationPath: dir.file("new.bin").path)
    try AtomicFile.write(Data([9]), to: dir.file("dangling.bin"))
    #expect(try Data(contentsOf: dir.file("new.bin")) == Data([9]))
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("dangling.bin").path) == dir.file("new.bin").path)
  }

  /// A writer killed between creating its temporary file and renaming it leaves the file behind;
  /// the next write of the same file removes it when its process is gone, and only then.
  @Test func nextWriteRemovesTemporariesOfDeadWriters() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    let url = dir.file("model.safetensors")
    // A finished child process: its pid is (for now) not in use.
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/true")
    try child.run()
    child.waitUntilExit()
    let dead = "\(AtomicFile.temporaryPrefix(for: "model.safetensors"))\(child.processIdentifier)-AbC123"
    let live = "\(AtomicFile.temporaryPrefix(for: "model.safetensors"))1-XyZ789"      // pid 1 always runs
    let mine = "\(AtomicFile.temporaryPrefix(for: "model.safetensors"))\(getpid())-Qq0000"  // another thread's write in flight
    let other = "\(AtomicFile.temporaryPrefix(for: "other.bin"))\(child.processIdentifier)-AbC123"  // another file's
    for name in [dead, live, mine, other] { _ = try dir.write([7], to: name) }
    try AtomicFile.write(Data([1, 2]), to: url)
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir.url.path))
    #expect(left == ["model.safetensors", live, mine, other])
  }
}

