import Backprop
import Foundation
import Testing

/// Issue 14 through the binary: bad counts, unwritable outputs, diverging runs, empty splits,
/// values out of Float's range, damaged checkpoints — each a one-line error before any
/// training, never a trap and never a success without a result.
@Suite(.serialized) struct CommandRobustnessTests {
  let dir: URL

  init() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-robust-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  /// Expects a failure (status 1–127) with exactly one line on standard error containing `text`.
  func expectOneLineError(_ arguments: [String], _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let r = try runBackprop(arguments)
    #expect(r.status != 0 && r.status < 128, "\(arguments): status \(r.status)", sourceLocation: sourceLocation)
    #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.hasPrefix("Error: "), "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(text), "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
    #expect(!r.stderr.contains("TrainingConfiguration") && !r.stderr.contains("FeatureScaler") && !r.stderr.contains("Tensor("),
            "\(arguments): internal type name in \(r.stderr)", sourceLocation: sourceLocation)
  }

  @Test func countsAreBoundedWithAMessage() throws {
    try expectOneLineError(["train", "--epochs", "-1"], "--epochs must be ≥ 1")
    try expectOneLineError(["train", "--epochs", "0"], "--epochs must be ≥ 1")
    try expectOneLineError(["train", "--epochs", "300000000000000000", "--stop-after", "1"], "--epochs must be ≥ 1 and ≤ 1000000")
    try expectOneLineError(["train", "--stop-after", "-2"], "--stop-after must be ≥ 1")
    try expectOneLineError(["train", "--layers", "64,99999999999,10"], "too wide")
    try expectOneLineError(["train", "--layers", "64,100000,100000,10"], "parameters; at most")
    try expectOneLineError(["train", "--batch-size", "-5"], "--batch-size must be ≥ 1")
    try expectOneLineError(["train", "--lr", "-0.1"], "--lr must be positive")
    try expectOneLineError(["train", "--weight-decay", "inf"], "--weight-decay must be finite")
    try expectOneLineError(["train", "--threads", "100000"], "--threads must be ≥ 1 and ≤ 256")
    try expectOneLineError(["linreg", "--samples", "999999999999"], "--features must be in 1…10000 and --samples in 1…10000000")
    try expectOneLineError(["linreg", "--iterations", "-1"], "--iterations must be ≥ 1")
    try expectOneLineError(["bench", "--runs", "999999999999"], "--runs must be ≥ 1 and ≤ 1000")
    try expectOneLineError(["bench", "--workload", "W6", "--limit", "0"], "--limit must be ≥ 1")
    try expectOneLineError(["bench", "--workload", "W6", "--limit", "8", "--data-dir", path("none")], "apt-get install dataset-fashion-mnist")
    try expectOneLineError(["step", "--layers", "2,99999999999,2"], "too wide")
  }

  @Test func outputPathsAreCheckedBeforeTraining() throws {
    let start = Date()
    try expectOneLineError(["train", "--epochs", "3", "--report", "/nonexistent/r.html", "--json"], "--report /nonexistent/r.html: the directory /nonexistent does not exist")
    try expectOneLineError(["train", "--epochs", "1", "--save", "/dev/null"], "--save /dev/null: is not a regular file")
    try expectOneLineError(["train", "--epochs", "1", "--save", dir.path], "is a directory")
    #expect(Date().timeIntervalSince(start) < 20, "the errors came after training")
  }

  @Test func saveWritesThroughASymbolicLink() throws {
    try FileManager.default.createSymbolicLink(atPath: path("link.st"), withDestinationPath: path("target.st"))
    let r = try runBackprop(["train", "--epochs", "1", "--save", path("link.st"), "--quiet"])
    try #require(r.status == 0, "\(r.stderr)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path("link.st")) == path("target.st"))
    #expect(try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path("target.st"))).metadata["epoch"] == "1")
  }

  /// A diverging run exits 1 and leaves the last good checkpoint as it was.
  @Test func divergenceStopsAndKeepsTheLastGoodCheckpoint() throws {
    let file = path("good.st")
    try #require(try runBackprop(["train", "--epochs", "1", "--save", file, "--quiet"]).status == 0)
    let before = try Data(contentsOf: URL(fileURLWithPath: file))
    let r = try runBackprop(["train", "--epochs", "2", "--optimizer", "sgd", "--lr", "1e30", "--save", file])
    #expect(r.status == 1)
    #expect(r.stderr.contains("training diverged") && r.stderr.contains("try a lower learning rate"), "\(r.stderr)")
    #expect(!r.stdout.contains("Saved to") && !r.stdout.contains("Test accuracy"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
  }

  /// Resuming a finished run trains nothing: an error, and no "Saved to" without a file.
  @Test func resumingAFinishedRunIsAnError() throws {
    let file = path("done.st")
    try #require(try runBackprop(["train", "--epochs", "1", "--save", file, "--quiet"]).status == 0)
    try expectOneLineError(["train", "--resume", file, "--save", path("new.st")], "has already trained all 1 epoch")
    #expect(!FileManager.default.fileExists(atPath: path("new.st")))
  }

  /// Identical runs write identical checkpoint bytes (no wall-clock timings inside).
  @Test func identicalRunsWriteIdenticalCheckpoints() throws {
    for name in ["a.st", "b.st"] {
      try #require(try runBackprop(["train", "--epochs", "2", "--save", path(name), "--quiet", "--threads", "1"]).status == 0)
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: path("a.st"))) == Data(contentsOf: URL(fileURLWithPath: path("b.st"))))
  }

  @Test func predictRejectsValuesBeyondFloat() throws {
    let file = path("m.st")
    try #require(try runBackprop(["train", "--epochs", "1", "--save", file, "--quiet"]).status == 0)
    let row = ["1e39"] + [String](repeating: "8", count: 63)
    try expectOneLineError(["predict", "--model", file, "--input", row.joined(separator: ",")], "out of Float's range")
  }

  /// Model files with NaN weights and damaged checkpoint fields: one line naming the file.
  @Test func damagedCheckpointsAreRefusedNamingTheFile() throws {
    let file = path("c.st")
    try #require(try runBackprop(["train", "--epochs", "2", "--stop-after", "1", "--save", file, "--quiet"]).status == 0)
    let original = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: file))
    func variant(_ name: String, _ edit: (inout SafeTensorsFile) throws -> Void) throws -> String {
      var copy = original
      try edit(&copy)
      try copy.write(to: URL(fileURLWithPath: path(name)))
      return path(name)
    }
    let negative = try variant("neg.st") { $0.metadata["epoch"] = "-5" }
    try expectOneLineError(["train", "--resume", negative], "\(negative): 'epoch' metadata is '-5'")
    let corrupt = try variant("corrupt.st") { $0.metadata["training"] = "{\"epochs\": \"many\"" }
    try expectOneLineError(["train", "--resume", corrupt], "\(corrupt): the 'training' metadata is not valid")
    let huge = try variant("huge.st") { $0.metadata["training"] = $0.metadata["training"]!.replacingOccurrences(of: "\"epochs\":2", with: "\"epochs\":300000000000000000") }
    try expectOneLineError(["train", "--resume", huge], "\(huge): 'training' metadata: epochs must be in")
    let slot = try #require(original.tensors.keys.first { $0.hasPrefix("optimizer.") })
    let noSlot = try variant("noslot.st") { $0.tensors[slot] = nil }
    try expectOneLineError(["train", "--resume", noSlot], "\(noSlot): has no tensor '\(slot)'")
    let nan = try variant("nan.st") {
      var values = try $0.floats(named: "0.weight")
      values[3] = .nan
      $0.tensors["0.weight"] = try SafeTensor(floats: values, shape: $0.tensors["0.weight"]!.shape)
    }
    try expectOneLineError(["eval", "--model", nan], "\(nan): tensor '0.weight' holds nan at index 3")
    try expectOneLineError(["train", "--resume", nan], "\(nan): tensor '0.weight' holds nan")
  }
}
