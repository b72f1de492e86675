import ArgumentParser
import BackpropKernels

/// `backprop info`: the build's version, the matrix-multiply backend in use and its threads.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Show the version, the matrix-multiply backend (BACKPROP_BLAS) and its thread count (BACKPROP_THREADS).")

  func run() {
    print("backprop \(BackpropCommand.configuration.version)")
    print("matrix multiply: \(KernelInfo.backendName)")
    print("threads: \(KernelInfo.threadCount)")
    print("CPU features: \(KernelInfo.cpuFeatures)")
  }
}
