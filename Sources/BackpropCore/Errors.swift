/// Errors a user can cause when building or differentiating a computation.
///
/// Every message names the operation and the shapes involved, so that a mistake deep inside a
/// model is easy to find.
public enum TensorError: Error, CustomStringConvertible, Equatable {
  /// Two shapes that the operation needs to agree do not (e.g. `[2, 3] + [4]`).
  case shapeMismatch(op: String, lhs: [Int], rhs: [Int], reason: String)
  /// An argument is out of range (an axis, an index, a size).
  case invalidArgument(op: String, message: String)
  /// `backward()` was called a second time on a graph whose buffers were already released.
  case graphReleased(op: String)
  /// `backward()` was called on a tensor that does not require gradients.
  case noGradient(message: String)
  /// Anomaly detection found a NaN or infinity.
  case nonFinite(op: String, phase: String, location: String, inputShapes: [[Int]])

  public var description: String {
    switch self {
    case let .shapeMismatch(op, lhs, rhs, reason):
      return "\(op): shapes \(lhs) and \(rhs) do not match: \(reason)"
    case let .invalidArgument(op, message):
      return "\(op): \(message)"
    case let .graphReleased(op):
      return "backward through '\(op)' a second time: its graph was already released. "
        + "Pass retainGraph: true to the first backward() to keep it."
    case let .noGradient(message):
      return message
    case let .nonFinite(op, phase, location, shapes):
      return "anomaly: '\(op)' produced a non-finite value in its \(phase) pass "
        + "(created at \(location), input shapes \(shapes.map { "\($0)" }.joined(separator: ", ")))"
    }
  }
}
