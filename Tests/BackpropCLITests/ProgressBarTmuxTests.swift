import Foundation
import Testing

/// Whether `tmux` can be run (the progress-bar test needs a real terminal of a chosen width).
let tmuxPath: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// The live progress bar in a real terminal (tmux) of 60, 80 and 120 columns: every redraw fits
/// on one row (a wrapped bar cannot be erased by `\r\e[K`, and stale rows pile up), and after
/// training no bar row is left, only one line per epoch.
@Suite(.serialized) struct ProgressBarTmuxTests {
  /// Runs tmux on its own server `socket`; returns standard output when `capture` (the server
  /// that `new-session` starts keeps inherited pipes open, so only short commands capture).
  @discardableResult
  func tmux(_ socket: String, _ arguments: [String], capture: Bool = true) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tmuxPath!)
    process.arguments = ["-L", socket, "-f", "/dev/null"] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(["TERM": "xterm"]) { $1 }
    let out = Pipe()
    process.standardOutput = capture ? out : FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // The server that `new-session` forks inherits what Foundation uses to watch the child, so
    // waiting would last as long as the session: start it and poll with `capture-pane` instead.
    if arguments.first == "new-session" { return "" }
    let data = capture ? out.fileHandleForReading.readDataToEndOfFile() : Data()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TmuxFailed(arguments: arguments) }
    return String(decoding: data, as: UTF8.self)
  }

  struct TmuxFailed: Error { let arguments: [String] }

  @Test(.enabled(if: tmuxPath != nil, "tmux is not installed (apt-get install tmux): the progress bar is not checked in a real terminal"),
        arguments: [60, 80, 120])
  func barFitsTheTerminal(columns: Int) throws {
    let binary = try backpropBinary().path
    let socket = "backprop-test-\(UUID().uuidString.prefix(8))"
    defer { _ = try? tmux(socket, ["kill-server"], capture: false) }
    let command = "\(binary) train --epochs 3 --batch-size 4 --threads 1; echo __DONE__ $?; sleep 30"
    try tmux(socket, ["new-session", "-d", "-s", "t", "-x", String(columns), "-y", "50", command], capture: false)
    var barRows: [String] = [], screen = ""
    let deadline = Date().addingTimeInterval(90)
    while Date() < deadline {
      // -J joins wrapped rows, so a bar that wrapped shows up longer than the terminal.
      guard let captured = try? tmux(socket, ["capture-pane", "-p", "-J", "-t", "t"]) else {
        Thread.sleep(forTimeInterval: 0.05)  // the session is still starting
        continue
      }
      screen = captured
      let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      barRows += lines.filter { $0.range(of: #"^epoch \d+/\d+ +\d+%"#, options: .regularExpression) != nil }
      if screen.contains("__DONE__") { break }
      Thread.sleep(forTimeInterval: 0.05)
    }
    #expect(screen.contains("__DONE__ 0"), "training did not finish in the terminal:\n\(screen)")
    #expect(!barRows.isEmpty, "no live bar was ever seen at \(columns) columns")
    let tooWide = barRows.filter { $0.trimmingCharacters(in: .whitespaces).count > columns - 1 }
    #expect(tooWide.isEmpty, "\(columns) columns: \(tooWide.count) bar rows wider than \(columns - 1): \(tooWide.first ?? "")")
    let incomplete = barRows.filter { !($0.contains("%|") && $0.contains("|") && $0.contains("<")) }
    #expect(incomplete.isEmpty, "\(columns) columns: bar rows without bar or times: \(incomplete.first ?? "")")
    let lines = screen.split(separator: "\n").map(String.init)
    #expect(!lines.contains { $0.contains("%|") || $0.range(of: #"^epoch \d+/\d+"#, options: .regularExpression) != nil },
            "stale bar rows were left behind:\n\(screen)")
    #expect(lines.filter { $0.hasPrefix("epoch ") }.count == 3, "one line per epoch:\n\(screen)")
  }
}
