import Backprop
import Foundation

/// Draws training progress: a live bar (epoch, batch, loss, accuracy, samples/s, ETA) when
/// standard output is a terminal, one line per epoch, nothing with `--quiet` or `--json`.
final class ProgressBar {
  /// Whether anything is printed during training.
  let verbose: Bool
  /// Whether the live bar is drawn (stdout is a terminal).
  let live: Bool
  private var lastDraw = 0.0

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
      let width = 20, filled = width * p.batch / max(p.batchesPerEpoch, 1)
      let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
      var line = "epoch \(p.epoch)/\(p.epochs) \(bar) batch \(p.batch)/\(p.batchesPerEpoch)  loss \(String(format: "%.4f", p.loss))"
      if let acc = p.accuracy { line += "  acc \(percent(acc))" }
      line += "  \(groupedThousands(Int(p.samplesPerSecond))) samples/s  ETA \(clock(p.secondsRemaining))"
      print("\r\u{1B}[K" + line, terminator: "")
      fflush(stdout)
    case let .epoch(r):
      if live { print("\r\u{1B}[K", terminator: "") }
      print(epochLine(r))
      fflush(stdout)
    }
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

/// `0.97222` → `"97.22%"`.
func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }

/// Seconds as `m:ss` (or `h:mm:ss`).
func clock(_ seconds: Double) -> String {
  guard seconds.isFinite, seconds >= 0 else { return "--:--" }
  let s = Int(seconds.rounded())
  return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}

extension String {
  /// Pads on the left with spaces to `width` characters.
  func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
