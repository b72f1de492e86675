import ArgumentParser
import Backprop
import Foundation

/// `--distributed` and its settings: data-parallel training over the ranks of `mpirun`.
struct DistributedOptions: ParsableArguments {
  @Flag(help: "Train data-parallel over the processes of mpirun (mpirun -np N backprop train --distributed …): --batch-size is per rank, the global batch is N times larger; only rank 0 prints and saves. BACKPROP_MPI_WAIT=spin|sleep|auto sets how a rank waits for the others (auto: sleep when the host is oversubscribed); BACKPROP_MPI_REDUCE=mpi sums gradients with MPI_Iallreduce even when all ranks share this host (default: in shared memory); there each rank sums and updates its shard of the large weights and the ranks exchange the results (ZeRO stage 1), and BACKPROP_SHARDED_UPDATE=off makes every rank sum the whole gradient into .grad and update everything (same weights).")
  var distributed = false
  @Option(parsing: .unconditional, help: "With --distributed: gradient bucket size in KiB; buckets start their allreduce during backward (default 256).")
  var bucketKib: Int?
  @Flag(help: "With --distributed: multiply the learning rate by the number of ranks (linear scaling rule).")
  var scaleLr = false
  @Flag(help: "With --distributed: after every step, check that all ranks hold bit-identical weights (one small collective per step).")
  var checkReplicas = false
  @Option(parsing: .unconditional, help: "With --distributed (train): reduce the first layer's weight gradient in this many row blocks, each started as soon as backward writes it (1: in one piece, copied; default: in one piece that the GEMM writes straight into shared memory when the ranks sum there, 4 blocks over MPI_Iallreduce).")
  var gradientBlocks: Int?
  @Option(parsing: .unconditional, help: "With --distributed: seconds to wait for the other ranks before stopping (a lost rank; default 20).")
  var rankTimeout: Double?

  /// Whether any option here was given.
  var anyGiven: Bool { distributed || bucketKib != nil || scaleLr || checkReplicas || rankTimeout != nil || gradientBlocks != nil }

  /// Checks the ranges, naming the option.
  func validate() throws {
    if !distributed, bucketKib != nil || scaleLr || checkReplicas || rankTimeout != nil || gradientBlocks != nil {
      throw CommandError("--bucket-kib, --scale-lr, --check-replicas, --gradient-blocks and --rank-timeout need --distributed")
    }
    if let gradientBlocks, !(1...64).contains(gradientBlocks) { throw CommandError("--gradient-blocks must be in 1…64, got \(gradientBlocks)") }
    if let bucketKib, !(1...(1 << 20)).contains(bucketKib) { throw CommandError("--bucket-kib must be in 1…\(1 << 20), got \(bucketKib)") }
    if let rankTimeout, !(rankTimeout > 0 && rankTimeout <= 3600) { throw CommandError("--rank-timeout must be in (0, 3600] seconds, got \(rankTimeout)") }
  }

  /// The MPI job this process is a rank of, or `nil` without `--distributed`.
  /// - Throws: `CommandError` in one line when Open MPI cannot be loaded or started.
  func join() throws -> Communicator? {
    guard distributed else { return nil }
    guard Communicator.isAvailable else { throw CommandError("--distributed needs Open MPI: \(Communicator.unavailableReason)") }
    if let wait = ProcessInfo.processInfo.environment["BACKPROP_MPI_WAIT"], !wait.isEmpty, !Communicator.waitModeNames.contains(wait) {
      throw CommandError("BACKPROP_MPI_WAIT must be spin, sleep or auto, got '\(wait)'")
    }
    if let reduce = ProcessInfo.processInfo.environment["BACKPROP_MPI_REDUCE"], !reduce.isEmpty, !["mpi", "auto"].contains(reduce) {
      throw CommandError("BACKPROP_MPI_REDUCE must be mpi or auto, got '\(reduce)'")
    }
    if let sharded = ProcessInfo.processInfo.environment["BACKPROP_SHARDED_UPDATE"], !sharded.isEmpty, !["on", "off"].contains(sharded) {
      throw CommandError("BACKPROP_SHARDED_UPDATE must be on or off, got '\(sharded)'")
    }
    do { return try Communicator() } catch { throw CommandError("--distributed: \(error)") }
  }

  /// Whether gradients may be summed in memory shared by the ranks of one host
  /// (`BACKPROP_MPI_REDUCE=mpi` forces MPI_Iallreduce; unset or `auto`: shared memory when every
  /// rank is on this host).
  var sharedMemory: Bool { ProcessInfo.processInfo.environment["BACKPROP_MPI_REDUCE"] != "mpi" }

  /// Whether the optimizer step of the large parameters may be sharded across the ranks
  /// (`Trainer.shardsOptimizerStep`; `BACKPROP_SHARDED_UPDATE=off`: every rank updates everything from `.grad`).
  var shardedUpdate: Bool { ProcessInfo.processInfo.environment["BACKPROP_SHARDED_UPDATE"] != "off" }

  /// The data-parallel group over `world` for `model`.
  func group(_ model: Sequential<Float>, _ world: Communicator) throws -> DataParallel {
    try DataParallel(model, communicator: world, bucketBytes: (bucketKib ?? 256) << 10, timeout: rankTimeout ?? 20,
                     gradientBlocks: gradientBlocks, sharedMemory: sharedMemory)
  }

  /// The data-parallel group over `world` for a model of `parameters` (a language model).
  func group(parameters: [Tensor<Float>], _ world: Communicator) throws -> DataParallel {
    try DataParallel(parameters: parameters, communicator: world, bucketBytes: (bucketKib ?? 256) << 10, timeout: rankTimeout ?? 20,
                     sharedMemory: sharedMemory)
  }
}
