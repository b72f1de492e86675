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
    // Documentation only (`swift package generate-documentation`, scripts/check-docs.sh): a
    // command plugin, built when invoked, never by `swift build` or `swift test`.
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
  ],
  targets: [
    // MARK: - Public API
    // Modules along the data flow (A → B: B imports A): Kernels → Core → IO → Data, NN;
    // Core → Optim; NN → Viz; NN → Distributed; Data, NN, Optim, Viz, IO, Distributed → Training;
    // Data, NN, Viz → Examples.
    // README "Layout" draws the graph.
    /// Tensors, the tape (reverse mode), forward mode, functional transforms, gradient checking, `Value`.
    .target(
      name: "BackpropCore",
      dependencies: ["BackpropKernels", .product(name: "RealModule", package: "swift-numerics")]),
    /// Files: safetensors reading and writing, its JSON header, atomic replacement, bounded reads.
    .target(name: "BackpropIO", dependencies: ["BackpropCore"]),
    /// Data sets: IDX / CSV readers, shipped data, batching, splits, normalisation.
    .target(name: "BackpropData", dependencies: ["BackpropCore", "BackpropKernels", "BackpropIO", "CZlib"]),
    /// Layers, losses, initializers and model files (safetensors through BackpropIO).
    .target(
      name: "BackpropNN",
      dependencies: ["BackpropCore", "BackpropIO", .product(name: "RealModule", package: "swift-numerics")]),
    /// Optimizers, learning-rate schedules, gradient clipping: tensors in, tensors updated (Core only).
    .target(name: "BackpropOptim", dependencies: ["BackpropCore"]),
    /// Graph export (DOT/SVG), backward-pass explanations, training reports.
    .target(name: "BackpropViz", dependencies: ["BackpropCore", "BackpropNN"]),
    /// Data parallelism over MPI ranks (Open MPI loaded at run time by BackpropKernels'
    /// `Communicator`): bucketed gradient averaging during backward, replica digests.
    .target(name: "BackpropDistributed", dependencies: ["BackpropCore", "BackpropKernels", "BackpropNN"]),
    /// The training loop, checkpoints, training data plumbing, the report hook, recommended settings.
    .target(
      name: "BackpropTraining",
      dependencies: [
        "BackpropCore", "BackpropIO", "BackpropData", "BackpropNN", "BackpropOptim", "BackpropViz", "BackpropDistributed",
      ]),
    /// The study note's worked examples (chain rule, Jacobian shapes) and their diagrams; the
    /// micrograd, least-squares and one-step demonstrations.
    .target(
      name: "BackpropExamples",
      dependencies: [
        "BackpropCore", "BackpropData", "BackpropNN", "BackpropViz", .product(name: "RealModule", package: "swift-numerics"),
      ]),
    /// Umbrella: `import Backprop` re-exports every module above.
    .target(
      name: "Backprop",
      dependencies: [
        "BackpropCore", "BackpropIO", "BackpropData", "BackpropNN", "BackpropOptim", "BackpropViz", "BackpropTraining",
        "BackpropExamples", "BackpropKernels", "BackpropDistributed",
      ]),
    /// The command-line tool: parses options, calls the library, prints.
    .executableTarget(
      name: "backprop",
      dependencies: [
        "Backprop", "BackpropBenchmarks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    /// Test helper (Tests/RobustnessTests): saves checkpoints in a loop to be SIGKILLed; trains for determinism runs;
    /// one DataParallel step of a row-blocked parameter under mpirun (Tests/BackpropCLITests).
    .executableTarget(name: "checkpoint-writer", dependencies: ["Backprop", "BackpropKernels"]),
    /// The README's first program, verbatim, built and run by Tests/ReadmeProgramTests.
    .executableTarget(name: "readme-example", dependencies: ["Backprop"]),
    /// The workloads of `backprop bench` (W1–W5), with a small timing harness (warm-up, median).
    .target(name: "BackpropBenchmarks", dependencies: ["Backprop", "BackpropKernels"]),

    // MARK: - Implementation details
    /// Matrix multiply and other hot loops: run-time BLAS (dlopen), own packed kernels, threads,
    /// and `ComputeSettings` (threads, GEMM backend, instruction set) that they all read.
    .target(name: "BackpropKernels", dependencies: ["CBackpropKernels"]),
    /// AVX2/FMA micro-kernels in C (chosen at run time by CPU feature) and the dlopen'd BLAS loader.
    .target(name: "CBackpropKernels", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
    /// zlib from the system (gzip'd IDX files).
    .systemLibrary(name: "CZlib"),
    /// Gradient checking helpers, tolerances, seeded data for tests.
    .target(name: "_BackpropTestSupport", dependencies: ["BackpropCore", "BackpropKernels"]),

    // MARK: - Tests
    .testTarget(name: "BackpropKernelsTests", dependencies: ["BackpropKernels"]),
    .testTarget(name: "BackpropDistributedTests", dependencies: ["BackpropDistributed", "BackpropCore", "BackpropKernels"]),
    .testTarget(
      name: "BackpropCoreTests",
      dependencies: [
        "BackpropCore", "BackpropKernels", "_BackpropTestSupport", .product(name: "RealModule", package: "swift-numerics"),
      ],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "BackpropIOTests", dependencies: ["BackpropIO", "BackpropCore", "_BackpropTestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(
      name: "BackpropNNTests", dependencies: ["BackpropNN", "BackpropIO", "_BackpropTestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "BackpropOptimTests", dependencies: ["BackpropOptim", "BackpropNN", "BackpropKernels", "_BackpropTestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "BackpropDataTests", dependencies: ["BackpropData", "_BackpropTestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(
      name: "BackpropTrainingTests",
      dependencies: ["BackpropTraining", "BackpropData", "BackpropIO", "BackpropNN", "BackpropOptim"]),
    .testTarget(
      name: "BackpropExamplesTests",
      dependencies: ["BackpropExamples", "BackpropCore", "BackpropData", "BackpropNN", "_BackpropTestSupport"]),
    /// Runs the built `backprop` binary: the dependency makes `swift test` build it first.
    .testTarget(name: "BackpropCLITests", dependencies: ["Backprop", "BackpropBenchmarks", "backprop"]),
    .testTarget(name: "RobustnessTests", dependencies: ["Backprop", "checkpoint-writer"]),
    .testTarget(name: "ReadmeProgramTests", dependencies: ["readme-example"]),
    .testTarget(
      name: "BackpropVizTests",
      dependencies: ["BackpropViz", "BackpropNN", "BackpropData", "BackpropExamples"]),
  ],
  swiftLanguageModes: [.v5]
)
