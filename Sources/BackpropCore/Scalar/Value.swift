/// A differentiable scalar: a node of a `ScalarTape`, or a constant.
///
/// `Value` is the fast path for graphs made of single numbers — the micrograd demo, the study note's
/// chain-rule examples, any scalar Swift function — where `Tensor`'s per-node object and closure
/// would cost more than the arithmetic. Record with `tape.variable(_:)`, compute with the usual
/// operators and functions (`+ - * /`, `pow`, `exp`, `log`, `tanh`, `sigmoid`, `relu`, `sqrt`,
/// `sin`, `cos`, `abs`), then call `backward()` on the result and read `grad` on the inputs.
///
/// A `Value` is a small value (a tape reference and an index); copying it does not copy a node.
/// Constants (`Value(2)`, or plain numbers in expressions such as `1 - x` or `x * 0.5`) are not
/// recorded and have no gradient. (`Value` is deliberately not expressible by a literal: that would
/// make every `1 / s` in generic numeric code ambiguous.)
public struct Value<T: TensorScalar> {
  /// The tape holding this node; `nil` for a constant.
  @usableFromInline let tape: ScalarTape<T>?
  /// The node's index in the tape (unused for a constant).
  @usableFromInline let index: Int32
  /// The tape generation the node was recorded in (see `ScalarTape.rewind(to:)`).
  @usableFromInline let generation: UInt32
  /// A constant's value (unused for a node).
  @usableFromInline let constant: T

  @inlinable
  init(tape: ScalarTape<T>, index: Int32, generation: UInt32) {
    self.tape = tape; self.index = index; self.generation = generation; self.constant = 0
  }

  /// A constant: it takes part in arithmetic but is not recorded and has no gradient.
  @inlinable
  public init(_ value: T) {
    tape = nil; index = -1; generation = 0; constant = value
  }

  /// The value. Setting it is allowed for variables only (a parameter update between steps);
  /// nodes recorded from the old value keep the old result until they are recorded again.
  @inlinable
  public var value: T {
    get {
      guard let tape else { return constant }
      return tape.value(at: self)
    }
    nonmutating set {
      guard let tape else { preconditionFailure("Value.value: a constant cannot be changed") }
      tape.setValue(newValue, at: self)
    }
  }

  /// ∂output/∂self from the tape's last `backward()` (0 for a constant, or before any backward).
  @inlinable
  public var grad: T {
    guard let tape else { return 0 }
    return tape.gradient(at: self)
  }

  /// The node's position on its tape (`nil` for a constant): the `%n` of traces.
  public var node: Int? { tape == nil ? nil : Int(index) }

  /// Whether this is a constant (not recorded on any tape).
  public var isConstant: Bool { tape == nil }

  /// The operation that produced this node (`nil` for a constant).
  public var op: ScalarOp? { tape.map { $0.nodes[Int(index)].op } }

  /// Backpropagates from this node with seed 1 (`ScalarTape.backward(from:)`); afterwards every
  /// earlier node's `grad` is ∂self/∂node. Does nothing for a constant.
  @discardableResult @inlinable
  public func backward() -> ScalarDerivatives<T>? {
    tape?.backward(from: self)
  }
}

extension Value: CustomStringConvertible {
  /// `Value(value: 0.5, grad: -1.25)`, like micrograd's `Value(data=…, grad=…)`.
  public var description: String {
    tape == nil ? "Value(constant: \(value))" : "Value(value: \(value), grad: \(grad))"
  }
}
