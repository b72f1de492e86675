// A helper process for Tests/RobustnessTests (and scripts/kill-test.sh); not part of the
// public tool.
//
//   checkpoint-writer save-loop PATH FIRST [COUNT]
//       Saves a 4 MB model to PATH with `ModelFile.save` (atomic: temporary file, fsync,
//       rename, fsync of the directory) as versions FIRST, FIRST+1, ... (COUNT of them, or
//       until killed). Version v holds parameters that depend on v, and its metadata carries
//       `version` = v and `checksum` = FNV-1a 64 of every parameter's words, so a reader can
//       tell a complete version from a torn or mixed one. After each save returns it prints
//       "saved v" (flushed), so the parent knows which versions were certainly committed.
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

let args = CommandLine.arguments
do {
  switch args.count > 1 ? args[1] : "" {
  case "save-loop" where args.count >= 4:
    guard let first = Int(args[3]) else { fail("FIRST must be an integer") }
    try saveLoop(path: args[2], first: first, count: args.count > 4 ? Int(args[4]) : nil)
  case "train" where args.count >= 3:
    try train(out: args[2], seed: args.count > 3 ? UInt64(args[3]) ?? 0 : 0)
  default:
    fail("usage: checkpoint-writer save-loop PATH FIRST [COUNT] | train OUT [SEED]")
  }
} catch {
  fail("\(error)")
}
