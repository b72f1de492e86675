import Backprop
import BackpropBenchmarks
import Foundation
import Testing

/// The compute settings are reported by `info` and recorded in every `bench` row from the
/// settings actually in force, not from a label passed alongside.
@Suite(.serialized) struct ComputeSettingsCommandTests {
  /// W1 pins each backend in turn and takes the thread count from the caller.
  @Test func benchRowsRecordTheSettingsInForce() throws {
    let settings = ComputeSettings(threadCount: 1, kernelISA: .portable)
    let rows = try withComputeSettings(settings) { try MatMulBenchmark.run(runs: 1, sizes: [16]) }
    #expect(rows.map(\.gemmBackend) == GemmBackend.allCases.filter(\.isAvailable).map(\.rawValue))
    for row in rows {
      #expect(row.threads == 1 && row.kernelISA == "portable" && row.extra["backend"] == row.gemmBackend, "\(row.case)")
    }
  }

  /// E1 pins 1 and 2 threads itself; its rows say so whatever the caller's settings are.
  @Test func elementwiseRowsRecordTheirOwnThreadCounts() throws {
    let rows = try withComputeSettings(ComputeSettings(threadCount: 7)) { try ElementwiseBenchmark.run(runs: 1, sizes: [64]) }
    #expect(rows.map(\.threads).sorted() == [1, 1, 1, 1, 2, 2, 2, 2])
  }

  @Test func infoAndBenchJSONReportTheSettings() throws {
    let info = try runBackprop(["info"])
    #expect(info.status == 0)
    for key in ["matrix multiply: ", "threads: ", "instruction set: "] {
      #expect(info.stdout.contains(key), "info lacks \(key): \(info.stdout)")
    }
    let bench = try runBackprop(["bench", "--workload", "W5", "--threads", "2", "--runs", "1", "--json"])
    #expect(bench.status == 0, "\(bench.stderr)")
    for line in bench.stdout.split(separator: "\n") {
      let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(row["threads"] as? Int == 2)
      #expect(row["gemm_backend"] is String && row["kernel_isa"] is String)
    }
  }
}
