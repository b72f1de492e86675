#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread autodiff switches: whether ops record a graph, and whether anomaly detection is on.
///
/// They are thread-local so that parallel tests, or a training loop beside an evaluation loop,
/// never see each other's `withoutGradient { }` scopes.
final class ThreadState {
  var gradEnabled = true
  var anomalyDetection = false
  /// Set while pullbacks run without `createGraph`: lets ops skip work only higher order needs.
  var inFirstOrderBackward = false
  /// Off while a pushforward runs: its own ops must not propagate tangents again (first-order
  /// forward mode; otherwise sin's rule calls cos, whose rule calls sin, …).
  var tangentsEnabled = true
  /// The first non-finite forward result seen in anomaly mode.
  var firstAnomaly: TensorError?

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { pointer in
      if let pointer { Unmanaged<ThreadState>.fromOpaque(pointer).release() }
    }
    return key
  }()

  @inline(__always)
  static var current: ThreadState {
    if let pointer = pthread_getspecific(key) {
      return Unmanaged<ThreadState>.fromOpaque(pointer).takeUnretainedValue()
    }
    let state = ThreadState()
    pthread_setspecific(key, Unmanaged.passRetained(state).toOpaque())
    return state
  }
}

/// Whether operations on this thread currently record the graph for backpropagation.
public var isGradientRecordingEnabled: Bool { ThreadState.current.gradEnabled }

/// Runs `body` without recording any graph (PyTorch's `torch.no_grad()`): use it for evaluation
/// and for in-place parameter updates. Results of ops inside do not require gradients.
@discardableResult
public func withoutGradient<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
  let state = ThreadState.current
  let saved = state.gradEnabled
  state.gradEnabled = false
  defer { state.gradEnabled = saved }
  return try body()
}

/// Runs `body` with graph recording switched on, even inside a `withoutGradient` scope.
@discardableResult
public func withGradient<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
  let state = ThreadState.current
  let saved = state.gradEnabled
  state.gradEnabled = true
  defer { state.gradEnabled = saved }
  return try body()
}

/// Runs `body` with anomaly detection (PyTorch's `detect_anomaly`): every op's forward result and
/// every gradient is checked for NaN and infinity. The first one found is thrown as
/// `TensorError.nonFinite` when `body` returns, naming the op (with its parameters), where it
/// was recorded and its input shapes; a `backward()` that meets one stops there.
/// It is slower (one extra pass over each result), so it is off by default.
@discardableResult
public func withAnomalyDetection<R>(_ body: () throws -> R) throws -> R {
  let state = ThreadState.current
  let saved = state.anomalyDetection, savedAnomaly = state.firstAnomaly
  state.anomalyDetection = true
  state.firstAnomaly = nil
  defer { state.anomalyDetection = saved; state.firstAnomaly = savedAnomaly }
  let result = try body()
  if let anomaly = state.firstAnomaly { throw anomaly }
  return result
}

/// Whether this thread runs inside `withAnomalyDetection { }` (every gradient an op returns is
/// read for NaN/∞, so an op must return its gradients written, not elsewhere).
public var isAnomalyDetectionEnabled: Bool { ThreadState.current.anomalyDetection }

/// Inside `withAnomalyDetection { }`, throws the first NaN/∞ found so far (forward or backward),
/// so that a loop can stop at the step that produced it instead of at the end of the scope;
/// elsewhere it does nothing. Training loops call it after each backward pass.
public func throwIfAnomalyDetected() throws {
  let state = ThreadState.current
  if state.anomalyDetection, let anomaly = state.firstAnomaly { throw anomaly }
}
