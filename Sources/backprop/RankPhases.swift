import Backprop

/// One process's share of a training run in `train --json` (`rank_phases`): where each epoch's
/// time went (`Trainer.phaseSeconds`), and its time on and waiting for a core, for every rank.
struct RankPhases: Encodable {
  var rank: Int
  /// Seconds on a core and runnable but waiting for one (Linux schedstat), over training.
  var cpu_seconds: Double?
  var runqueue_wait_seconds: Double?
  var epochs: [StepPhaseSeconds]

  /// Every rank's record, gathered with one sum over the ranks (each fills its own slot); on
  /// one process, its own. Call on every rank alike.
  static func gather(_ trainer: Trainer, scheduler: (running: Double, waiting: Double)?) throws -> [RankPhases] {
    let mine = trainer.phaseSeconds
    guard let group = trainer.dataParallel else {
      return [RankPhases(rank: 0, cpu_seconds: scheduler?.running, runqueue_wait_seconds: scheduler?.waiting, epochs: mine)]
    }
    let width = StepPhaseSeconds.names.count, perRank = 2 + mine.count * width
    var slots = [Double](repeating: 0, count: perRank * group.size)
    slots[group.rank * perRank] = scheduler?.running ?? -1
    slots[group.rank * perRank + 1] = scheduler?.waiting ?? -1
    for (e, phases) in mine.enumerated() {
      for (k, v) in phases.values.enumerated() { slots[group.rank * perRank + 2 + e * width + k] = v }
    }
    let all = try group.sum(slots)
    return (0..<group.size).map { r in
      let base = r * perRank
      return RankPhases(
        rank: r, cpu_seconds: all[base] < 0 ? nil : all[base], runqueue_wait_seconds: all[base + 1] < 0 ? nil : all[base + 1],
        epochs: (0..<mine.count).map { e in StepPhaseSeconds(values: all[base + 2 + e * width..<base + 2 + (e + 1) * width]) })
    }
  }
}
