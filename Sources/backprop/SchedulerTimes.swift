import Foundation

/// Seconds this process's threads have spent on a core and waiting for one (runnable, but the
/// cores busy with other work), from Linux's `/proc/self/task/*/schedstat`; `nil` elsewhere.
/// The difference of two readings says whether a slow run computed slowly or waited for CPU.
struct SchedulerTimes {
  /// Seconds on a core, summed over the threads alive now.
  var running = 0.0
  /// Seconds runnable but waiting in a run queue, summed over the threads alive now.
  var waiting = 0.0

  /// The current totals.
  static func now() -> SchedulerTimes? {
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return nil }
    var times = SchedulerTimes()
    for task in tasks {
      // "<ns on a cpu> <ns waiting on a run queue> <time slices>"
      guard let text = try? String(contentsOfFile: "/proc/self/task/\(task)/schedstat", encoding: .utf8) else { continue }
      let fields = text.split(separator: " ")
      guard fields.count >= 2, let run = Double(fields[0]), let wait = Double(fields[1]) else { continue }
      times.running += run * 1e-9
      times.waiting += wait * 1e-9
    }
    return times
  }
}
