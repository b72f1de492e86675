// swift-tools-version:6.1
import PackageDescription

let package = Package(
  name: "Backprop",
  products: [
    // MARK: - Public API
    .library(name: "Backprop", targets: ["Backprop"]),
    .executable(name: "backprop", targets: ["backprop"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    // MARK: - Public API
    /// Tensors, the tape (reverse mode), forward mode, functional transforms, gradient checking.
    .target(
      name: "BackpropCore",
      dependencies: ["BackpropKernels", .product(name: "RealModule", package: "swift-numerics")]),
    /// Layers, losses, initializers and checkpoints (safetensors).
    .target(name: "BackpropNN", dependencies: ["BackpropCore", "BackpropData"]),
    /// Optimizers, learning-rate schedules, gradient clipping.
    .target(name: "BackpropOptim", dependencies: ["BackpropCore", "BackpropKernels", "BackpropNN", "BackpropData"]),
    /// IDX / CSV / safetensors readers, shipped data sets, batching.
    .target(name: "BackpropData", dependencies: ["BackpropCore", "BackpropKernels", "CZlib"]),
    /// Graph export (DOT/SVG), backward-pass explanations, training reports.
    .target(name: "BackpropViz", dependencies: ["BackpropCore", "BackpropNN"]),
    /// Umbrella: `import Backprop` re-exports every module above.
    .target(
      name: "Backprop",
      dependencies: ["BackpropCore", "BackpropNN", "BackpropOptim", "BackpropData", "BackpropViz", "BackpropKernels"]),
    /// The command-line tool.
    .executableTarget(
      name: "backprop",
      dependencies: ["Backprop", "BackpropBenchmarks", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    /// Test helper (Tests/RobustnessTests): saves checkpoints in a loop to be SIGKILLed; trains for determinism runs.
    .executableTarget(name: "checkpoint-writer", dependencies: ["Backprop", "BackpropKernels"]),
    /// The workloads of `backprop bench` (W1–W5), with a small timing harness (warm-up, median).
    .target(name: "BackpropBenchmarks", dependencies: ["Backprop"]),

    // MARK: - Implementation details
    /// Matrix multiply and other hot loops: run-time BLAS (dlopen), own packed kernels, threads.
    .target(name: "BackpropKernels", dependencies: ["CBackpropKernels"]),
    /// AVX2/FMA micro-kernels in C (chosen at run time by CPU feature) and the dlopen'd BLAS loader.
    .target(name: "CBackpropKernels", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
    /// zlib from the system (gzip'd IDX files).
    .systemLibrary(name: "CZlib"),
    /// Gradient checking helpers, tolerances, seeded data for tests.
    .target(name: "_BackpropTestSupport", dependencies: ["BackpropCore", "BackpropKernels"]),

    // MARK: - Tests
    .testTarget(name: "BackpropKernelsTests", dependencies: ["BackpropKernels"]),
    .testTarget(
      name: "BackpropCoreTests", dependencies: ["BackpropCore", "BackpropKernels", "_BackpropTestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "BackpropNNTests",
      dependencies: ["BackpropNN", "BackpropOptim", "BackpropData", "BackpropKernels", "_BackpropTestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "BackpropDataTests", dependencies: ["BackpropData", "BackpropCore"], resources: [.copy("Fixtures")]),
    /// Runs the built `backprop` binary: the dependency makes `swift test` build it first.
    .testTarget(name: "BackpropCLITests", dependencies: ["Backprop", "BackpropBenchmarks", "backprop"]),
    .testTarget(name: "RobustnessTests", dependencies: ["Backprop", "checkpoint-writer"]),
    .testTarget(name: "BackpropVizTests", dependencies: ["BackpropViz", "_BackpropTestSupport"]),
  ],
  swiftLanguageModes: [.v5]
)
