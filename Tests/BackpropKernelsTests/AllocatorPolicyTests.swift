import BackpropKernels
import Testing

@Suite("AllocatorPolicy")
struct AllocatorPolicyTests {
  /// glibc accepts both thresholds (a value refused, or a build where the call compiles to nothing,
  /// would silently leave each training step on fresh pages). Off glibc there is nothing to set.
  @Test func glibcAcceptsTheThresholds() {
    #if canImport(Glibc)
    #expect(AllocatorPolicy.keepFreedBuffers())
    #else
    #expect(!AllocatorPolicy.keepFreedBuffers(), "only glibc has mallopt")
    #endif
  }
}
