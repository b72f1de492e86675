import BackpropKernels
import RealModule

/// Binary elementwise functions. Comparisons return 1 or 0 and are not differentiable.
public enum BinaryKernel: Sendable {
  case add, subtract, multiply, divide, power, maximum, minimum
  case equal, notEqual, less, lessEqual, greater, greaterEqual
}

/// How two operands map onto a broadcast output: per output dimension, the element stride of
/// each operand (0 along a broadcast dimension). Built once per call by `BroadcastPlan(_:_:)`.
public struct BroadcastPlan: Sendable {
  /// The output shape.
  public var shape: [Int]
  /// Strides of `a` in elements, aligned with `shape`.
  public var aStrides: [Int]
  /// Strides of `b` in elements, aligned with `shape`.
  public var bStrides: [Int]
  /// Fast paths the kernel can take.
  public enum Kind: Sendable { case sameShape, scalarA, scalarB, general }
  /// The fast path this plan takes.
  public var kind: Kind

  /// Aligns `a` and `b` from the right (NumPy rules); `nil` when a dimension pair is neither equal nor 1.
  public init?(_ a: [Int], _ b: [Int]) {
    guard let out = broadcastShapes(a, b) else { return nil }
    shape = out
    aStrides = BroadcastPlan.strides(of: a, alignedTo: out)
    bStrides = BroadcastPlan.strides(of: b, alignedTo: out)
    let aCount = a.reduce(1, *), bCount = b.reduce(1, *)
    if a == b { kind = .sameShape }
    else if aCount == 1 && b == out { kind = .scalarA }
    else if bCount == 1 && a == out { kind = .scalarB }
    else { kind = .general }
  }

  /// A plan for a tensor of `shape` with a single number on one side (no strides needed).
  public init(scalarOperandWith shape: [Int], numberFirst: Bool) {
    self.shape = shape
    aStrides = []
    bStrides = []
    kind = numberFirst ? .scalarA : .scalarB
  }

  /// A plan that reads `a` (shape `shape`) broadcast to `target`, and a one-element `b`.
  public init?(expanding shape: [Int], to target: [Int]) {
    guard broadcastShapes(shape, target) == target else { return nil }
    self.shape = target
    aStrides = BroadcastPlan.strides(of: shape, alignedTo: target)
    bStrides = [Int](repeating: 0, count: target.count)
    kind = .general
  }

  static func strides(of s: [Int], alignedTo out: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: out.count)
    var step = 1
    let offset = out.count - s.count
    for i in stride(from: s.count - 1, through: 0, by: -1) {
      strides[i + offset] = s[i] == 1 ? 0 : step
      step *= s[i]
    }
    return strides
  }
}

/// The NumPy broadcast of two shapes, or `nil` if they are incompatible.
public func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int]? {
  let n = max(a.count, b.count)
  var out = [Int](repeating: 1, count: n)
  for i in 0..<n {
    let da = i < n - a.count ? 1 : a[i - (n - a.count)]
    let db = i < n - b.count ? 1 : b[i - (n - b.count)]
    if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
  }
  return out
}

@inline(__always)
func apply<T: TensorScalar>(_ kind: BinaryKernel, _ x: T, _ y: T) -> T {
  switch kind {
  case .add: return x + y
  case .subtract: return x - y
  case .multiply: return x * y
  case .divide: return x / y
  case .power: return powScalar(x, y)
  case .maximum: return x >= y || x.isNaN ? x : y  // NaN wins, as in PyTorch
  case .minimum: return x <= y || x.isNaN ? x : y  // NaN wins, as in PyTorch
  case .equal: return x == y ? 1 : 0
  case .notEqual: return x != y ? 1 : 0
  case .less: return x < y ? 1 : 0
  case .lessEqual: return x <= y ? 1 : 0
  case .greater: return x > y ? 1 : 0
  case .greaterEqual: return x >= y ? 1 : 0
  }
}

/// Runs `kind` over the contiguous ranges of the plan; the switch on `kind` is hoisted out of the
/// element loops for the common arithmetic ops. Same-shape and number-operand cases of large
/// tensors are split across the kernel threads (`Parallel`); broadcasting ones run serially.
func binaryLoop<T: TensorScalar>(_ kind: BinaryKernel, _ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>,
                                 _ out: UnsafeMutableBufferPointer<T>, _ plan: BroadcastPlan) {
  guard let ap = a.baseAddress, let bp = b.baseAddress, let op = out.baseAddress, out.count > 0 else { return }
  let n = out.count
  // Float + − × ÷ without broadcasting: the vector-width C loops (same bits as the loops below).
  if T.self == Float.self, let operation = kind.arithmetic, let operands = plan.kind.arithmeticOperands {
    let (fa, fb) = (UnsafeRawPointer(ap).assumingMemoryBound(to: Float.self), UnsafeRawPointer(bp).assumingMemoryBound(to: Float.self))
    let fo = UnsafeMutableRawPointer(op).assumingMemoryBound(to: Float.self)
    let isa = Gemm.kernelISA  // the caller's compute settings, not those of the pool's threads
    Parallel.forEachChunk(count: n, minimumChunk: kind.parallelChunk) { r in
      let first = operands == .numberFirst ? fa : fa + r.lowerBound, second = operands == .numberSecond ? fb : fb + r.lowerBound
      Arithmetic.apply(operation, first, second, fo + r.lowerBound, count: r.count, operands: operands, isa: isa)
    }
    return
  }
  switch plan.kind {
  case .sameShape, .scalarA, .scalarB:
    Parallel.forEachChunk(count: n, minimumChunk: kind.parallelChunk) { r in contiguousRange(kind, plan.kind, ap, bp, op, r) }
  case .general:
    // Odometer over all dimensions but the last; the last is a strided inner loop.
    let shape = plan.shape, rank = shape.count
    let inner = shape[rank - 1]
    let sa = plan.aStrides[rank - 1], sb = plan.bStrides[rank - 1]
    if T.self == Float.self, let operation = kind.arithmetic, rank >= 2, inner >= 16, sa <= 1, sb <= 1, sa + sb > 0 {
      // Rows whose operands are contiguous or one repeated number (a per-channel scale over
      // (N, C, H·W), say): the vector-width C loop per row, rows over the threads (same bits).
      broadcastRows(operation, ap, bp, op, plan, rows: n / inner, inner: inner, chunk: kind.parallelChunk)
      return
    }
    var index = [Int](repeating: 0, count: rank)
    var offA = 0, offB = 0, o = 0
    while o < n {
      switch kind {
      case .add: for j in 0..<inner { op[o + j] = ap[offA + j * sa] + bp[offB + j * sb] }
      case .subtract: for j in 0..<inner { op[o + j] = ap[offA + j * sa] - bp[offB + j * sb] }
      case .multiply: for j in 0..<inner { op[o + j] = ap[offA + j * sa] * bp[offB + j * sb] }
      default: for j in 0..<inner { op[o + j] = apply(kind, ap[offA + j * sa], bp[offB + j * sb]) }
      }
      o += inner
      // advance the odometer over dims rank-2 ... 0
      var d = rank - 2
      while d >= 0 {
        index[d] += 1
        offA += plan.aStrides[d]; offB += plan.bStrides[d]
        if index[d] < shape[d] { break }
        offA -= plan.aStrides[d] * shape[d]; offB -= plan.bStrides[d] * shape[d]
        index[d] = 0
        d -= 1
      }
    }
  }
}

/// `out = a op b` row by row for a `.general` plan whose last axis has strides 0 or 1 in each
/// operand (not both 0): each row is one `Arithmetic.apply` call; a row's offsets come from its
/// index in the other axes.
private func broadcastRows<T>(_ operation: Arithmetic.Operation, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
                              _ out: UnsafeMutablePointer<T>, _ plan: BroadcastPlan, rows: Int, inner: Int, chunk: Int) {
  nonisolated(unsafe) let fa = UnsafeRawPointer(a).assumingMemoryBound(to: Float.self)
  nonisolated(unsafe) let fb = UnsafeRawPointer(b).assumingMemoryBound(to: Float.self)
  nonisolated(unsafe) let fo = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self)
  let rank = plan.shape.count
  let (sa, sb) = (plan.aStrides[rank - 1], plan.bStrides[rank - 1])
  let operands: Arithmetic.Operands = sa == 0 ? .numberFirst : sb == 0 ? .numberSecond : .sameShape
  let isa = Gemm.kernelISA  // the caller's compute settings, not those of the pool's threads
  Parallel.forEachChunk(count: rows, minimumChunk: Swift.max(1, chunk / inner)) { range in
    for row in range {
      var rest = row, offA = 0, offB = 0
      for d in stride(from: rank - 2, through: 0, by: -1) {
        let i = rest % plan.shape[d]
        rest /= plan.shape[d]
        offA += i * plan.aStrides[d]
        offB += i * plan.bStrides[d]
      }
      Arithmetic.apply(operation, fa + offA, fb + offB, fo + row * inner, count: inner, operands: operands, isa: isa)
    }
  }
}

/// Elements `r` of a binary op without broadcasting strides (`plan` is `.sameShape`, `.scalarA`
/// or `.scalarB`); the switch on `kind` is hoisted out of the element loops for the common ops.
@inline(__always)
func contiguousRange<T: TensorScalar>(
  _ kind: BinaryKernel, _ plan: BroadcastPlan.Kind, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
  _ out: UnsafeMutablePointer<T>, _ r: Range<Int>
) {
  let (op, n) = (out + r.lowerBound, r.count)
  switch plan {
  case .scalarA:
    let (s, bp) = (a[0], b + r.lowerBound)
    switch kind {
    case .add: for i in 0..<n { op[i] = s + bp[i] }
    case .multiply: for i in 0..<n { op[i] = s * bp[i] }
    default: for i in 0..<n { op[i] = apply(kind, s, bp[i]) }
    }
  case .scalarB:
    let (ap, s) = (a + r.lowerBound, b[0])
    switch kind {
    case .add: for i in 0..<n { op[i] = ap[i] + s }
    case .subtract: for i in 0..<n { op[i] = ap[i] - s }
    case .multiply: for i in 0..<n { op[i] = ap[i] * s }
    case .divide: for i in 0..<n { op[i] = ap[i] / s }
    default: for i in 0..<n { op[i] = apply(kind, ap[i], s) }
    }
  default:
    let (ap, bp) = (a + r.lowerBound, b + r.lowerBound)
    switch kind {
    case .add: for i in 0..<n { op[i] = ap[i] + bp[i] }
    case .subtract: for i in 0..<n { op[i] = ap[i] - bp[i] }
    case .multiply: for i in 0..<n { op[i] = ap[i] * bp[i] }
    case .divide: for i in 0..<n { op[i] = ap[i] / bp[i] }
    default: for i in 0..<n { op[i] = apply(kind, ap[i], bp[i]) }
    }
  }
}

/// xʸ that is defined for negative x when y is an integer (RealModule's `pow(x, y)` is NaN for
/// any negative x, but (−2)² = 4).
@inline(__always)
@usableFromInline
func powScalar<T: TensorScalar>(_ x: T, _ y: T) -> T {
  if y == y.rounded(), Swift.abs(y) < 16_777_216 { return T.pow(x, Int(y)) }
  return T.pow(x, y)
}

extension BinaryKernel {
  /// Elements per piece before `Parallel` splits this op: pow calls libm per element.
  var parallelChunk: Int { self == .power ? Parallel.libmOpChunk : Parallel.cheapOpChunk }

  /// The vector-width `Float` operation for this kernel, if there is one.
  var arithmetic: Arithmetic.Operation? {
    switch self {
    case .add: return .add
    case .subtract: return .subtract
    case .multiply: return .multiply
    case .divide: return .divide
    default: return nil
    }
  }
}

extension BroadcastPlan.Kind {
  /// The operand layout of the vector-width loops, for the plans without broadcasting strides.
  var arithmeticOperands: Arithmetic.Operands? {
    switch self {
    case .sameShape: return .sameShape
    case .scalarA: return .numberFirst
    case .scalarB: return .numberSecond
    case .general: return nil
    }
  }
}
