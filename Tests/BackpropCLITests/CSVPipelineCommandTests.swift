import Backprop
import Foundation
import Testing

/// A CSV checkpoint carries its whole data pipeline (label column, task, test fraction, split
/// seed, scaler): `--resume`, `eval` and `predict` use it, and an option that contradicts it
/// is an error (issue 14, item 1).
@Suite(.serialized) struct CSVPipelineCommandTests {
  let dir: URL

  init() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-csv-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  /// 90 rows: features a, b, the 3-class label `cls` in the middle, and a last column `flag`
  /// with two values (what a forgotten label column would silently train on).
  func writeCSV(rows: Int = 90, regression: Bool = false) throws -> String {
    var lines = ["a,b,cls,flag"]
    for i in 0..<rows {
      let a = Double(i % 30) / 10, b = Double((i * 7) % 11) / 5
      let cls = regression ? String(format: "%.3f", a * 2 - b) : String(i % 30 / 10)
      lines.append("\(a),\(b),\(cls),\(i % 2)")
    }
    let file = path(regression ? "reg.csv" : "cls.csv")
    try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
    return file
  }

  func json(_ arguments: [String]) throws -> [String: Any] {
    let r = try runBackprop(arguments + ["--json"])
    try #require(r.status == 0, "\(arguments): \(r.stderr)")
    return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
  }

  @Test func resumeEvalAndPredictUseTheSavedPipeline() throws {
    let csv = try writeCSV(), ckpt = path("t.st"), full = path("full.st")
    let common = ["--dataset", csv, "--label-column", "cls", "--test-fraction", "0.5", "--epochs", "4", "--quiet"]
    try #require(try runBackprop(["train", "--save", full] + common).status == 0)
    try #require(try runBackprop(["train", "--save", ckpt, "--stop-after", "2"] + common).status == 0)
    // Resumed without any data option: the same 3 classes, the same split, the same weights.
    let resumed = try runBackprop(["train", "--resume", ckpt, "--save", ckpt, "--quiet"])
    try #require(resumed.status == 0, "\(resumed.stderr)")
    let a = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: full)), b = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: ckpt))
    #expect(a.tensors == b.tensors, "the resumed run differs from the uninterrupted one")
    #expect(b.metadata["label_column"] == "cls" && b.metadata["test_fraction"] == "0.5")
    // eval without options equals eval with the options given explicitly.
    let plain = try json(["eval", "--model", ckpt]), explicit = try json(["eval", "--model", ckpt, "--label-column", "cls", "--test-fraction", "0.5"])
    #expect(plain["accuracy"] as? Double == explicit["accuracy"] as? Double)
    #expect(plain["samples"] as? Int == 45)
    // Contradictions are errors, not silent overrides.
    for (arguments, option) in [(["eval", "--model", ckpt, "--label-column", "-1"], "--label-column"),
                                (["train", "--resume", ckpt, "--epochs", "6", "--test-fraction", "0.2"], "--test-fraction"),
                                (["eval", "--model", ckpt, "--regression"], "--regression")] {
      let r = try runBackprop(arguments)
      #expect(r.status != 0 && r.stderr.hasPrefix("Error: \(option)") && r.stderr.contains("contradicts \(ckpt)"), "\(arguments): \(r.stderr)")
    }
    let p = try runBackprop(["predict", "--model", ckpt, "--input", "0.1,0.2,1", "--json"])
    #expect(p.status == 0, "\(p.stderr)")
    // The training CSV itself: its label column (recorded in the file) is dropped by itself.
    let rows = try runBackprop(["predict", "--model", ckpt, "--input", csv, "--json"])
    #expect(rows.status == 0, "\(rows.stderr)")
  }

  @Test func regressionCheckpointsNeedNoFlag() throws {
    let csv = try writeCSV(regression: true), ckpt = path("r.st")
    try #require(try runBackprop(["train", "--dataset", csv, "--label-column", "cls", "--regression", "--epochs", "3", "--stop-after", "1", "--save", ckpt, "--quiet"]).status == 0)
    let e = try json(["eval", "--model", ckpt])
    #expect(e["accuracy"] == nil && (e["loss"] as? Double)?.isFinite == true)
    let r = try runBackprop(["train", "--resume", ckpt, "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
  }

  @Test func emptySplitsAreRefusedNamingTheSplit() throws {
    let one = path("one.csv")
    try "a,b,label\n1,2,0\n".write(toFile: one, atomically: true, encoding: .utf8)
    let r = try runBackprop(["train", "--dataset", one, "--epochs", "1"])
    #expect(r.status == 1 && r.stderr.contains("split is empty (0 samples"), "\(r.stderr)")
    let csv = try writeCSV()
    let t = try runBackprop(["train", "--dataset", csv, "--label-column", "cls", "--test-fraction", "0.999", "--epochs", "1"])
    #expect(t.status == 1 && t.stderr.contains("the training split is empty (0 samples; the other split has 90)"), "\(t.stderr)")
    #expect(t.stderr.split(separator: "\n").count == 1)
  }
}
