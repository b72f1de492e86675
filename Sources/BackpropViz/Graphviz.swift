import Foundation

/// Runs Graphviz's `dot` to turn DOT into SVG, when it is installed. Nothing else in this module
/// needs Graphviz: the study note's pictures and the training report draw their SVG themselves.
public enum Graphviz {
  /// Why an SVG could not be made.
  public enum Failure: Error, CustomStringConvertible {
    /// No `dot` executable on `PATH`.
    case notInstalled
    /// `dot` ran but failed; its exit status and standard error.
    case failed(status: Int32, message: String)

    /// A sentence for the terminal.
    public var description: String {
      switch self {
      case .notInstalled:
        return "Graphviz's `dot` was not found on PATH (install it with `apt-get install graphviz` or `brew install graphviz`)"
      case let .failed(status, message):
        return "`dot -Tsvg` failed with status \(status): \(message)"
      }
    }
  }

  /// The path of the `dot` executable found on `PATH` (or in `$BACKPROP_DOT`), or `nil`.
  public static var executablePath: String? {
    let env = ProcessInfo.processInfo.environment
    if let explicit = env["BACKPROP_DOT"], !explicit.isEmpty {
      return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
    }
    for dir in (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
      let candidate = String(dir) + "/dot"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Whether `dot` is available.
  public static var isAvailable: Bool { executablePath != nil }

  /// Renders DOT to SVG with `dot -Tsvg`.
  /// - Throws: `Graphviz.Failure.notInstalled` or `.failed`.
  public static func svg(fromDOT dot: String) throws -> String {
    guard let path = executablePath else { throw Failure.notInstalled }
    // Files, not pipes: a large SVG cannot fill a pipe buffer and deadlock the two processes.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-dot-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("graph.dot"), output = dir.appendingPathComponent("graph.svg")
    try dot.write(to: input, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = ["-Tsvg", input.path, "-o", output.path]
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    process.waitUntilExit()
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard process.terminationStatus == 0 else {
      throw Failure.failed(status: process.terminationStatus, message: errorText.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return try String(contentsOf: output, encoding: .utf8)
  }
}

/// Writing a graph to a file, choosing the format from the file name.
public enum GraphFile {
  /// Writes `graph` to `path`: SVG (via Graphviz) when the name ends in `.svg`, DOT otherwise.
  ///
  /// Without Graphviz an `.svg` request falls back to DOT next to it (`out.svg` → `out.dot`),
  /// and the returned message says so and how to install Graphviz.
  /// - Returns: a one-line message for the user, naming the file written.
  /// - Throws: file-system errors, or `Graphviz.Failure.failed` if `dot` rejects the input.
  @discardableResult
  public static func write(_ graph: Graph, to path: String, title: String? = nil) throws -> String {
    let dot = graph.dot(title: title)
    guard path.lowercased().hasSuffix(".svg") else {
      try dot.write(toFile: path, atomically: true, encoding: .utf8)
      return "wrote graph (Graphviz DOT) to \(path); render it with: dot -Tsvg \(path) -o graph.svg"
    }
    do {
      try Graphviz.svg(fromDOT: dot).write(toFile: path, atomically: true, encoding: .utf8)
      return "wrote graph (SVG, drawn by Graphviz) to \(path)"
    } catch Graphviz.Failure.notInstalled {
      let dotPath = String(path.dropLast(4)) + ".dot"
      try dot.write(toFile: dotPath, atomically: true, encoding: .utf8)
      return "\(Graphviz.Failure.notInstalled); wrote Graphviz DOT to \(dotPath) instead"
    }
  }
}
