import Backprop
import Foundation
import Testing

/// The built `backprop` binary next to the test bundle (the test target depends on the
/// executable, so `swift test` builds it); `BACKPROP_BINARY` overrides the path.
/// - Throws: when it is missing, so that no CLI test can pass without running it.
func backpropBinary() throws -> URL {
  if let path = ProcessInfo.processInfo.environment["BACKPROP_BINARY"] { return URL(fileURLWithPath: path) }
  let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  let candidates = [directory, directory.deletingLastPathComponent(), Bundle.main.bundleURL.deletingLastPathComponent()]
    .map { $0.appendingPathComponent("backprop") }
  guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
    throw BinaryMissing(description: "the backprop binary was not built (looked for \(candidates.map(\.path)))")
  }
  return binary
}

/// The `backprop` executable could not be found.
struct BinaryMissing: Error, CustomStringConvertible { let description: String }

/// Runs the built `backprop` binary with `arguments`; returns the exit status, standard output
/// and standard error.
/// - Throws: `BinaryMissing` when the binary was not built.
func runBackprop(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
  try runProcess(try backpropBinary(), arguments, environment: environment)
}

/// Runs `executable arguments…` to the end (extra `environment` on top of ours); returns its
/// status and both outputs.
func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws
  -> (status: Int32, stdout: String, stderr: String) {
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// The training commands end to end, through the binary: cheap runs on the shipped data.
@Suite(.serialized) struct TrainingCommandTests {
  func json(_ text: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
  }

  @Test func stepShowsALowerError() throws {
    let r = try runBackprop(["step", "--layers", "2,3,2", "--seed", "1", "--json"])
    #expect(r.status == 0)
    let object = try json(r.stdout)
    #expect((object["loss_after"] as! Double) < (object["loss_before"] as! Double))
    let layers = object["layers"] as! [[String: Any]]
    #expect(layers.map { $0["layer"] as! Int } == [2, 1], "output layer first")
    #expect(layers[0]["weight_gradient"] != nil && layers[0]["updated_weights"] != nil)
  }

  @Test func trainReportsJSON() throws {
    let r = try runBackprop(["train", "--epochs", "3", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let object = try json(r.stdout)
    for key in ["test_accuracy", "train_loss", "epochs", "seconds", "epoch_seconds", "samples_per_second"] {
      #expect(object[key] != nil, "missing \(key)")
    }
    #expect((object["epoch_seconds"] as! [Double]).count == 3)
    #expect((object["test_accuracy"] as! Double) > 0.8)
  }

  @Test func resumeFromTheCommandLineIsBitIdentical() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-resume-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = dir.appendingPathComponent("a.safetensors").path, b = dir.appendingPathComponent("b.safetensors").path
    let common = ["--epochs", "4", "--schedule", "cosine", "--dropout", "0.1", "--quiet"]
    try #require(try runBackprop(["train", "--save", a] + common).status == 0)
    try #require(try runBackprop(["train", "--save", b, "--stop-after", "2"] + common).status == 0)
    try #require(try runBackprop(["train", "--resume", b, "--save", b, "--quiet"]).status == 0)
    let fa = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: a)), fb = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: b))
    #expect(fa.tensors == fb.tensors)
    #expect(fa.metadata["epoch"] == "4" && fb.metadata["epoch"] == "4")
  }

  @Test func missingDataSetIsAOneLineError() throws {
    let r = try runBackprop(["train", "--dataset", "fashion-mnist", "--data-dir", "/nonexistent"])
    #expect(r.status != 0)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(r.stderr)")
    #expect(r.stderr.contains("apt-get install dataset-fashion-mnist") && r.stderr.contains("--data-dir"))
  }

  @Test func badArgumentsFailCleanly() throws {
    for arguments in [["train", "--layers", "3,x"], ["train", "--optimizer", "nope"], ["eval", "--model", "/nonexistent.safetensors"],
                      ["predict", "--model", "/nonexistent.safetensors", "--input", "1,2"], ["step", "--layers", "2"]] {
      let r = try runBackprop(arguments)
      #expect(r.status != 0 && r.status < 128, "\(arguments): crashed or succeeded")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
    }
  }

  @Test func linregAgreesBothWays() throws {
    let r = try runBackprop(["linreg", "--json"])
    #expect(r.status == 0)
    let object = try json(r.stdout)
    let closed = object["closed_form"] as! [String: Any], gd = object["gradient_descent"] as! [String: Any]
    #expect(abs((closed["loss"] as! Double) - (gd["loss"] as! Double)) < 1e-6)
    #expect((object["max_abs_weight_diff"] as! Double) < 1e-3)
  }

  @Test func evalAndPredictUseASavedModel() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cli-model-\(UUID().uuidString).safetensors").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let t = try runBackprop(["train", "--epochs", "2", "--save", path, "--quiet"])
    try #require(t.status == 0, "\(t.stderr)")
    let e = try runBackprop(["eval", "--model", path, "--json"])
    #expect(e.status == 0)
    #expect((try json(e.stdout)["accuracy"] as! Double) > 0.5)
    let row = [String](repeating: "8", count: 64).joined(separator: ",")
    let p = try runBackprop(["predict", "--model", path, "--input", row + ";" + row])
    #expect(p.status == 0 && p.stdout.split(separator: "\n").count == 2, "\(p.stdout)\(p.stderr)")
  }
}
