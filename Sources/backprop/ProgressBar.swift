import Backprop
import Foundation

/// Draws training progress: a live bar (epoch, percentage, bar, batch, elapsed and remaining
/// time, samples/s, loss, accuracy) sized to the terminal when standard output is one, one line
/// per epoch, nothing with `--quiet` or `--json`.
///
/// The bar line is never wider than the terminal minus one column: a line that wraps cannot be
/// erased by `\r\e[K` (which clears only the last row), and stale rows would pile up.
final class ProgressBar {
  /// Whether anything is printed during training.
  let verbose: Bool
  /// Whether the live bar is drawn (stdout is a terminal).
  let live: Bool
  private var lastDraw = 0.0
  private var drawn = false

  init(quiet: Bool) {
    verbose = !quiet
    live = !quiet && isatty(STDOUT_FILENO) != 0
  }

  /// The callback to hand to `Trainer.fit`.
  func handle(_ event: TrainingEvent) {
    guard verbose else { return }
    switch event {
    case let .batch(p):
      guard live else { return }
      let now = monotonicSeconds()
      guard now - lastDraw >= 0.1 || p.batch == p.batchesPerEpoch else { return }
      lastDraw = now
      // Asked every redraw: the terminal may have been resized.
      print("\r\u{1B}[K" + progressLine(p, columns: terminalColumns() ?? 80), terminator: "")
      drawn = true
      fflush(stdout)
    case let .epoch(r):
      finish()
      print(epochLine(r))
      fflush(stdout)
    }
  }

  /// Erases the live bar, if one is drawn (before an epoch line or an error message).
  func finish() {
    guard live, drawn else { return }
    print("\r\u{1B}[K", terminator: "")
    fflush(stdout)
    drawn = false
  }

  /// `epoch  3  loss 0.1234  acc 96.53%  test loss 0.0987  test acc 97.22%  0.05 s  28,740 samples/s`.
  func epochLine(_ r: EpochRecord) -> String {
    var line = "epoch \(String(r.epoch).leftPadded(3))  loss \(String(format: "%.4f", r.trainLoss))"
    if let a = r.trainAccuracy { line += "  acc \(percent(a))" }
    if let l = r.evaluationLoss { line += "  test loss \(String(format: "%.4f", l))" }
    if let a = r.evaluationAccuracy { line += "  test acc \(percent(a))" }
    line += "  \(String(format: "%.3f", r.seconds)) s  \(groupedThousands(Int(r.samplesPerSecond))) samples/s"
    return line
  }
}

/// One redraw of the bar, as tqdm lays it out, at most `columns - 1` characters wide:
/// `epoch 3/30  45%|█████▌      | 20/45 [00:01<00:24, 28,740 samples/s] loss 0.1234 acc 96.53%`.
///
/// The bar (10 to 40 cells) takes the width left over; when it would get under 10 cells, the
/// loss and accuracy go first, then the throughput, then the bar, and what still does not fit
/// is cut.
func progressLine(_ p: TrainingProgress, columns: Int) -> String {
  let width = max(columns - 1, 1)
  let fraction = Double(p.batch) / Double(max(p.batchesPerEpoch, 1))
  let left = "epoch \(p.epoch)/\(p.epochs) \(String(Int(fraction * 100)).leftPadded(3))%"
  let count = " \(p.batch)/\(p.batchesPerEpoch) [\(clock(p.elapsed))<\(clock(p.secondsRemaining))"
  let rate = ", \(groupedThousands(Int(p.samplesPerSecond))) samples/s"
  var metrics = " loss \(String(format: "%.4f", p.loss))"
  if let acc = p.accuracy { metrics += " acc \(percent(acc))" }
  for right in [count + rate + "]" + metrics, count + rate + "]", count + "]"] {
    let barWidth = width - left.count - right.count - 2
    if barWidth >= 10 { return left + "|" + bar(fraction, width: min(barWidth, 40)) + "|" + right }
  }
  return String((left + count + "]").prefix(width))
}

/// `fraction` of `width` cells, in eighths: `█████▌    `.
func bar(_ fraction: Double, width: Int) -> String {
  let eighths = Int((min(max(fraction, 0), 1) * Double(width * 8)).rounded(.down))
  let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
  let full = String(repeating: "█", count: eighths / 8)
  return full + partial + String(repeating: " ", count: width - eighths / 8 - (partial.isEmpty ? 0 : 1))
}

/// The width of the terminal on standard output (`TIOCGWINSZ`), or `nil` when it is not one;
/// `COLUMNS` is used when the ioctl gives nothing.
func terminalColumns() -> Int? {
  var size = winsize()
  if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
  return ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
}

/// `0.97222` → `"97.22%"`.
func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }

/// Seconds as `m:ss` (or `h:mm:ss`).
func clock(_ seconds: Double) -> String {
  guard seconds.isFinite, seconds >= 0, seconds < 1e9 else { return "--:--" }
  let s = Int(seconds.rounded())
  return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
}

extension String {
  /// Pads on the left with spaces to `width` characters.
  func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
