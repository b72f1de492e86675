import Backprop
import Foundation
import Testing

/// `--arch` through the binary: CNNs trained, resumed, evaluated and used for prediction on the
/// shipped digits (1×8×8 images), PyTorch CNN state_dicts evaluated with `--arch`, the CNN
/// report's filter and feature-map sections, and one line per kind of bad `--arch`.
/// Runs are kept to one or two epochs of small networks: the debug binary's convolutions are slow.
@Suite(.serialized) struct ConvolutionCommandTests {
  /// A network with every kind of layer a checkpoint must restore exactly: conv weights,
  /// batch-norm running statistics, a dropout generator.
  static let grammar = "conv(8,3,pad=1) batchnorm relu maxpool(2) flatten dropout(0.1) linear(10)"

  func json(_ text: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
  }

  func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-cnn-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  /// A committed PyTorch fixture of the NN tests (Tools/make_cnn_state_dict.py).
  func torchFixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("BackpropNNTests/Fixtures/\(name)").path
  }

  @Test func grammarNetworkTrainsResumesBitIdenticallyAndRecordsItsArchitecture() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let full = dir.appendingPathComponent("full.safetensors").path, split = dir.appendingPathComponent("split.safetensors").path
    let common = ["--arch", Self.grammar, "--epochs", "2", "--seed", "3", "--quiet"]
    let t = try runBackprop(["train", "--save", full, "--json"] + common)
    try #require(t.status == 0, "\(t.stderr)")
    let trained = try json(t.stdout)
    #expect((trained["test_accuracy"] as! Double) > 0.5, "\(t.stdout)")
    #expect((trained["layers"] as! String).hasPrefix("Conv2d(1,8,3x3"), "\(t.stdout)")
    try #require(try runBackprop(["train", "--save", split, "--stop-after", "1"] + common).status == 0)
    let r = try runBackprop(["train", "--resume", split, "--save", split, "--quiet"])
    try #require(r.status == 0, "\(r.stderr)")
    let a = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: full)), b = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: split))
    #expect(a.tensors == b.tensors, "resumed run differs from the uninterrupted one")
    #expect(a.tensors["1.running_mean"] != nil && a.tensors["1.num_batches_tracked"] != nil)
    #expect(a.metadata["input_shape"] == "1,8,8")
    #expect(a.metadata["architecture"]?.contains("BatchNorm2d(8") == true, "\(a.metadata["architecture"] ?? "")")

    // eval needs no --arch for our file, and agrees with train's own evaluation.
    let e = try runBackprop(["eval", "--model", full, "--json"])
    try #require(e.status == 0, "\(e.stderr)")
    #expect(try json(e.stdout)["accuracy"] as? Double == trained["test_accuracy"] as? Double)
    let same = try runBackprop(["eval", "--model", full, "--arch", Self.grammar, "--json"])
    #expect(same.status == 0, "the file's own architecture is no contradiction: \(same.stderr)")
    let row = [String](repeating: "8", count: 64).joined(separator: ",")
    let p = try runBackprop(["predict", "--model", full, "--input", row + ";" + row])
    #expect(p.status == 0 && p.stdout.split(separator: "\n").count == 2, "\(p.stdout)\(p.stderr)")

    // A contradicting --arch is one line naming the file.
    for arguments in [["eval", "--model", full, "--arch", "cnn"], ["eval", "--model", full, "--arch", "mlp"],
                      ["predict", "--model", full, "--arch", "conv(4,3,pad=1) relu maxpool(2) flatten linear(10)", "--input", row],
                      ["predict", "--model", full, "--input-shape", "1,4,16", "--input", row]] {
      let bad = try runBackprop(arguments)
      #expect(bad.status != 0 && bad.status < 128, "\(arguments)")
      #expect(bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("contradicts \(full)"), "\(arguments): \(bad.stderr)")
    }
  }

  @Test func cnnPresetTrainsWithAReportOfFiltersAndFeatureMaps() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = dir.appendingPathComponent("cnn.safetensors").path, report = dir.appendingPathComponent("r.html").path
    let t = try runBackprop(["train", "--arch", "cnn", "--epochs", "1", "--save", model, "--report", report])
    try #require(t.status == 0, "\(t.stderr)")
    // The summary shows the CNN's shapes and parameter counts.
    #expect(t.stdout.contains("Conv2d(1 → 32, 3×3, padding 1)") && t.stdout.contains("[1, 64, 2, 2]"), "\(t.stdout)")
    #expect(t.stdout.contains("Linear(256 → 128)") && t.stdout.contains("Total parameters: 53,002"), "\(t.stdout)")
    let html = try String(contentsOfFile: report, encoding: .utf8)
    #expect(html.contains("id=\"filters\"") && html.contains("id=\"feature-maps\""))
    let e = try runBackprop(["eval", "--model", model, "--json"])
    try #require(e.status == 0, "\(e.stderr)")
    #expect((try json(e.stdout)["accuracy"] as! Double) > 0.3)
  }

  /// PyTorch's state_dicts (no architecture recorded) evaluate and predict with `--arch`, with
  /// the predictions PyTorch made (the same check as the NN tests' fixture test, through the CLI).
  @Test(arguments: [("torch_cnn_bn", "conv(4,3,pad=1) batchnorm relu maxpool(2) flatten linear(10)"),
                    ("torch_cnn", "conv(4,3,pad=1) relu maxpool(2) flatten linear(10)")])
  func pytorchStateDictsEvaluateAndPredictWithArch(_ name: String, _ arch: String) throws {
    let file = torchFixture("\(name).safetensors")
    let e = try runBackprop(["eval", "--model", file, "--arch", arch, "--json"])
    #expect(e.status == 0, "\(e.stderr)")
    #expect((try json(e.stdout)["samples"] as? Int) == 360)
    struct Expected: Decodable { var input_shape: [Int]; var input: [Float]; var output: [Float] }
    let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: torchFixture("\(name).json"))))
    let width = expected.input_shape.dropFirst().reduce(1, *)
    let rows = (0..<expected.input_shape[0]).map { r in
      expected.input[r * width..<(r + 1) * width].map { "\($0)" }.joined(separator: ",")
    }.joined(separator: ";")
    let p = try runBackprop(["predict", "--model", file, "--arch", arch, "--input", rows, "--json"])
    try #require(p.status == 0, "\(p.stderr)")
    let predictions = try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as! [[String: Any]]
    let outputs = predictions.flatMap { $0["outputs"] as! [Double] }
    try #require(outputs.count == expected.output.count)
    for (got, want) in zip(outputs, expected.output) {
      // Float32 both sides, other summation orders: a few ulps of the logits.
      #expect(abs(got - Double(want)) <= 1e-6 + 1e-5 * abs(Double(want)), "\(name): \(got) vs \(want)")
    }
    let shaped = try runBackprop(["predict", "--model", file, "--arch", arch, "--input-shape", "1,8,8", "--input", rows, "--json"])
    #expect(shaped.stdout == p.stdout, "--input-shape 1,8,8 is what 64 values per row imply")
  }

  /// Each mistake: one line on standard error naming the token or option and the shapes, a
  /// non-zero status, no trap.
  @Test func badArchIsOneLineNamingTheTokenAndShapes() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("t.csv").path
    try (["a,b,c,label"] + (0..<20).map { "\($0),\($0 % 3),\($0 * 2),\($0 % 2)" }).joined(separator: "\n")
      .write(toFile: csv, atomically: true, encoding: .utf8)
    let torch = torchFixture("torch_cnn.safetensors")
    let cases: [([String], [String])] = [
      (["train", "--arch", "conv(8,3) bogus"], ["'bogus' is not a layer", "[1, 8, 8]"]),
      (["train", "--arch", "lenet5"], ["'conv(16,5)' does not fit input shape [6, 4, 4]", "kernel 5x5"]),
      (["train", "--arch", "conv(8,3) relu flatten linear(7)"], ["ends in shape [7]", "needs [10]"]),
      (["train", "--arch", "conv(8,3,pad=1) relu maxpool(2) linear(10)"], ["'linear(10)' needs a flat input, got shape [8, 4, 4]"]),
      (["train", "--arch", "conv(8,3,stride=99999999999999999999)"], ["needs a positive integer stride"]),
      (["train", "--arch", "conv(8,3,stride=2000000)"], ["'conv(8,3,stride=2000000)' has stride 2000000, more than 1048576"]),
      (["train", "--arch", "conv(8,3,pad=4611686018427387904)"], ["has padding 4611686018427387904, more than 1048576"]),
      (["train", "--arch", "flatten linear(1048576) linear(1048576) linear(10)"], ["more than 268435456 parameters"]),
      (["train", "--arch", "conv(1048576,3,pad=1)"], ["more than 16777216 values"]),
      (["train", "--dataset", csv, "--arch", "conv(4,3) flatten linear(2)"], ["'conv(4,3)' needs an input of shape [channels, height, width], got [3]"]),
      (["train", "--arch", "cnn", "--layers", "64,10"], ["--layers describes --arch mlp"]),
      (["train", "--augment", "bogus"], ["--augment: unknown 'bogus'"]),
      (["train", "--dataset", csv, "--augment", "shift,flip"], ["needs images of shape [channels, height, width]", "[3]"]),
      (["eval", "--model", torch], ["'0.weight' has shape [4, 1, 3, 3]", "needs --arch"]),
      (["eval", "--model", torch, "--arch", "conv(4,3,pad=1) batchnorm relu maxpool(2) flatten linear(10)"], ["no tensor '1.weight'"]),
      (["eval", "--model", torch, "--arch", "conv(4,5) relu maxpool(2) flatten linear(10)"], ["'0.weight'", "[4, 1, 5, 5]", "[4, 1, 3, 3]"]),
      (["predict", "--model", torch, "--arch", "conv(4,3,pad=1) relu maxpool(2) flatten linear(10)", "--input", "1,2,3"], ["--input-shape"]),
      (["predict", "--model", torch, "--arch", "cnn", "--input-shape", "1,x,8", "--input", "1"], ["--input-shape: '1,x,8'"]),
    ]
    for (arguments, expected) in cases {
      let r = try runBackprop(arguments)
      #expect(r.status != 0 && r.status < 128, "\(arguments): crashed or succeeded")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
      for part in expected { #expect(r.stderr.contains(part), "\(arguments): \(r.stderr)") }
    }
  }

  /// Augmented training is seeded per epoch and batch and the checkpoint keeps `--augment`,
  /// so a resumed run sees the same images; and augmentation changes the run.
  @Test func augmentedTrainingResumesBitIdentically() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let full = dir.appendingPathComponent("full.safetensors").path, split = dir.appendingPathComponent("split.safetensors").path
    let plain = dir.appendingPathComponent("plain.safetensors").path
    let arch = ["--arch", "conv(4,3,pad=1) relu maxpool(2) flatten linear(10)", "--epochs", "2", "--quiet"]
    let t = try runBackprop(["train", "--save", full, "--augment", "shift,flip"] + arch)
    try #require(t.status == 0, "\(t.stderr)")
    try #require(try runBackprop(["train", "--save", split, "--augment", "shift,flip", "--stop-after", "1"] + arch).status == 0)
    try #require(try runBackprop(["train", "--resume", split, "--save", split, "--quiet"]).status == 0)
    try #require(try runBackprop(["train", "--save", plain] + arch).status == 0)
    let a = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: full)), b = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: split))
    let c = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: plain))
    #expect(a.tensors == b.tensors, "the resumed augmented run differs")
    #expect(a.tensors["0.weight"] != c.tensors["0.weight"], "--augment changed nothing")
    #expect(a.metadata["training"]?.contains("\"horizontalFlip\":true") == true, "\(a.metadata["training"] ?? "")")
  }

  @Test func trainHelpDocumentsTheGrammar() throws {
    let r = try runBackprop(["train", "--help"])
    #expect(r.status == 0)
    for part in ["--arch", "conv(out,k", "maxpool(k[,stride])", "lenet5", "1x28x28", "--augment", "shift,flip"] {
      #expect(r.stdout.contains(part), "train --help lacks \(part)")
    }
  }
}
