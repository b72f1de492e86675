// A flat tape for graphs of scalars (micrograd's Value, without one heap object per node).
//
// `Tensor` records every op as an object holding its inputs and a pullback closure: the right
// design for matrices, where the arithmetic dwarfs the bookkeeping, and a slow one for graphs of
// single numbers, where the bookkeeping is everything. Here a node is one fixed-size record in a
// contiguous array — its value, its operands' indices and the local derivatives ∂node/∂operand,
// computed during the forward pass — so recording a node is an append and backpropagation is one
// reverse sweep of multiply-adds:
//
//     ḡ[lhs] += g[i] · ∂node_i/∂lhs,   ḡ[rhs] += g[i] · ∂node_i/∂rhs   for i = last … 0
//
// and forward mode is the same records swept the other way:
//
//     ṫ[i] = ∂node_i/∂lhs · ṫ[lhs] + ∂node_i/∂rhs · ṫ[rhs]            for i = 0 … last
//
// Because the nodes are stored in creation order, that order is already topological: there is
// no graph walk, no visited set, and no reference counting of nodes.

/// The operation that produced a node of a `ScalarTape`.
public enum ScalarOp: UInt8, Sendable, CaseIterable {
  /// An independent variable (a leaf: no operands).
  case variable
  /// a + b.
  case add
  /// a − b.
  case subtract
  /// a · b.
  case multiply
  /// a / b.
  case divide
  /// −x.
  case negate
  /// aᵇ, or xᵖ with a constant exponent.
  case power
  /// eˣ.
  case exp
  /// ln x.
  case log
  /// tanh x.
  case tanh
  /// 1 / (1 + e⁻ˣ).
  case sigmoid
  /// max(x, 0).
  case relu
  /// √x.
  case sqrt
  /// sin x.
  case sin
  /// cos x.
  case cos
  /// |x|.
  case abs

  /// A short name for traces ("mul", "tanh", ...).
  public var name: String {
    switch self {
    case .variable: "var"
    case .add: "add"
    case .subtract: "sub"
    case .multiply: "mul"
    case .divide: "div"
    case .negate: "neg"
    case .power: "pow"
    case .exp: "exp"
    case .log: "log"
    case .tanh: "tanh"
    case .sigmoid: "sigmoid"
    case .relu: "relu"
    case .sqrt: "sqrt"
    case .sin: "sin"
    case .cos: "cos"
    case .abs: "abs"
    }
  }
}

/// One recorded node: its value and up to two operands with the local derivatives of the value
/// with respect to them. An operand index of -1 means "no operand" (a constant or a variable).
@usableFromInline
struct ScalarNode<T: TensorScalar> {
  @usableFromInline var value: T
  @usableFromInline var lhsPartial: T
  @usableFromInline var rhsPartial: T
  @usableFromInline var lhs: Int32
  @usableFromInline var rhs: Int32
  /// The tape's generation when this slot was written: a `Value` whose generation differs
  /// points at a slot that was rewound and reused.
  @usableFromInline var generation: UInt32
  @usableFromInline var op: ScalarOp

  @inlinable
  init(value: T, lhsPartial: T, rhsPartial: T, lhs: Int32, rhs: Int32, generation: UInt32, op: ScalarOp) {
    self.value = value; self.lhsPartial = lhsPartial; self.rhsPartial = rhsPartial
    self.lhs = lhs; self.rhs = rhs; self.generation = generation; self.op = op
  }
}

/// A tape that records graphs of scalars (`Value<T>`) as a flat array of nodes.
///
/// ```swift
/// let tape = ScalarTape<Double>()
/// let x = tape.variable(2), y = tape.variable(3)
/// let z = (x * y + x.exp()).tanh()
/// z.backward()
/// print(x.grad, y.grad)       // ∂z/∂x, ∂z/∂y
/// ```
///
/// Training loops keep their parameters and drop each step's graph with `mark()` / `rewind(to:)`:
///
/// ```swift
/// let weights = tape.variables(initial)   // recorded once
/// let start = tape.mark()
/// for _ in 0..<steps {
///   tape.rewind(to: start)                // forget the last step's nodes, keep the weights
///   let loss = model(weights)
///   loss.backward()
///   for w in weights { w.value -= 0.1 * w.grad }
/// }
/// ```
///
/// Gradients are first order: a node stores its local derivatives as numbers, not as graphs. For
/// Hessians and higher derivatives use `Tensor` (`hessian(of:at:)`, `createGraph`). A tape is not
/// thread-safe; use one tape per thread. Memory: `bytesPerNode` — 48 bytes (`Double`) or 32
/// (`Float`) with the gradient.
public final class ScalarTape<T: TensorScalar> {
  @usableFromInline var nodes: [ScalarNode<T>] = []
  @usableFromInline var generation: UInt32 = 0
  /// Gradients of the last `backward(from:)`, one per node (empty before the first one).
  @usableFromInline var gradients: [T] = []

  /// An empty tape; `reservingCapacity` nodes are allocated up front.
  public init(reservingCapacity capacity: Int = 0) {
    nodes.reserveCapacity(capacity)
  }

  /// Nodes recorded so far (variables included).
  public var count: Int { nodes.count }

  /// Memory per node: one record (value, two operand indices, two local derivatives, generation,
  /// op) plus its gradient during `backward`. 48 bytes for `Double`, 32 for `Float`.
  public static var bytesPerNode: Int { MemoryLayout<ScalarNode<T>>.stride + MemoryLayout<T>.stride }

  /// Records an independent variable (a leaf) holding `value`.
  @inlinable
  public func variable(_ value: T) -> Value<T> {
    record(.variable, value: value, lhs: -1, lhsPartial: 0, rhs: -1, rhsPartial: 0)
  }

  /// Records one variable per value, in order.
  public func variables<C: Collection>(_ values: C) -> [Value<T>] where C.Element == T {
    values.map { variable($0) }
  }

  /// Appends a node. `lhs`/`rhs` are operand indices (-1 for none); the partials are ∂value/∂operand.
  @inlinable
  func record(_ op: ScalarOp, value: T, lhs: Int32, lhsPartial: T, rhs: Int32, rhsPartial: T) -> Value<T> {
    let index = Int32(truncatingIfNeeded: nodes.count)
    precondition(nodes.count < Int(Int32.max), "ScalarTape: more than \(Int32.max) nodes")
    nodes.append(ScalarNode(value: value, lhsPartial: lhsPartial, rhsPartial: rhsPartial, lhs: lhs, rhs: rhs,
                            generation: generation, op: op))
    return Value(tape: self, index: index, generation: generation)
  }

  /// Whether `x` is a live node of this tape (not a constant, not rewound away, not another tape's).
  @inlinable
  public func contains(_ x: Value<T>) -> Bool {
    guard let tape = x.tape, tape === self else { return false }
    let i = Int(x.index)
    return i < nodes.count && nodes[i].generation == x.generation
  }

  /// Traps with a clear message when `x` is not a live node of this tape: a programming error,
  /// like an array index out of range.
  @inlinable
  func validate(_ x: Value<T>, _ op: @autoclosure () -> String) {
    precondition(contains(x), "\(op()): the Value is not a live node of this tape (it belongs to another tape, or it was recorded after a mark that the tape has since rewound to)")
  }

  // MARK: - Marks

  /// A position in the tape to come back to with `rewind(to:)`.
  public struct Mark: Sendable, Equatable {
    /// Nodes that survive a rewind to this mark.
    public let count: Int
    /// Generation of the node just before the mark, to detect marks that a rewind invalidated.
    let lastGeneration: UInt32?
  }

  /// The current end of the tape.
  public func mark() -> Mark {
    Mark(count: nodes.count, lastGeneration: nodes.last?.generation)
  }

  /// Drops every node recorded after `mark` (keeping their memory for reuse) and clears the
  /// gradients. Values recorded after the mark become invalid: using one traps.
  ///
  /// - Precondition: `mark` is still valid (the tape has not been rewound to before it since).
  public func rewind(to mark: Mark) {
    precondition(mark.count <= nodes.count && (mark.count == 0 || nodes[mark.count - 1].generation == mark.lastGeneration),
                 "ScalarTape.rewind: the mark is no longer valid (the tape was rewound to before it)")
    generation &+= 1
    nodes.removeSubrange(mark.count...)
    gradients.removeAll(keepingCapacity: true)
  }

  /// Drops every node, variables included.
  public func reset() { rewind(to: Mark(count: 0, lastGeneration: nil)) }

  // MARK: - Reverse mode

  /// Backpropagates from `output`: afterwards `x.grad` is ∂output/∂x for every node `x` recorded
  /// before `output` (0 for nodes it does not depend on). One reverse sweep,
  /// `ḡ[operand] += g[i] · ∂node_i/∂operand`, over the nodes up to `output`.
  ///
  /// Each call replaces the gradients of the previous one (they do not accumulate as
  /// `Tensor.grad` does), so no zeroing is needed between steps.
  @discardableResult @inlinable
  public func backward(from output: Value<T>, seed: T = 1) -> ScalarDerivatives<T> {
    validate(output, "ScalarTape.backward")
    let end = Int(output.index) + 1
    gradients.removeAll(keepingCapacity: true)
    gradients.append(contentsOf: repeatElement(0, count: nodes.count))
    gradients.withUnsafeMutableBufferPointer { g in
      nodes.withUnsafeBufferPointer { nodes in
        g[end - 1] = seed
        var i = end - 1
        while i >= 0 {
          let node = nodes[i]
          let gi = g[i]
          if node.lhs >= 0 { g[Int(node.lhs)] += gi * node.lhsPartial }
          if node.rhs >= 0 { g[Int(node.rhs)] += gi * node.rhsPartial }
          i -= 1
        }
      }
    }
    return ScalarDerivatives(tape: self, values: gradients, generation: generation)
  }

  /// The gradient of the last `backward(from:)` at `x` (0 if `x` came after that output or no
  /// backward ran since the last rewind).
  @inlinable
  func gradient(at x: Value<T>) -> T {
    validate(x, "Value.grad")
    let i = Int(x.index)
    return i < gradients.count ? gradients[i] : 0
  }

  // MARK: - Forward mode

  /// Jacobian–vector product by forward mode: seeds the tangent of each given variable (ẋ) and
  /// sweeps the nodes in order, `ṫ[i] = ∂node_i/∂lhs · ṫ[lhs] + ∂node_i/∂rhs · ṫ[rhs]`; the result
  /// holds ṫ for every node (read it with `derivatives[y]`).
  @inlinable
  public func tangents(seeds: [(variable: Value<T>, tangent: T)]) -> ScalarDerivatives<T> {
    var t = [T](repeating: 0, count: nodes.count)
    for (x, tangent) in seeds {
      validate(x, "ScalarTape.tangents")
      t[Int(x.index)] += tangent
    }
    t.withUnsafeMutableBufferPointer { t in
      nodes.withUnsafeBufferPointer { nodes in
        for i in 0..<nodes.count {
          let node = nodes[i]
          guard node.op != .variable else { continue }
          var ti: T = 0
          if node.lhs >= 0 { ti += node.lhsPartial * t[Int(node.lhs)] }
          if node.rhs >= 0 { ti += node.rhsPartial * t[Int(node.rhs)] }
          t[i] = ti
        }
      }
    }
    return ScalarDerivatives(tape: self, values: t, generation: generation)
  }

  // MARK: - Node access

  @inlinable
  func value(at x: Value<T>) -> T {
    validate(x, "Value.value")
    return nodes[Int(x.index)].value
  }

  @inlinable
  func setValue(_ value: T, at x: Value<T>) {
    validate(x, "Value.value")
    let i = Int(x.index)
    precondition(nodes[i].op == .variable, "Value.value: only a variable's value can be set (this node is the result of \(nodes[i].op.name))")
    nodes[i].value = value
  }
}

/// Derivatives of one sweep of a `ScalarTape` (gradients from `backward(from:)`, tangents from
/// `tangents(seeds:)`), one per node, read by subscripting with a `Value`.
public struct ScalarDerivatives<T: TensorScalar> {
  @usableFromInline let tape: ScalarTape<T>
  @usableFromInline let values: [T]
  @usableFromInline let generation: UInt32

  @inlinable
  init(tape: ScalarTape<T>, values: [T], generation: UInt32) {
    self.tape = tape; self.values = values; self.generation = generation
  }

  /// The derivative at node `x` (0 for a constant).
  @inlinable
  public subscript(_ x: Value<T>) -> T {
    guard x.tape != nil else { return 0 }
    tape.validate(x, "ScalarDerivatives")
    let i = Int(x.index)
    // A node recorded after this sweep (in a slot reused after a rewind, or past its end) has no
    // derivative in it.
    return i < values.count && x.generation <= generation ? values[i] : 0
  }
}
