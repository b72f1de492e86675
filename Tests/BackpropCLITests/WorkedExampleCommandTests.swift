import Foundation
import Testing

/// The worked-example commands through the built binary: their JSON keys, and one-line errors for bad input.
@Suite(.serialized) struct WorkedExampleCommandTests {
  func object(_ arguments: [String]) throws -> [String: Any] {
    let r = try runBackprop(arguments)
    try #require(r.status == 0, "\(arguments): \(r.stderr)")
    return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
  }

  /// Sums of signed terms read as maths: `-6.63 − 0.86`, never `-6.63 + -0.86`.
  @Test func chainRuleTextWritesSignedSums() throws {
    let r = try runBackprop(["chain-rule"])
    try #require(r.status == 0, "\(r.stderr)")
    let sums = r.stdout.split(separator: "\n").filter { $0.contains("d z/d") }
    #expect(sums.count == 2, "\(r.stdout)")
    #expect(!r.stdout.contains("+ -") && sums.contains { $0.contains(" − ") }, "\(sums)")
  }

  /// `train --help` states the defaults of the options people change first.
  @Test func trainHelpShowsDefaults() throws {
    let r = try runBackprop(["train", "--help"])
    try #require(r.status == 0)
    let help = r.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
    for option in ["--batch-size <batch-size> Batch size (default: 32 for digits",
                   "--epochs <epochs> Total epochs (default: 30 for digits",
                   "--lr <lr> Learning rate (default: 0.05 for digits",
                   "(default: 64,128,64,10 for digits"] {
      #expect(help.contains(option), "missing: \(option)")
    }
  }

  @Test func chainRuleJSONHasTheIssueKeys() throws {
    let o = try object(["chain-rule", "--s", "0.3", "--t", "-2", "--json"])
    for key in ["x", "y", "z", "dz_ds", "dz_dt", "closed_form", "trace"] { #expect(o[key] != nil, "missing \(key)") }
    let closed = try #require(o["closed_form"] as? [String: Double])
    let ds = try #require(o["dz_ds"] as? Double)
    #expect(Swift.abs(ds - closed["dz_ds"]!) <= 1e-12 * Swift.max(1, Swift.abs(ds)))
    #expect((o["trace"] as? [Any])?.isEmpty == false)
  }

  @Test func vectorChainRuleJSONHasTheIssueKeys() throws {
    let o = try object(["vector-chain-rule", "--s", "1,2,3", "--t", "-0.5,-1,2", "--combine", "multiply", "--json"])
    for key in ["z", "dz_ds", "dz_dt", "shapes"] { #expect(o[key] != nil, "missing \(key)") }
    #expect((o["shapes"] as? [String: [Int]])?["dx/ds"] == [3, 3])
    #expect(try #require(o["max_abs_diff_finite_difference"] as? Double) < 1e-6)
  }

  @Test func jacobianShapesJSONHasTheIssueKeys() throws {
    let o = try object(["jacobian-shapes", "--m", "3", "--n", "4", "--o", "5", "--p", "2", "--json"])
    #expect((o["shapes"] as? [String: [Int]])?["product"] == [3, 2])
    #expect(try #require(o["max_abs_diff"] as? Double) < 1e-6)
  }

  @Test(arguments: [
    ["chain-rule", "--s", "abc"], ["vector-chain-rule", "--s", "1,x"], ["vector-chain-rule", "--s", "1,2", "--t", "1"],
    ["jacobian-shapes", "--m", "0"], ["jacobian-shapes", "--p", "-3"], ["bench", "--threads", "3"], ["nosuch"],
  ])
  func badArgumentsGiveOneLine(_ arguments: [String]) throws {
    let r = try runBackprop(arguments)
    #expect(r.status != 0 && r.status < 128, "\(arguments): crashed or succeeded")
    #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.hasPrefix("Error: "), "\(arguments): \(r.stderr)")
  }
}

/// `train --detect-anomaly` stops a diverging run with one error naming the op.
@Suite struct DetectAnomalyCommandTests {
  @Test func divergingTrainingIsStoppedAndNamed() throws {
    let r = try runBackprop(["train", "--epochs", "2", "--optimizer", "sgd", "--lr", "1e30", "--quiet", "--detect-anomaly"])
    #expect(r.status != 0 && r.status < 128, "\(r.stdout)\(r.stderr)")
    #expect(r.stderr.hasPrefix("Error: anomaly: '") && r.stderr.contains("input shapes"), "\(r.stderr)")
    // Without the flag the run stops at the first non-finite loss, with status 1 and advice.
    let plain = try runBackprop(["train", "--epochs", "2", "--optimizer", "sgd", "--lr", "1e30", "--quiet"])
    #expect(plain.status == 1, "\(plain.stderr)")
    #expect(plain.stderr.hasPrefix("Error: training diverged") && plain.stderr.contains("lower learning rate"), "\(plain.stderr)")
    #expect(plain.stderr.split(separator: "\n").count == 1 && !plain.stdout.contains("Test accuracy"))
  }
}

