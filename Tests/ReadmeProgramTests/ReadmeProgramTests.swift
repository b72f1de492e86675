import Foundation
import Testing

/// The README's first program, as a PyTorch user writes it, compiled unchanged as the
/// `readme-example` executable and run here; its printed loss, shapes and results are checked.
@Suite struct ReadmeProgramTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// The program's lines between `import Backprop` and its last line, as they appear in both files.
  static func programLines(_ text: String) -> [String] {
    let lines = text.components(separatedBy: "\n")
    guard let start = lines.firstIndex(of: "import Backprop"),
          let end = lines[start...].firstIndex(where: { $0.hasPrefix("print(g)") }) else { return [] }
    return Array(lines[start...end])
  }

  @Test func theReadmeShowsTheProgramThatIsTested() throws {
    let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
    let source = try String(contentsOf: Self.root.appendingPathComponent("Sources/readme-example/main.swift"), encoding: .utf8)
    let program = Self.programLines(source)
    #expect(program.count >= 20, "main.swift lost its program")
    #expect(readme.contains(program.joined(separator: "\n")), "README.md and Sources/readme-example/main.swift differ")
  }

  @Test func theProgramTrainsAndPrintsWhatItSays() throws {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent("readme-example") }
    let binary = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                              "the readme-example binary was not built next to the tests (\(candidates.map(\.path)))")
    let process = Process()
    process.executableURL = binary
    let out = Pipe(), err = Pipe()
    (process.standardOutput, process.standardError) = (out, err)
    try process.run()
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(stderr)")
    let lines = stdout.split(separator: "\n").map(String.init)
    try #require(lines.count == 5, "\(stdout)\(stderr)")
    let loss = try #require(Float(lines[0]))
    #expect(loss < 0.03, "final loss \(loss)")  // 0.0241 with Random.seed(0)
    #expect(lines[1] == "[3] [2] [256] [3]")
    #expect(lines[2].hasPrefix("Tensor<Float>(shape: [1, 1], op: linear)"), "\(lines[2])")
    #expect(lines[3] == "true")
    #expect(lines[4].hasPrefix("Tensor<Double>(shape: [2]) [151.0") && lines[4].hasSuffix(", -50.0]"), "\(lines[4])")
  }
}
