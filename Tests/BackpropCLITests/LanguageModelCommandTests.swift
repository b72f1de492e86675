import Foundation
import Testing

/// `backprop lm` end to end through the binary, on a tiny word list in a temporary directory.
@Suite(.serialized) struct LanguageModelCommandTests {
  let directory: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-lm-cli-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }()

  func file(_ name: String, _ bytes: [UInt8]) throws -> String {
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
  }

  var words: [UInt8] {
    let names = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"]
    return Array((0..<6).flatMap { i in names.map { $0 + String(repeating: "a", count: i % 3) } }.joined(separator: "\n").utf8)
  }

  func json(_ text: String) throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any] }

  @Test func trainThenSampleThenEvalThenResume() throws {
    defer { try? FileManager.default.removeItem(at: directory) }
    let corpus = try file("names.txt", words), model = directory.appendingPathComponent("m.safetensors").path
    let train = try runBackprop(["lm", "train", "--corpus", corpus, "--corpus-kind", "words", "--steps", "30", "--eval-every", "10",
                                 "--batch-size", "8", "--lr", "0.1", "--save", model, "--json"])
    #expect(train.status == 0, "\(train.stderr)")
    let report = try json(train.stdout)
    #expect(report["steps"] as? Int == 30 && (report["history"] as? [Any])?.count == 3)
    let sample = try runBackprop(["lm", "sample", "--model", model, "--count", "5", "--seed", "1", "--prompt", "em"])
    #expect(sample.status == 0, "\(sample.stderr)")
    let lines = sample.stdout.split(separator: "\n")
    #expect(lines.count == 5 && lines.allSatisfy { $0.hasPrefix("em") })
    #expect(try runBackprop(["lm", "sample", "--model", model, "--count", "5", "--seed", "1", "--prompt", "em"]).stdout == sample.stdout)
    let eval = try runBackprop(["lm", "eval", "--model", model, "--json"])
    #expect(eval.status == 0, "\(eval.stderr)")
    let e = try json(eval.stdout)
    let loss = try #require(e["testLoss"] as? Double)
    #expect(loss > 0 && loss < 3.3 && abs((e["testPerplexity"] as! Double) - exp(loss)) < 1e-9)
    let resumed = try runBackprop(["lm", "train", "--resume", model, "--steps", "40", "--save", model, "--quiet"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let again = try json(try runBackprop(["lm", "eval", "--model", model, "--json"]).stdout)
    #expect(again["testLoss"] as? Double != loss)
    let record = try json(try runBackprop(["lm", "train", "--resume", model, "--steps", "40", "--json"]).stdout)
    #expect(record["steps"] as? Int == 40 && (record["history"] as? [Any])?.count == 4, "the resumed run kept its history")
  }

  /// Every architecture trains, saves, samples and evaluates through the same commands.
  @Test(arguments: ["transformer", "lstm", "gru"]) func everyArchitectureRunsEndToEnd(arch: String) throws {
    defer { try? FileManager.default.removeItem(at: directory) }
    let corpus = try file("names.txt", words), model = directory.appendingPathComponent("\(arch).safetensors").path
    let train = try runBackprop(["lm", "train", "--corpus", corpus, "--corpus-kind", "words", "--arch", arch, "--layers", "1", "--heads", "2",
                                 "--embed", "8", "--context", "10", "--steps", "4", "--eval-every", "2", "--batch-size", "4", "--save", model, "--json"])
    #expect(train.status == 0, "\(train.stderr)")
    let sample = try runBackprop(["lm", "sample", "--model", model, "--count", "3", "--prompt", "a"])
    #expect(sample.status == 0 && sample.stdout.split(separator: "\n").count == 3, "\(sample.stderr)")
    let eval = try json(try runBackprop(["lm", "eval", "--model", model, "--json"]).stdout)
    #expect((eval["testLoss"] as? Double ?? .nan).isFinite)
  }

  /// `--untied-head --init pytorch` is saved in the checkpoint: sample, eval and `--resume` rebuild
  /// that model (its `lm_head.bias` included); a resume that names another one is refused.
  @Test func untiedHeadAndPyTorchInitAreKeptByTheCheckpoint() throws {
    defer { try? FileManager.default.removeItem(at: directory) }
    let corpus = try file("names.txt", words), model = directory.appendingPathComponent("u.safetensors").path
    let common = ["lm", "train", "--corpus", corpus, "--corpus-kind", "words", "--arch", "transformer", "--layers", "1", "--heads", "2",
                  "--embed", "8", "--context", "10", "--steps", "4", "--eval-every", "2", "--batch-size", "4", "--json"]
    let tied = try json(try runBackprop(common).stdout)
    let train = try runBackprop(common + ["--untied-head", "--init", "pytorch", "--save", model])
    #expect(train.status == 0, "\(train.stderr)")
    let vocabulary = try #require(tied["vocabulary"] as? Int)
    #expect(try json(train.stdout)["parameters"] as? Int == (tied["parameters"] as? Int).map { $0 + 8 * vocabulary + vocabulary },
            "the untied head adds lm_head.weight and lm_head.bias")
    #expect(try runBackprop(["lm", "sample", "--model", model, "--count", "2"]).status == 0)
    #expect(try runBackprop(["lm", "eval", "--model", model]).status == 0)
    let resumed = try runBackprop(["lm", "train", "--resume", model, "--steps", "6", "--init", "pytorch", "--untied-head", "--quiet"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let refused = try runBackprop(["lm", "train", "--resume", model, "--steps", "6", "--init", "nanogpt"])
    #expect(refused.status != 0 && refused.stderr.contains("--init: \(model) was initialised with pytorch, not nanogpt"), "\(refused.stderr)")
  }

  /// Each mistake: one line on stderr starting `Error:`, a non-zero status, no trace.
  @Test func badInputGivesOneLine() throws {
    defer { try? FileManager.default.removeItem(at: directory) }
    let corpus = try file("names.txt", words), model = directory.appendingPathComponent("m.safetensors").path
    let empty = try file("empty.txt", []), latin1 = try file("latin1.txt", [0x63, 0x61, 0x66, 0xE9, 0x0A])
    let notLM = try file("plain.safetensors", Array(#"{"__metadata__":{}}"#.utf8).withHeaderLength)
    #expect(try runBackprop(["lm", "train", "--corpus", corpus, "--corpus-kind", "words", "--steps", "2", "--save", model, "--quiet"]).status == 0)
    let cases: [([String], String)] = [
      (["lm", "train", "--corpus", empty, "--steps", "1"], "\(empty): the text is empty"),
      (["lm", "train", "--corpus", empty, "--corpus-kind", "words", "--steps", "1"], "\(empty): the word list is empty"),
      (["lm", "train", "--corpus", latin1, "--steps", "1"], "\(latin1): not valid UTF-8 text"),
      (["lm", "train", "--corpus", corpus, "--arch", "rnn"], "--arch: 'rnn' is not one of"),
      (["lm", "train", "--corpus", corpus, "--steps", "1", "--epochs", "1"], "--steps and --epochs"),
      (["lm", "train", "--corpus", corpus, "--arch", "lstm", "--untied-head"], "--untied-head: only the transformer has a head to untie"),
      (["lm", "train", "--corpus", corpus, "--arch", "lstm", "--init", "nanogpt"], "--init: nanogpt is the transformer's initialisation"),
      (["lm", "train", "--corpus", corpus, "--arch", "transformer", "--init", "xavier"], "--init: 'xavier' is not one of nanogpt, pytorch"),
      (["lm", "sample", "--model", model, "--prompt", "eQ"], "--prompt: character \"Q\" is not in the model's vocabulary"),
      (["lm", "sample", "--model", model, "--prompt", String(repeating: "a", count: 16)], "--prompt: 16 characters do not fit the model's context of 16"),
      (["lm", "sample", "--model", model, "--temperature", "0"], "--temperature: must be positive"),
      (["lm", "sample", "--model", notLM], "\(notLM): is not a language-model checkpoint"),
      (["lm", "eval", "--model", directory.appendingPathComponent("none").path], "none: no such file"),
      (["lm", "eval", "--model", model, "--corpus", latin1], "\(latin1): not valid UTF-8 text"),
      (["lm", "train", "--corpus", corpus, "--steps", "1", "--report", directory.path], "--report \(directory.path): is a directory"),
    ]
    for (arguments, expected) in cases {
      let r = try runBackprop(arguments)
      #expect(r.status != 0, "\(arguments)")
      #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains(expected), "\(arguments): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
    }
  }

  /// `--report` writes the HTML report (sections as in LanguageModelReportTests, which checks the values).
  @Test func trainWritesTheReport() throws {
    defer { try? FileManager.default.removeItem(at: directory) }
    let corpus = try file("names.txt", words), report = directory.appendingPathComponent("r.html").path
    let train = try runBackprop(["lm", "train", "--corpus", corpus, "--corpus-kind", "words", "--arch", "transformer", "--layers", "2",
                                 "--heads", "2", "--embed", "8", "--context", "10", "--steps", "4", "--eval-every", "2",
                                 "--batch-size", "4", "--report", report])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stdout.contains("report written to \(report)"))
    let html = try String(contentsOfFile: report, encoding: .utf8)
    for id in ["summary", "curves", "samples", "attention", "run"] { #expect(html.contains("<section id=\"\(id)\">"), "section \(id)") }
    #expect(html.contains("id=\"attention-l1-h1\"") && !html.contains("id=\"attention-l2-h0\""), "2 layers × 2 heads")
  }
}

extension Array where Element == UInt8 {
  /// A safetensors file: the 8-byte little-endian header length, then the header.
  var withHeaderLength: [UInt8] { (0..<8).map { UInt8((UInt64(count) >> (8 * $0)) & 0xFF) } + self }
}
