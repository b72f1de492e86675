import ArgumentParser
import Backprop

/// `backprop info`: the build's version, the matrix-multiply backend in use and its threads.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Show the version and the compute settings: matrix-multiply backend (BACKPROP_BLAS), threads (BACKPROP_THREADS), instruction set, MPI (found, version, rank and size under mpirun).")

  func run() throws {
    print("backprop \(BackpropCommand.configuration.version)")
    let settings = ComputeSettings.current
    print("matrix multiply: \(KernelInfo.backendName(settings))")
    print("threads: \(settings.threadCount)")
    print("instruction set: \(settings.kernelISA.rawValue)")
    print("CPU features: \(KernelInfo.cpuFeatures)")
    guard Communicator.isAvailable else {
      print("MPI: not available (\(Communicator.unavailableReason))")
      return
    }
    print("MPI: \(Communicator.libraryVersion ?? "Open MPI")")
    if Communicator.launchedByMPIRun {
      let world = try Communicator()
      print("MPI rank: \(world.rank) of \(world.size)")
      world.finalize()
    } else {
      print("MPI rank: 0 of 1 (not started by mpirun)")
    }
  }
}
