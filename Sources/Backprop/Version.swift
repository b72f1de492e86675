/// Backprop's version, kept in this one place: `backprop --version` prints it, the newest
/// heading of CHANGELOG.md names it (a test checks both), and a release is the git tag
/// `v<string>` (semantic versioning: while the major number is 0, a minor bump may break API).
public enum BackpropVersion {
  /// `major.minor.patch`.
  public static let string = "0.2.0"
}
