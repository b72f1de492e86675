import CBackpropKernels

/// `Float` elementwise + − × ÷ at the CPU's vector width (16 lanes with AVX-512, 8 with AVX2),
/// where Swift's own loops are compiled for the 4-lane SSE2 baseline. Bit-identical to the
/// scalar loop: each IEEE operation is correctly rounded at any width.
public enum Arithmetic {
  /// The operation.
  public enum Operation: Int32, Sendable, CaseIterable {
    /// a + b.
    case add = 0
    /// a − b.
    case subtract = 1
    /// a · b.
    case multiply = 2
    /// a / b.
    case divide = 3
  }

  /// Which operand is a single number broadcast over the other.
  public enum Operands: Int32, Sendable, CaseIterable {
    /// `out[i] = a[i] op b[i]`.
    case sameShape = 0
    /// `out[i] = a[0] op b[i]`.
    case numberFirst = 1
    /// `out[i] = a[i] op b[0]`.
    case numberSecond = 2
  }

  /// `out[i] = a op b` for `i < count` (see `Operands`); `isa` picks a narrower path (tests).
  public static func apply(
    _ operation: Operation, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
    count: Int, operands: Operands = .sameShape, isa: KernelISA = Gemm.kernelISA
  ) {
    guard count > 0 else { return }
    bp_f32_arithmetic(operation.rawValue, a, b, out, count, operands.rawValue, isa.cValue)
  }

  /// `destination[i] = sources[0][i] + sources[1][i] + …` for `i < count`, added in the order of
  /// `sources` at the vector width (the same bits as the scalar loop, wherever it runs: what
  /// `DataParallel` needs for every rank to hold the same sum); `destination` must not overlap a
  /// source. `isa` picks a narrower path (tests).
  public static func sumInOrder(into destination: UnsafeMutablePointer<Float>, _ sources: [UnsafePointer<Float>], count: Int,
                                isa: KernelISA = Gemm.kernelISA) {
    sources.map { Optional($0) }.withUnsafeBufferPointer { sumInOrder(into: destination, $0, count: count, isa: isa) }
  }

  /// `sumInOrder(into:_:count:isa:)` with the sources in memory the caller keeps (no array
  /// allocated per call: `DataParallel` sums a few thousand elements at a time).
  public static func sumInOrder(into destination: UnsafeMutablePointer<Float>, _ sources: UnsafeBufferPointer<UnsafePointer<Float>?>,
                                count: Int, isa: KernelISA = Gemm.kernelISA) {
    precondition(!sources.isEmpty && !sources.contains(nil), "Arithmetic.sumInOrder: no sources, or a nil one")
    bp_f32_sum_in_order(destination, sources.baseAddress, Int32(sources.count), count, isa.cValue)
  }
}
