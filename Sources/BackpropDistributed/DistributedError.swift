#if canImport(Glibc)
import Glibc
#endif

/// Why data-parallel training cannot go on, as one line that names the ranks involved.
public enum DistributedError: Error, CustomStringConvertible, Equatable, Sendable {
  /// Some ranks were started with other options than rank 0 (compared by hash at start-up).
  case configurationMismatch(rank: Int, differingRanks: [Int], hash: UInt64, rootHash: UInt64)
  /// After a step, some ranks' weights differ from rank 0's (`--check-replicas`).
  case replicasDiverged(rank: Int, differingRanks: [Int], digest: UInt64, rootDigest: UInt64)
  /// A collective got no answer within the timeout: one of `suspects` (every other rank; with
  /// two ranks, the other one) died or hangs.
  case rankLost(rank: Int, suspects: [Int], seconds: Double, during: String)

  public var description: String {
    switch self {
    case let .configurationMismatch(rank, ranks, hash, root):
      let who = ranks.map(String.init).joined(separator: ", ")
      return "rank \(rank): the training configuration differs between ranks (rank\(ranks.count == 1 ? "" : "s") \(who) "
        + "differ\(ranks.count == 1 ? "s" : "") from rank 0; this rank's hash \(hex(hash)), rank 0's \(hex(root))): "
        + "start every rank with the same options"
    case let .replicasDiverged(rank, ranks, digest, root):
      return "rank \(rank): the weights differ between ranks (rank\(ranks.count == 1 ? "" : "s") "
        + "\(ranks.map(String.init).joined(separator: ", ")) differ\(ranks.count == 1 ? "s" : "") from rank 0; "
        + "this rank's digest \(hex(digest)), rank 0's \(hex(root)))"
    case let .rankLost(rank, suspects, seconds, during):
      let who = suspects.count == 1 ? "rank \(suspects[0])" : "one of ranks \(suspects.map(String.init).joined(separator: ", "))"
      let time = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
      return "rank \(rank): lost \(who): no answer within \(time) s during \(during) (killed, crashed or hung); stopping"
    }
  }
}

/// `0x0123456789abcdef`: a 64-bit hash as 16 hexadecimal digits.
public func hex(_ value: UInt64) -> String {
  let digits = String(value, radix: 16)
  return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
}

/// Seconds on a monotonic clock.
func monotonicClock() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
