// A helper process for Tests/RobustnessTests, Tests/BackpropCLITests (and scripts/kill-test.sh);
// not part of the public tool.
//
//   checkpoint-writer save-loop PATH FIRST [COUNT]
//       Saves a 4 MB model to PATH with `ModelFile.save` (atomic: temporary file, fsync,
//       rename, fsync of the directory) as versions FIRST, FIRST+1, ... (COUNT of them, or
//       until killed). Version v holds parameters that depend on v, and its metadata carries
//       `version` = v and `checksum` = FNV-1a 64 of every parameter's words, so a reader can
//       tell a complete version from a torn or mixed one. After each save returns it prints
//       "saved v" (flushed), so the parent knows which versions were certainly committed.
//
//   mpirun -np 2 checkpoint-writer row-blocks BLOCKS
//       One `DataParallel` step over a first parameter, a 40 × 300 matrix, that is reduced in
//       BLOCKS row blocks but whose op (an elementwise product) does not write blocks, so
//       DataParallel splits the finished gradient itself. Rank r's loss is Σ W·Cᵣ + Σ b·dᵣ with
//       known Cᵣ, dᵣ and a sample share of ½: the reduced gradient must be ½C₀ + ½C₁ exactly.
//       Prints "max error E" (0 when right) on every rank; BACKPROP_MPI_REDUCE=mpi picks
//       MPI_Iallreduce over shared memory, as for `backprop train`.
//
//   checkpoint-writer train OUT [SEED]
//       Trains a small MLP (64-128-128-10, SGD with momentum, 3 epochs of 512 synthetic
//       samples, batch 64: large enough for the GEMMs to use threads) and saves the weights to
//       OUT. Thread count and BLAS backend come from BACKPROP_THREADS / BACKPROP_BLAS, so the
//       determinism test can compare runs bit for bit in fresh processes.
import Backprop
import BackpropKernels
import Foundation

/// FNV-1a (64-bit) over 32-bit words: the parameters' bit patterns, continuing from `hash`.
func fnv1a(_ words: UnsafeBufferPointer<Float>, _ hash: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
  var h = hash
  for w in words { h = (h ^ UInt64(w.bitPattern)) &* 0x0000_0100_0000_01b3 }
  return h
}

/// The checksum stored in each version's metadata: `fnv1a` over the parameters in name order.
func checksum(_ model: Sequential<Float>) -> UInt64 {
  var h: UInt64 = 0xcbf2_9ce4_8422_2325
  for (_, p) in model.namedParameters.sorted(by: { $0.0 < $1.0 }) {
    h = p.scalars.withUnsafeBufferPointer { fnv1a($0, h) }
  }
  return h
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("checkpoint-writer: \(message)\n".utf8))
  exit(2)
}

func saveLoop(path: String, first: Int, count: Int?) throws {
  let url = URL(fileURLWithPath: path)
  // 1024 × 1024 weights + 1024 biases: 4.2 MB of F32 data per version.
  let model = try Sequential<Float>.mlp([1024, 1024], initializer: .zeros, seed: 0)
  for (k, (_, p)) in model.namedParameters.enumerated() {
    p.update { values in
      values.withUnsafeMutableBufferPointer { v in
        for i in v.indices { v[i] = Float(k) + Float(i & 1023) * 0x1p-10 }
      }
    }
  }
  var version = first
  while count.map({ version < first + $0 }) ?? true {
    // Every 1 KiB of every parameter depends on the version, so a file that mixed the pages of
    // two versions (a torn write) would not match either checksum.
    for (_, p) in model.namedParameters {
      p.update { values in
        values.withUnsafeMutableBufferPointer { v in
          for i in stride(from: 0, to: v.count, by: 256) { v[i] = Float(version) }
        }
      }
    }
    let metadata = ["version": String(version), "checksum": String(checksum(model), radix: 16)]
    try ModelFile.save(model, to: url, metadata: metadata)
    print("saved \(version)")
    fflush(stdout)
    version += 1
  }
}

func train(out: String, seed: UInt64) throws {
  // A learnable synthetic task: labels are the argmax of a fixed random linear map.
  var g = SeededGenerator(seed: 1234)
  let (n, features, classes) = (512, 64, 10)
  let x = Tensor<Float>.randomNormal([n, features], using: &g)
  let w = Tensor<Float>.randomNormal([features, classes], using: &g)
  let logits = x.matmul(w)
  let labels = logits.argmax(alongAxis: 1)
  let data = try Dataset(name: "synthetic", features: x.scalars, featureCount: features, labels: labels, classCount: classes)
  var config = TrainingConfiguration()
  (config.epochs, config.batchSize, config.optimizer, config.learningRate, config.seed) = (3, 64, .momentum, 0.05, seed)
  let trainer = try Trainer(model: try Sequential<Float>.mlp([features, 128, 128, classes], seed: seed), configuration: config)
  let records = try trainer.fit(on: data)
  try ModelFile.save(trainer.model, to: URL(fileURLWithPath: out))
  print("trained loss \(records.last?.trainLoss ?? .nan) threads \(Gemm.threadCount) backend \(Gemm.backend.rawValue)")
}

func rowBlocks(_ blocks: Int) throws {
  let world = try Communicator()
  let (rows, columns) = (40, 300)
  func constants(_ rank: Int, _ count: Int, _ salt: Int) -> [Float] { (0..<count).map { Float(($0 * 7 + rank * 13 + salt) % 17) - 8 } }
  let w = Tensor<Float>(shape: [rows, columns], scalars: Array(repeating: 0.5, count: rows * columns), requiresGrad: true)
  let b = Tensor<Float>(shape: [rows], scalars: Array(repeating: 0.5, count: rows), requiresGrad: true)
  let group = try DataParallel(parameters: [w, b], communicator: world, bucketBytes: 1024, gradientBlocks: blocks,
                               sharedMemory: ProcessInfo.processInfo.environment["BACKPROP_MPI_REDUCE"] != "mpi")
  guard group.gradientBlocks == blocks else { fail("the first parameter was not blocked (\(group.gradientBlocks) blocks)") }
  let c = constants(world.rank, rows * columns, 0), d = constants(world.rank, rows, 5)
  group.beginStep(sampleShare: 0.5)
  let loss = (w * Tensor(shape: [rows, columns], scalars: c)).sum() + (b * Tensor(shape: [rows], scalars: d)).sum()
  group.backward(loss)
  try group.finishGradients()
  var error: Float = 0
  for (p, expected) in [(w, zip(constants(0, rows * columns, 0), constants(1, rows * columns, 0)).map { 0.5 * $0 + 0.5 * $1 }),
                        (b, zip(constants(0, rows, 5), constants(1, rows, 5)).map { 0.5 * $0 + 0.5 * $1 })] {
    guard let g = p.grad, g.count == expected.count else { fail("rank \(world.rank): no gradient of \(expected.count) elements") }
    error = max(error, zip(g.scalars, expected).map { abs($0 - $1) }.max()!)
  }
  print("rank \(world.rank) reduction \(group.reducesInSharedMemory ? "shared memory" : "MPI_Iallreduce") max error \(error)")
  world.finalize()
}

let args = CommandLine.arguments
do {
  switch args.count > 1 ? args[1] : "" {
  case "save-loop" where args.count >= 4:
    guard let first = Int(args[3]) else { fail("FIRST must be an integer") }
    try saveLoop(path: args[2], first: first, count: args.count > 4 ? Int(args[4]) : nil)
  case "row-blocks" where args.count >= 3:
    guard let blocks = Int(args[2]), blocks >= 2 else { fail("BLOCKS must be an integer ≥ 2") }
    try rowBlocks(blocks)
  case "train" where args.count >= 3:
    try train(out: args[2], seed: args.count > 3 ? UInt64(args[3]) ?? 0 : 0)
  default:
    fail("usage: checkpoint-writer save-loop PATH FIRST [COUNT] | row-blocks BLOCKS | train OUT [SEED]")
  }
} catch {
  fail("\(error)")
}
