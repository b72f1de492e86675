import Backprop
import Foundation
import Testing

/// `--distributed` beyond the plain MLP step: augmentation, the sharded evaluation, `lm train`,
/// and how ranks wait for each other (issue 13).
@Suite(.serialized) struct DistributedPipelineTests {
  let dir: URL
  init() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-mpi-pipeline-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }
  func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
  func json(_ text: String) throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any] }

  /// Expects every pair of tensors to agree to `relative` (1e-5 unless said) of the larger
  /// magnitude, without being identical.
  func expectClose(_ one: [(String, [Float])], _ two: [(String, [Float])], relative: Float = 1e-5) {
    #expect(one.count == two.count && !one.isEmpty)
    var anyDifferent = false
    for ((name, a), (_, b)) in zip(one, two) {
      let scale = max(a.map(abs).max()!, 1e-3), difference = zip(a, b).map { abs($0 - $1) }.max()!
      #expect(difference <= relative * scale, "\(name): max |Δ| \(difference) vs max |w| \(scale)")
      anyDifferent = anyDifferent || difference > 0
    }
    #expect(anyDifferent, "identical bits would mean the two runs did not differ at all")
  }

  func trainedWeights(_ file: String) throws -> [(String, [Float])] {
    try TrainingCheckpoint.load(contentsOf: URL(fileURLWithPath: file)).trainer.model.namedParameters.map { ($0.0, $0.1.scalars) }
  }

  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func augmentedTwoRanksOfBatch64MatchOneProcessOfBatch128() throws {
    // Each sample's shift and flip depend on (seed, epoch, sample index) only, so the rank that
    // gets a sample augments it as one process would. 3 epochs of 12 steps.
    let recipe = ["--optimizer", "momentum", "--lr", "0.05", "--epochs", "3", "--seed", "3", "--quiet", "--augment", "shift=1,flip"]
    let one = try runBackprop(["train", "--batch-size", "128", "--save", path("one.safetensors")] + recipe)
    #expect(one.status == 0, "\(one.stderr)")
    let two = try runUnderMPI(ranks: 2, ["train", "--distributed", "--batch-size", "64", "--save", path("two.safetensors")] + recipe)
    #expect(two.status == 0, "\(two.stderr)")
    expectClose(try trainedWeights(path("one.safetensors")), try trainedWeights(path("two.safetensors")))
  }

  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func eachRankEvaluatesItsShareAndTheCountsAddUpToOneProcesssAccuracy() throws {
    let two = try runUnderMPI(ranks: 2, ["train", "--distributed", "--batch-size", "64", "--epochs", "2", "--seed", "1", "--json",
                                         "--save", path("eval.safetensors")])
    #expect(two.status == 0, "\(two.stderr)")
    // The last epoch's evaluation ran sharded (180 + 180 of the 360 test digits, counts summed);
    // the report's test accuracy is rank 0 alone evaluating all of them with the same weights.
    let record = try #require(try TrainingCheckpoint.load(contentsOf: URL(fileURLWithPath: path("eval.safetensors"))).trainer.history.last)
    let report = try json(two.stdout)
    #expect(record.evaluationAccuracy == report["test_accuracy"] as? Double, "\(record) vs \(two.stdout)")
    let loss = try #require(report["test_loss"] as? Double)
    // Each batch's loss is a Float mean: batches of other sizes round differently (≈ 1e-7).
    #expect(abs(record.evaluationLoss! - loss) <= 1e-5 * loss, "\(record.evaluationLoss!) vs \(loss)")
  }

  var words: [UInt8] {
    let names = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"]
    return Array((0..<6).flatMap { i in names.map { $0 + String(repeating: "a", count: i % 3) } }.joined(separator: "\n").utf8)
  }

  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func languageModelTwoRanksOfBatch8MatchOneProcessOfBatch16() throws {
    let corpus = path("names.txt")
    try Data(words).write(to: URL(fileURLWithPath: corpus))
    let recipe = ["lm", "train", "--corpus", corpus, "--corpus-kind", "words", "--arch", "lstm", "--layers", "1", "--embed", "16", "--context", "10",
                  "--steps", "30", "--eval-every", "10", "--lr", "0.01", "--seed", "2", "--json"]
    let one = try runBackprop(recipe + ["--batch-size", "16", "--save", path("one.safetensors")])
    #expect(one.status == 0, "\(one.stderr)")
    let two = try runUnderMPI(ranks: 2, recipe + ["--distributed", "--check-replicas", "--batch-size", "8", "--save", path("two.safetensors")])
    #expect(two.status == 0, "\(two.stderr)")
    func weights(_ file: String) throws -> [(String, [Float])] {
      let model = try LanguageModelCheckpoint.loadModel(contentsOf: URL(fileURLWithPath: file)).model
      return model.parameters.enumerated().map { ("parameter \($0.offset)", $0.element.scalars) }
    }
    // AdamW divides each gradient by its running RMS, so a weight whose gradient is near zero
    // turns last-bit differences of the summation order (16 rows of a time step in one process,
    // 8 + 8 on two ranks) into weight differences of about 1e-5 of the largest weight: measured
    // 1.12e-5 for the head weight after 30 steps (8.6e-6 when the LSTM ran batch-first), every
    // other tensor ≤ 4.4e-6. The MLP tests (SGD with momentum) keep 1e-5.
    expectClose(try weights(path("one.safetensors")), try weights(path("two.safetensors")), relative: 3e-5)
    // The validation losses (each rank scores every other batch, sums reduced) agree too.
    let a = try json(one.stdout), b = try json(two.stdout)
    let (la, lb) = (try #require(a["validationLoss"] as? Double), try #require(b["validationLoss"] as? Double))
    #expect(abs(la - lb) <= 1e-5 * la, "\(la) vs \(lb)")
    #expect(b["ranks"] as? Int == 2 && (b["weightsDigest"] as? String)?.count == 18, "\(two.stdout)")
    // 1 KiB buckets: every parameter in a bucket of its own, reduced in place. Summed in shared
    // memory or by MPI_Iallreduce, 2 ranks add a + b whatever the buckets: the same bits.
    for reduce in ["auto", "mpi"] {
      let small = try runUnderMPI(ranks: 2, mpirunOptions: ["-x", "BACKPROP_MPI_REDUCE=\(reduce)"],
                                  recipe + ["--distributed", "--check-replicas", "--batch-size", "8", "--bucket-kib", "1"])
      #expect(small.status == 0, "\(reduce): \(small.stderr)")
      #expect(try json(small.stdout)["weightsDigest"] as? String == b["weightsDigest"] as? String, "\(reduce): \(small.stdout)")
    }
    // Row blocks are for an MLP's first layer; a language model's first parameter is its
    // embedding (tied to the head in a transformer): refused in one line, before MPI starts.
    let blocks = try runBackprop(recipe + ["--distributed", "--gradient-blocks", "2"])
    #expect(blocks.status != 0 && blocks.stderr == "Error: --gradient-blocks applies to train (an MLP's first layer), not to lm train\n", "\(blocks.stderr)")
    // Without clipping, AdamW's step of the large parameters is sharded in shared memory (each
    // of the LSTM's 192×48 weights split between the ranks: 2 pieces each): the checkpoint,
    // AdamW's moments included, has the bytes of every rank updating everything from .grad.
    let wider = recipe.map { $0 == "16" ? "48" : $0 }
    let unclipped = wider + ["--distributed", "--check-replicas", "--batch-size", "8", "--clip", "0", "--bucket-kib", "1"]
    let sharded = try runUnderMPI(ranks: 2, mpirunOptions: ["-x", "BACKPROP_SHARDED_UPDATE=on"], unclipped + ["--save", path("sharded.safetensors")])
    let plain = try runUnderMPI(ranks: 2, mpirunOptions: ["-x", "BACKPROP_SHARDED_UPDATE=off"], unclipped + ["--save", path("plain.safetensors")])
    #expect(sharded.status == 0 && plain.status == 0, "\(sharded.stderr) \(plain.stderr)")
    #expect(try json(sharded.stdout)["shardedUpdate"] as? Bool == true && json(plain.stdout)["shardedUpdate"] as? Bool == false,
            "\(sharded.stdout) \(plain.stdout)")
    #expect(try json(sharded.stdout)["weightsDigest"] as? String == json(plain.stdout)["weightsDigest"] as? String)
    let (shardedFile, plainFile) = (FileManager.default.contents(atPath: path("sharded.safetensors")), FileManager.default.contents(atPath: path("plain.safetensors")))
    #expect(shardedFile != nil && shardedFile == plainFile, "the checkpoints (weights and AdamW's moments) differ")
    // The checkpoint keeps the global batch: 16 windows a step, whatever the ranks.
    #expect(try LanguageModelCheckpoint.loadModel(contentsOf: URL(fileURLWithPath: path("two.safetensors"))).configuration.batchSize == 16)
  }

  @Test(.enabled(if: mpiReady, "\(mpiMissing)"))
  func theWaitModeIsChosenOrForcedAndReported() throws {
    let run = ["train", "--distributed", "--epochs", "1", "--json"]
    for (setting, expected) in [("spin", "spin"), ("sleep", "sleep"), ("auto", "auto:")] {
      let r = try runProcess(URL(fileURLWithPath: mpirunPath()!),
                             ["--allow-run-as-root", "--oversubscribe", "-np", "2", "--mca", "btl", "self,tcp", try backpropBinary().path] + run,
                             environment: ["BACKPROP_MPI_WAIT": setting])
      #expect(r.status == 0, "\(r.stderr)")
      let mode = try json(r.stdout)["mpi_wait"] as? String ?? ""
      #expect(expected.hasSuffix(":") ? ["auto:spin", "auto:sleep"].contains(mode) : mode == expected, "\(setting): \(r.stdout)")
    }
    let bad = try runBackprop(["train", "--distributed", "--epochs", "1"], environment: ["BACKPROP_MPI_WAIT": "busy"])
    #expect(bad.status != 0)
    #expect(bad.stderr == "Error: BACKPROP_MPI_WAIT must be spin, sleep or auto, got 'busy'\n", "\(bad.stderr)")
  }
}
