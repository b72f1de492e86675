import Foundation
import Testing

/// `train --limit N`: the first N training samples only (quick runs, the W6 scaling benchmark).
@Suite struct TrainLimitTests {
  @Test func limitTrainsOnTheFirstSamplesAndRefusesCheckpoints() throws {
    let r = try runBackprop(["train", "--limit", "200", "--epochs", "1", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    let seconds = try #require((report["epoch_seconds"] as? [Double])?.first)
    let samples = try #require(report["samples_per_second"] as? Double) * seconds
    #expect(abs(samples - 200) < 1e-6, "an epoch of \(samples) samples, not 200 of the 1,437")
    for (arguments, message) in [(["--limit", "0"], "Error: --limit must be ≥ 1, got 0\n"),
                                 (["--limit", "10", "--save", "x.safetensors"],
                                  "Error: --limit cannot be combined with --save or --resume (a checkpoint records the whole data set)\n")] {
      let bad = try runBackprop(["train", "--epochs", "1"] + arguments)
      #expect(bad.status != 0 && bad.stderr == message, "\(bad.stderr)")
    }
  }
}
