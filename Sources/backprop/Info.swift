import ArgumentParser
import Backprop

/// `backprop info`: the build's version, the matrix-multiply backend in use and its threads.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Show the version and the compute settings: matrix-multiply backend (BACKPROP_BLAS), threads (BACKPROP_THREADS), instruction set.")

  func run() {
    print("backprop \(BackpropCommand.configuration.version)")
    let settings = ComputeSettings.current
    print("matrix multiply: \(KernelInfo.backendName(settings))")
    print("threads: \(settings.threadCount)")
    print("instruction set: \(settings.kernelISA.rawValue)")
    print("CPU features: \(KernelInfo.cpuFeatures)")
  }
}
