import Backprop
import Foundation
import Testing

/// Whether `mpirun` and Open MPI are here; the reason given when the MPI tests are skipped.
let mpiReady = mpirunPath() != nil && Communicator.isAvailable
let mpiMissing = "needs Open MPI's mpirun and libmpi.so.40 (apt-get install openmpi-bin libopenmpi3)"

/// `mpirun … backprop train --distributed`: two ranks against one process, bit-identical
/// replicas, resume, mismatched options, lost ranks (issue 13).
@Suite(.serialized) struct DistributedTrainingTests {
  let dir: URL
  init() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-mpi-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }
  func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  /// The model weights of a checkpoint, by name.
  func weights(_ file: String) throws -> [(String, [Float])] {
    try TrainingCheckpoint.load(contentsOf: URL(fileURLWithPath: file)).trainer.model.namedParameters.map { ($0.0, $0.1.scalars) }
  }

  // Momentum SGD on the digits: 1,437 samples in global batches of 128 → 12 steps per epoch, the
  // last one (29 samples) split 14/15 between the ranks; 5 epochs = 60 steps.
  let recipe = ["--optimizer", "momentum", "--lr", "0.05", "--epochs", "5", "--seed", "3", "--quiet"]

  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func twoRanksOfBatch64MatchOneProcessOfBatch128AndStayBitIdentical() throws {
    let one = try runBackprop(["train"] + recipe + ["--batch-size", "128", "--save", path("one.safetensors")])
    #expect(one.status == 0, "\(one.stderr)")
    // --check-replicas compares every rank's weight digest with rank 0's after every step.
    let two = try runUnderMPI(ranks: 2, ["train", "--distributed", "--check-replicas", "--bucket-kib", "16", "--json",
                                         "--batch-size", "64", "--save", path("two.safetensors")] + recipe)
    #expect(two.status == 0, "\(two.stderr)")
    for ((name, a), (_, b)) in zip(try weights(path("one.safetensors")), try weights(path("two.safetensors"))) {
      let scale = a.map(abs).max()!, difference = zip(a, b).map { abs($0 - $1) }.max()!
      // Float sums in another order (two half-batch means instead of one mean) differ by a few
      // ulps per step; 60 steps of a stable descent keep that far below 1e-5 of the weights.
      #expect(difference <= 1e-5 * scale, "\(name): max |Δ| \(difference) vs max |w| \(scale)")
      #expect(difference > 0 || a.count < 100, "\(name): identical bits would mean the two runs did not differ at all")
    }
    // Only rank 0 printed: one JSON object, whose digest is the saved weights'.
    let object = try JSONSerialization.jsonObject(with: Data(two.stdout.utf8)) as! [String: Any]
    #expect(object["ranks"] as? Int == 2)
    // Both ranks' step phases come back (gathered over MPI): each rank took every step, and per
    // epoch its phases add up to at most the epoch's time (the slowest rank's).
    let phases = object["rank_phases"] as? [[String: Any]] ?? []
    let epochSeconds = object["epoch_seconds"] as? [Double] ?? []
    #expect(phases.map { $0["rank"] as? Int } == [0, 1], "\(two.stdout)")
    for rank in phases {
      let epochs = rank["epochs"] as? [[String: Double]] ?? []
      #expect(epochs.count == epochSeconds.count && !epochs.isEmpty, "\(rank)")
      for (e, seconds) in zip(epochs, epochSeconds) {
        let sum = ["data", "forward", "backward", "allreduceWait", "optimizer", "other"].map { e[$0] ?? -1 }.reduce(0, +)
        #expect((e["steps"] ?? 0) > 0 && sum > 0 && sum <= seconds, "\(e) against \(seconds) s")
      }
    }
    // 17,226 gradients in 16 KiB (4,096-float) buckets, last layer first: [4.bias 4.weight 2.bias],
    // [2.weight], [0.weight] in one block written straight into shared memory by its GEMM (the
    // default when the ranks sum there), [0.bias]. Each starts from a hook as its last gradient
    // is ready, inside backward; none is left for after it.
    #expect(object["reduction"] as? String == "shared memory" && object["gradient_blocks"] as? Int == 1, "\(two.stdout)")
    #expect(object["buckets"] as? Int == 4, "\(two.stdout)")
    #expect(object["buckets_reduced_in_place"] as? Int == 3, "one-parameter buckets are reduced in their .grad: \(two.stdout)")
    #expect(object["buckets_started_during_backward"] as? Double == 1, "\(two.stdout)")
    let model = try TrainingCheckpoint.load(contentsOf: URL(fileURLWithPath: path("two.safetensors"))).trainer.model
    #expect(object["weights_digest"] as? String == hex(weightDigest(of: model.parameters)), "\(two.stdout)")
  }

  /// Gradients as bucket views: a parameter with a bucket of its own is reduced in place in its
  /// `.grad` storage (no packing), the others are packed into a shared buffer. Both must give the
  /// same bits, including the last step of each epoch, whose 14/15 split is not a power of two.
  /// (The own GEMM: with OpenBLAS the first layer's row blocks may differ in the last bit.)
  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func gradientsReducedInPlaceMatchPackedBucketsBitForBit() throws {
    func run(bucketKib: String) throws -> [String: Any] {
      try trainReport(mpirunOptions: ["-x", "BACKPROP_BLAS=none"], ["--bucket-kib", bucketKib, "--batch-size", "64"] + recipe)
    }
    // 1 KiB: every parameter has a bucket of its own (6, 0.weight's written straight into shared
    // memory by its GEMM, all in place); 1 MiB: one packed bucket.
    let views = try run(bucketKib: "1"), packed = try run(bucketKib: "1024")
    #expect(views["buckets_reduced_in_place"] as? Int == 6, "\(views)")
    #expect(packed["buckets_reduced_in_place"] as? Int == 0, "\(packed)")
    #expect(views["weights_digest"] as? String == packed["weights_digest"] as? String)
  }

  /// The first layer's weight gradient reduced in row blocks, each started while backward writes
  /// the next, gives the same bits as reducing it in one piece, including the 14/15 split
  /// (a share that is not a power of two, applied to each block as it is written), with the own
  /// GEMM (OpenBLAS picks its kernel by a block's size: the last bit may differ).
  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func firstLayerGradientInRowBlocksMatchesOnePieceBitForBit() throws {
    func run(blocks: String) throws -> [String: Any] {
      try trainReport(mpirunOptions: ["-x", "BACKPROP_BLAS=none"], ["--bucket-kib", "16", "--gradient-blocks", blocks, "--batch-size", "64"] + recipe)
    }
    let blocked = try run(blocks: "3"), whole = try run(blocks: "1")
    #expect(blocked["buckets"] as? Int == 6 && whole["buckets"] as? Int == 4, "\(blocked) \(whole)")
    // An explicit 1 is no blocks: the GEMM writes .grad, which is copied (the reference).
    #expect(whole["first_gradient_written_to_shared_memory"] as? Bool == false, "\(whole)")
    #expect(blocked["buckets_started_during_backward"] as? Double == 1, "\(blocked)")
    #expect(blocked["weights_digest"] as? String == whole["weights_digest"] as? String)
  }

  /// `mpirun [mpirunOptions] … train --distributed --json arguments…`: the JSON report rank 0
  /// printed; the run must succeed.
  func trainReport(ranks: Int = 2, mpirunOptions: [String] = [], _ arguments: [String]) throws -> [String: Any] {
    let r = try runUnderMPI(ranks: ranks, mpirunOptions: mpirunOptions, ["train", "--distributed", "--json"] + arguments)
    #expect(r.status == 0, "\(ranks) ranks, \(mpirunOptions): \(r.stderr)")
    return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
  }

  /// `trainReport` with `--check-replicas`, summing gradients in shared memory (the default on
  /// one host, `reduce` nil) or as `BACKPROP_MPI_REDUCE=reduce` says.
  func trainReport(ranks: Int, reduce: String?, _ arguments: [String]) throws -> [String: Any] {
    try trainReport(ranks: ranks, mpirunOptions: reduce.map { ["-x", "BACKPROP_MPI_REDUCE=\($0)"] } ?? [], ["--check-replicas"] + arguments)
  }

  /// Gradients summed in memory the ranks share give, for 2 ranks, the bits of MPI_Iallreduce
  /// (a + b either way): with the first layer's gradient written by its GEMM straight into
  /// shared memory, in 3 row blocks or in one (the default), and buckets reduced in place
  /// (16 KiB), and with one packed bucket (1 MiB),
  /// through the 14/15 split of each epoch's last step. 3 ranks stay bit-identical (every rank
  /// sums in rank order) and within rounding of MPI's sums; past `maximumRanks` (4) and when
  /// asked, MPI_Iallreduce reduces.
  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func gradientsSummedInSharedMemoryMatchMPIIallreduce() throws {
    // nil: the default in shared memory, one block the GEMM writes straight there, against MPI
    // with no blocks (the same GEMM).
    for (kib, blocks) in [("16", "3"), ("1024", "3"), ("16", nil)] {
      let options = ["--bucket-kib", kib, "--batch-size", "64"] + recipe
      let shared = try trainReport(ranks: 2, reduce: nil, options + (blocks.map { ["--gradient-blocks", $0] } ?? []))
      let mpi = try trainReport(ranks: 2, reduce: "mpi", options + ["--gradient-blocks", blocks ?? "1"])
      // (In 1 MiB buckets the first layer's 800 KB are packed with the others: no blocks.)
      #expect(shared["first_gradient_written_to_shared_memory"] as? Bool == (kib == "16") && mpi["first_gradient_written_to_shared_memory"] as? Bool == false,
              "\(kib) KiB, \(blocks ?? "default") blocks: \(shared) \(mpi)")
      #expect(shared["reduction"] as? String == "shared memory", "\(shared)")
      #expect(mpi["reduction"] as? String == "MPI_Iallreduce", "\(mpi)")
      #expect(shared["buckets"] as? Int == mpi["buckets"] as? Int && shared["buckets_started_during_backward"] as? Double == 1, "\(shared)")
      #expect(shared["weights_digest"] as? String != nil && shared["weights_digest"] as? String == mpi["weights_digest"] as? String,
"\(kib) KiB buckets, \(blocks ?? "default") blocks: \(shared["weights_digest"] ?? "none") in shared memory, \(mpi["weights_digest"] ?? "none") by MPI")
    }
    // Anomaly detection reads every gradient as its op returns it: the first layer's blocks are
    // then written into its gradient, not into shared memory, and the bits stay the same.
    for blocks in [["--gradient-blocks", "3"], []] {
      let checked = try trainReport(ranks: 2, reduce: nil, ["--bucket-kib", "16", "--batch-size", "64", "--detect-anomaly"] + blocks + recipe)
      let unchecked = try trainReport(ranks: 2, reduce: nil, ["--bucket-kib", "16", "--batch-size", "64"] + blocks + recipe)
      #expect(checked["weights_digest"] as? String != nil && checked["weights_digest"] as? String == unchecked["weights_digest"] as? String,
              "\(blocks): \(checked) \(unchecked)")
      #expect(checked["first_gradient_written_to_shared_memory"] as? Bool == false
              && unchecked["first_gradient_written_to_shared_memory"] as? Bool == true, "\(blocks): \(checked) \(unchecked)")
    }
    let three = ["--batch-size", "43", "--bucket-kib", "16"] + recipe
    _ = try trainReport(ranks: 3, reduce: "auto", three + ["--save", path("three-shared.safetensors")])
    _ = try trainReport(ranks: 3, reduce: "mpi", three + ["--save", path("three-mpi.safetensors")])
    for ((name, a), (_, b)) in zip(try weights(path("three-shared.safetensors")), try weights(path("three-mpi.safetensors"))) {
      let scale = a.map(abs).max()!, difference = zip(a, b).map { abs($0 - $1) }.max()!
      #expect(difference <= 1e-5 * scale, "\(name): max |Δ| \(difference) vs max |w| \(scale)")
    }
    let five = try trainReport(ranks: 5, reduce: nil, ["--batch-size", "26", "--epochs", "1", "--quiet", "--bucket-kib", "16"])
    #expect(five["reduction"] as? String == "MPI_Iallreduce", "\(five)")
    // The default row blocks: 4 for MPI_Iallreduce (1 in shared memory, checked in
    // twoRanksOfBatch64MatchOneProcessOfBatch128AndStayBitIdentical).
    #expect(five["gradient_blocks"] as? Int == 4 && five["buckets"] as? Int == 7, "\(five)")
    let bad = try runBackprop(["train", "--distributed", "--epochs", "1"], environment: ["BACKPROP_MPI_REDUCE": "nccl"])
    #expect(bad.status != 0)
    #expect(bad.stderr == "Error: BACKPROP_MPI_REDUCE must be mpi or auto, got 'nccl'\n", "\(bad.stderr)")
  }

  /// A row-blocked first parameter whose op does not write blocks (here an elementwise
  /// product): DataParallel splits the finished gradient into the blocks itself. Through the
  /// library directly (`checkpoint-writer row-blocks`, next to the `backprop` binary): the
  /// reduced gradient is exactly ½C₀ + ½C₁ in shared memory and over MPI_Iallreduce. (It used
  /// to be split with 0 columns: a stopped step in shared memory, an unreduced gradient over MPI.)
  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func aBlockedParameterWhoseOpWritesNoBlocksIsSplitAfterBackward() throws {
    let helper = try backpropBinary().deletingLastPathComponent().appendingPathComponent("checkpoint-writer")
    for reduce in ["auto", "mpi"] {
      for blocks in ["2", "3"] {
        let r = try runUnderMPI(ranks: 2, mpirunOptions: ["-x", "BACKPROP_MPI_REDUCE=\(reduce)"], executable: helper, ["row-blocks", blocks])
        #expect(r.status == 0, "\(reduce), \(blocks) blocks: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").filter { $0.contains("max error") }
        let reduction = reduce == "mpi" ? "MPI_Iallreduce" : "shared memory"
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasSuffix("reduction \(reduction) max error 0.0") }, "\(reduce), \(blocks) blocks: \(r.stdout)")
      }
    }
  }

  /// On one host the optimizer step of the large parameters is sharded (each rank sums and
  /// updates its shard from the summed pieces, then the ranks exchange the updated weights):
  /// the checkpoint, optimizer state included, has the bytes of `BACKPROP_SHARDED_UPDATE=off`
  /// (every rank updating everything from `.grad`), for every piecewise optimizer, with weight
  /// decay, with a first layer in row blocks, and on 3 ranks; with clipping (which reads the
  /// gradients), RMSProp (not piecewise) or MPI_Iallreduce it is not used, and the report says so.
  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func shardedUpdatesHaveTheBitsOfUpdatesFromGrad() throws {
    func run(_ arguments: [String], sharded: String, reduce: String = "auto", ranks: Int = 2) throws -> (report: [String: Any], checkpoint: Data) {
      let checkpoint = path("sharded-\(sharded)-\(ranks).safetensors")
      let r = try runUnderMPI(ranks: ranks, mpirunOptions: ["-x", "BACKPROP_SHARDED_UPDATE=\(sharded)", "-x", "BACKPROP_MPI_REDUCE=\(reduce)"],
                              ["train", "--distributed", "--check-replicas", "--json", "--batch-size", "64", "--epochs", "2", "--seed", "4",
                               "--quiet", "--bucket-kib", "16", "--save", checkpoint] + arguments)
      #expect(r.status == 0, "\(arguments) sharded \(sharded): \(r.stderr)")
      return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:],
              FileManager.default.contents(atPath: checkpoint) ?? Data())
    }
    for (options, ranks) in [(["--optimizer", "sgd"], 2), (["--optimizer", "nesterov", "--weight-decay", "1e-3", "--gradient-blocks", "3"], 2),
                             (["--optimizer", "adam", "--weight-decay", "1e-3"], 2), (["--optimizer", "adamw"], 2), (["--optimizer", "momentum"], 3)] {
      let sharded = try run(options, sharded: "on", ranks: ranks), plain = try run(options, sharded: "off", ranks: ranks)
      #expect(sharded.report["sharded_update"] as? Bool == true && plain.report["sharded_update"] as? Bool == false, "\(options): \(sharded.report) \(plain.report)")
      #expect(sharded.report["weights_digest"] as? String != nil && sharded.report["weights_digest"] as? String == plain.report["weights_digest"] as? String,
              "\(options), \(ranks) ranks: \(sharded.report["weights_digest"] ?? "none") sharded, \(plain.report["weights_digest"] ?? "none") from .grad")
      #expect(!sharded.checkpoint.isEmpty && sharded.checkpoint == plain.checkpoint,
              "\(options), \(ranks) ranks: the checkpoints (weights and optimizer state) differ")
    }
    #expect(try run(["--optimizer", "momentum", "--clip-norm", "1"], sharded: "on").report["sharded_update"] as? Bool == false)
    #expect(try run(["--optimizer", "rmsprop"], sharded: "on").report["sharded_update"] as? Bool == false)
    #expect(try run(["--optimizer", "momentum"], sharded: "on", reduce: "mpi").report["sharded_update"] as? Bool == false)
    let bad = try runBackprop(["train", "--distributed", "--epochs", "1"], environment: ["BACKPROP_SHARDED_UPDATE": "yes"])
    #expect(bad.status != 0)
    #expect(bad.stderr == "Error: BACKPROP_SHARDED_UPDATE must be on or off, got 'yes'\n", "\(bad.stderr)")
  }

  /// With 4 KiB buckets the larger weights have buckets of their own, so their Adam steps are
  /// sharded: the checkpoint must hold every rank's shard of the moments for the resumed run to
  /// match.
  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func resumeOnTheSameRanksContinuesBitForBit() throws {
    let base = ["train", "--distributed", "--optimizer", "adam", "--epochs", "3", "--seed", "5", "--quiet", "--batch-size", "32",
                "--bucket-kib", "4"]
    let whole = try runUnderMPI(ranks: 2, base + ["--save", path("whole.safetensors")])
    #expect(whole.status == 0, "\(whole.stderr)")
    let first = try runUnderMPI(ranks: 2, base + ["--stop-after", "1", "--save", path("part.safetensors")])
    #expect(first.status == 0, "\(first.stderr)")
    let rest = try runUnderMPI(ranks: 2, ["train", "--distributed", "--quiet", "--resume", path("part.safetensors"),
                                          "--save", path("part.safetensors")])
    #expect(rest.status == 0, "\(rest.stderr)")
    let a = try weights(path("whole.safetensors")), b = try weights(path("part.safetensors"))
    #expect(a.map(\.1) == b.map(\.1), "resumed weights differ from the uninterrupted run's")
    // Another number of ranks: refused in one line.
    let alone = try runBackprop(["train", "--resume", path("part.safetensors"), "--epochs", "4"])
    #expect(alone.status != 0)
    #expect(alone.stderr == "Error: --resume: \(path("part.safetensors")) was trained on 2 ranks; resume it on as many "
      + "(mpirun -np 2 backprop train --distributed …), not 1\n", "\(alone.stderr)")
  }

  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func mismatchedOptionsAcrossRanksStopEveryRankWithOneLine() throws {
    let common = ["train", "--distributed", "--epochs", "1", "--quiet"]
    let r = try runProcess(URL(fileURLWithPath: mpirunPath()!),
      ["--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,tcp",
       "-np", "1", try backpropBinary().path] + common + ["--layers", "64,32,10", ":",
       "-np", "1", try backpropBinary().path] + common + ["--layers", "64,16,10"])
    #expect(r.status != 0)
    let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }.sorted()
    #expect(lines.count == 2, "\(r.stderr)")
    for (rank, line) in lines.enumerated() {
      #expect(line.hasPrefix("Error: rank \(rank): the training configuration differs between ranks (rank 1 differs from rank 0"), "\(line)")
      #expect(line.hasSuffix("start every rank with the same options"), "\(line)")
    }
  }

  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func allreduceBenchmarkReportsEverySizeOnceFromRankZero() throws {
    let r = try runUnderMPI(ranks: 2, ["bench", "--workload", "D1", "--runs", "1", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let rows = r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    // 4 B, 16 B, … 16 MiB: 12 sizes, each printed once (rank 0 only), each taking some time.
    #expect(rows.map { $0["case"] as! String } == (0..<12).map { "allreduce_\(4 << (2 * $0))B" }, "\(r.stdout)")
    #expect(rows.allSatisfy { ($0["value"] as! Double) > 0 && $0["ranks"] as? String == "2" })
  }

  @Test func distributedWithoutMPISaysSoInOneLine() throws {
    let r = try runBackprop(["train", "--distributed", "--epochs", "1"], environment: ["BACKPROP_MPI_LIBRARY": "/nonexistent/libmpi.so.40"])
    #expect(r.status != 0)
    #expect(r.stderr == "Error: --distributed needs Open MPI: BACKPROP_MPI_LIBRARY=/nonexistent/libmpi.so.40 cannot be loaded\n", "\(r.stderr)")
    let options = try runBackprop(["train", "--scale-lr", "--epochs", "1"])
    #expect(options.status != 0)
    #expect(options.stderr == "Error: --bucket-kib, --scale-lr, --check-replicas, --gradient-blocks and --rank-timeout need --distributed\n", "\(options.stderr)")
  }

  /// Starts a long `mpirun -np 2 … --save`, waits for the first checkpoint, then does `signal`
  /// to rank 1; returns mpirun's status, its output and the seconds from the signal to its exit.
  func loseRankOne(signal: Int32, extra: [String]) throws -> (status: Int32, output: String, seconds: Double, checkpoint: String) {
    let checkpoint = path("lost.safetensors"), log = path("mpirun.log")
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: mpirunPath()!)
    process.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "2", "--mca", "btl", "self,tcp", try backpropBinary().path,
                         "train", "--distributed", "--epochs", "1000", "--quiet", "--save", checkpoint] + extra
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    (process.standardOutput, process.standardError) = (handle, handle)
    try process.run()
    defer { if process.isRunning { kill(-process.processIdentifier, SIGKILL); process.terminate() } }
    let deadline = Date().addingTimeInterval(60)
    while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline { usleep(100_000) }
    #expect(FileManager.default.fileExists(atPath: checkpoint), "no checkpoint after 60 s")
    let rank1 = try #require(childProcess(of: process.processIdentifier, rank: 1), "rank 1's process not found")
    let start = Date()
    kill(rank1, signal)
    while process.isRunning && Date().timeIntervalSince(start) < 60 { usleep(50_000) }
    let seconds = Date().timeIntervalSince(start)
    if signal == SIGSTOP { kill(rank1, SIGKILL) }
    process.waitUntilExit()
    try handle.close()
    return (process.terminationStatus, try String(contentsOfFile: log, encoding: .utf8), seconds, checkpoint)
  }

  /// The checkpoint left behind loads, whole: every epoch's record and the optimizer's state.
  func expectLoadable(_ checkpoint: String) throws {
    let loaded = try TrainingCheckpoint.load(contentsOf: URL(fileURLWithPath: checkpoint))
    #expect(loaded.trainer.completedEpochs >= 1 && loaded.trainer.history.count == loaded.trainer.completedEpochs)
  }

  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func aKilledRankStopsTheOthersWithin30SecondsNamingIt() throws {
    let r = try loseRankOne(signal: SIGKILL, extra: [])
    #expect(r.status != 0, "\(r.output)")
    #expect(r.seconds < 30, "the job ran on \(r.seconds) s after rank 1 was killed")
    // Open MPI's launcher sees the death first: "mpirun noticed that process rank 1 … exited on signal 9".
    #expect(r.output.contains("process rank 1") || r.output.contains("lost rank 1"), "\(r.output)")
    try expectLoadable(r.checkpoint)
  }

  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func aHungRankIsFoundByTheWatchdogNamingIt() throws {
    // SIGSTOP: the process lives, so only the wait timeout can notice.
    let r = try loseRankOne(signal: SIGSTOP, extra: ["--rank-timeout", "3"])
    #expect(r.status != 0, "\(r.output)")
    #expect(r.seconds < 30, "\(r.seconds) s")
    #expect(r.output.contains("Error: rank 0: lost rank 1: no answer within 3 s during the "), "\(r.output)")
    #expect(r.output.contains("lost.safetensors keeps epoch "), "\(r.output)")
    try expectLoadable(r.checkpoint)
  }
}

/// The process id of the child of `parent` that runs MPI rank `rank` (from its environment).
func childProcess(of parent: Int32, rank: Int) -> Int32? {
  guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
  for entry in entries {
    guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { continue }
    // Fields after the command's closing parenthesis: state, ppid, …
    guard let close = stat.lastIndex(of: ")") else { continue }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 1, Int32(fields[1]) == parent else { continue }
    guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
    if environ.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }) {
      return pid
    }
  }
  return nil
}
