import Runtime

/// Where an op was recorded: a raw backtrace, captured only in anomaly mode and symbolicated
/// only when reported. A class, so that a node pays one pointer for it, not the backtrace.
final class CreationSite: CustomStringConvertible {
  let backtrace: Backtrace?
  private init(_ backtrace: Backtrace?) { self.backtrace = backtrace }

  /// Source folders of Backprop's library modules, whose frames are not the user's.
  private static let libraryFolders = ["/Sources/BackpropCore/", "/Sources/BackpropNN/", "/Sources/BackpropOptim/",
                                "/Sources/BackpropData/", "/Sources/BackpropViz/", "/Sources/BackpropKernels/"]

  /// The current call stack.
  static func capture() -> CreationSite { CreationSite(try? Backtrace.capture()) }

  /// "file:line" of the first frame outside Backprop's library modules, i.e. the user's line that
  /// created the op (needs debug info, as in debug builds).
  var description: String {
    guard let frames = backtrace?.symbolicated()?.frames else { return "unknown location" }
    var fallback: String?
    for frame in frames {
      guard let location = frame.symbol?.sourceLocation, location.line > 0 else { continue }
      let text = "\(location.path):\(location.line)"
      // Skip Backprop's own library code (a Linear layer's matmul should point at the user's
      // call of the layer, not at LinearFunction.swift).
      if Self.libraryFolders.contains(where: location.path.contains) { continue }
      if location.path.hasPrefix("/opt/swift") || location.path.contains("swift/stdlib") { fallback = fallback ?? text; continue }
      return text
    }
    return fallback ?? "unknown location (build with debug info for file:line)"
  }
}
