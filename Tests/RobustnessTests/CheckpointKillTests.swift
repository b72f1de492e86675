import Backprop
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A checkpoint survives SIGKILL at any moment of a save.
///
/// `checkpoint-writer save-loop` saves a 4 MB model again and again with `ModelFile.save`
/// (BackpropNN; atomic through `SafeTensorsFile.write(to:)` → `AtomicFile`: temporary file,
/// fsync, rename, fsync of the directory). Each version carries its number and a checksum of its
/// parameters in the metadata. The test kills the writer and checks, every time, that the file
/// still loads, that its checksum matches (it is one complete version, not a torn or mixed one),
/// and that it is a version that was written: not older than the last one the killed process
/// reported as saved, not newer than the one it was writing.
///
/// Half of the kills come at a uniformly random moment of the process's life (start-up, encoding,
/// writing, renaming); the other half (Linux) wait until the writer creates its temporary file
/// (inotify) and then kill it after a random part (0 to 80 %) of the time an atomic write takes,
/// so that many kills land in the middle of writing the bytes.
///
/// `ROBUSTNESS_KILL_ITERATIONS` (default 60) sets the number of kills and `ROBUSTNESS_KILL_SEED`
/// the random delays; scripts/kill-test.sh runs it with more.
@Suite struct CheckpointKillTests {
  @Test func sigkillDuringSavesNeverLeavesADamagedCheckpoint() throws {
    let iterations = Helper.environmentInt("ROBUSTNESS_KILL_ITERATIONS", default: 60)
    let seed = UInt64(Helper.environmentInt("ROBUSTNESS_KILL_SEED", default: Int(UInt32.random(in: 0...UInt32.max))))
    var random = SeededGenerator(seed: seed)
    let directory = try Helper.temporaryDirectory("kill")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")

    // Versions 0...2 written by a process that finishes, timed to pick the range of random
    // delays: from the start of the process to about two saves later.
    let start = now()
    let output = try Helper.run(["save-loop", url.path, "0", "3"])
    let threeSaves = now() - start
    #expect(output.split(separator: "\n").last == "saved 2")
    var onDisk = try verifiedVersion(at: url)
    #expect(onDisk == 2)
    // How long the atomic write itself takes (temporary file to directory fsync), for the
    // delays of the targeted kills.
    let bytes = try Data(contentsOf: url)
    let scratch = directory.appendingPathComponent("timing.bin")
    let writeStart = now()
    for _ in 0..<3 { try AtomicFile.write(bytes, to: scratch) }
    let writeTime = (now() - writeStart) / 3
    try FileManager.default.removeItem(at: scratch)

    var nextFirst = 3
    var killedMidWrite = 0, killedBeforeFirstSave = 0, advanced = 0, targeted = 0
    for iteration in 0..<iterations {
      let first = nextFirst
      #if os(Linux)
        let targetWrite = iteration % 2 == 1
      #else
        let targetWrite = false
      #endif
      let watcher = targetWrite ? try? DirectoryWatcher(directory) : nil  // no inotify: a random delay
      let process = Process()
      process.executableURL = try Helper.checkpointWriter
      process.arguments = ["save-loop", url.path, String(first)]
      let out = Pipe()
      process.standardOutput = out
      process.standardError = FileHandle.nullDevice
      try process.run()
      let delay: Double
      if let watcher, watcher.waitForCreation(timeout: 30) {
        targeted += 1
        delay = Double.random(in: 0...(writeTime * 0.8), using: &random)
      } else {
        delay = Double.random(in: 0...(threeSaves * 0.8), using: &random)
      }
      usleep(UInt32(delay * 1e6))
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
      let lastSaved = lines.last.flatMap { Int($0.dropFirst("saved ".count)) }
      let context = "iteration \(iteration) (seed \(seed), \(targetWrite ? "after the temporary file appeared" : "after start")): "
        + "killed after \(delay) s, last reported save \(lastSaved.map(String.init) ?? "none"), file had \(onDisk)"

      // A temporary file left behind means the kill landed between creating it and renaming it.
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }
      if !leftovers.isEmpty { killedMidWrite += 1 }
      for name in leftovers { try FileManager.default.removeItem(at: directory.appendingPathComponent(name)) }
      if lastSaved == nil { killedBeforeFirstSave += 1 }

      let version = try verifiedVersion(at: url, context: context)
      // Never older than what was on disk before, nor than what this process reported saved;
      // never newer than the version it was working on when killed.
      #expect(version >= onDisk, "\(context): went back to version \(version)")
      if let lastSaved { #expect(version >= lastSaved, "\(context): lost reported version \(lastSaved), found \(version)") }
      let newestPossible = (lastSaved ?? first - 1) + 1
      #expect(version <= newestPossible, "\(context): version \(version) was never written")
      #expect(version == onDisk || version >= first, "\(context): version \(version) is not from this run")
      if version > onDisk { advanced += 1 }
      onDisk = version
      nextFirst = newestPossible + 1
    }
    print("checkpoint kill test: \(iterations) SIGKILLs (seed \(seed)), \(targeted) timed from the creation of the temporary file; "
      + "\(killedMidWrite) landed during a write (temporary file left behind), \(killedBeforeFirstSave) before the process's first "
      + "save completed, \(advanced) advanced the file; every time the file loaded and was a complete version "
      + "(3 saves with start-up took \(String(format: "%.2f", threeSaves)) s, one atomic write \(String(format: "%.1f", writeTime * 1000)) ms)")
    // The kills must actually hit writes in progress, or the test proves little.
    if iterations >= 20 && targeted > 0 {
      #expect(killedMidWrite >= iterations / 10, "only \(killedMidWrite) of \(iterations) kills hit a write")
    }
  }

  /// Loads the file as a model, checks the checksum in its metadata, and returns its version.
  private func verifiedVersion(at url: URL, context: String = "") throws -> Int {
    let (model, file): (Sequential<Float>, SafeTensorsFile)
    do { (model, file) = try ModelFile.load(contentsOf: url) } catch {
      Issue.record("\(context): the checkpoint does not load: \(error)")
      throw error
    }
    guard let versionText = file.metadata["version"], let version = Int(versionText),
      let stored = file.metadata["checksum"].flatMap({ UInt64($0, radix: 16) })
    else {
      throw HelperError("\(context): the checkpoint has no version/checksum metadata: \(file.metadata)")
    }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for (_, p) in model.namedParameters.sorted(by: { $0.0 < $1.0 }) { h = p.scalars.withUnsafeBufferPointer { fnv1a($0, h) } }
    #expect(h == stored, "\(context): version \(version)'s checksum does not match its contents")
    let parameterCount = model.namedParameters.reduce(0) { $0 + $1.1.count }
    #expect(parameterCount == 1_049_600)
    return version
  }
}

/// Waits for a file to be created in a directory (Linux inotify); elsewhere never fires.
final class DirectoryWatcher {
  private let fd: Int32

  init(_ directory: URL) throws {
    #if os(Linux)
      fd = inotify_init1(Int32(IN_CLOEXEC))
      guard fd >= 0, inotify_add_watch(fd, directory.path, UInt32(IN_CREATE)) >= 0 else {
        throw HelperError("inotify on \(directory.path) failed: \(String(cString: strerror(errno)))")
      }
    #else
      fd = -1
    #endif
  }

  deinit { if fd >= 0 { close(fd) } }

  /// Whether a file was created within `timeout` seconds.
  func waitForCreation(timeout: Double) -> Bool {
    guard fd >= 0 else { return false }
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&p, 1, Int32(timeout * 1000)) == 1
  }
}
