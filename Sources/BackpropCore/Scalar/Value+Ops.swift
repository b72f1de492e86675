import RealModule

// Every operation on `Value`: the forward value and, beside it, the local derivatives that the
// tape stores for both sweeps (reverse: ḡ_a += g·∂y/∂a; forward: ẏ = ∂y/∂a·ȧ + ∂y/∂b·ḃ).
// These are the same rules as the `Tensor` ops in `Ops/`, written for one number.

extension Value {
  /// Records `y = op(a, b)` with the local derivatives ∂y/∂a and ∂y/∂b. A constant operand is not
  /// recorded (its slot stays empty); two constants give a constant.
  @inlinable
  static func binary(_ op: ScalarOp, _ a: Value, _ b: Value, value: T, da: T, db: T) -> Value {
    switch (a.tape, b.tape) {
    case (nil, nil):
      return Value(value)
    case let (tape?, nil):
      return tape.record(op, value: value, lhs: a.index, lhsPartial: da, rhs: -1, rhsPartial: 0)
    case let (nil, tape?):
      return tape.record(op, value: value, lhs: -1, lhsPartial: 0, rhs: b.index, rhsPartial: db)
    case let (tapeA?, tapeB?):
      precondition(tapeA === tapeB, "Value.\(op.name): the operands are on different tapes")
      return tapeA.record(op, value: value, lhs: a.index, lhsPartial: da, rhs: b.index, rhsPartial: db)
    }
  }

  /// Records `y = op(x)` with the local derivative ∂y/∂x.
  @inlinable
  func unary(_ op: ScalarOp, value: T, dx: T) -> Value {
    guard let tape else { return Value(value) }
    return tape.record(op, value: value, lhs: index, lhsPartial: dx, rhs: -1, rhsPartial: 0)
  }

  // MARK: - Binary: y = f(a, b)        ∂y/∂a             ∂y/∂b

  /// a + b.                           ∂y/∂a = 1,        ∂y/∂b = 1
  @inlinable public static func + (a: Value, b: Value) -> Value {
    binary(.add, a, b, value: a.value + b.value, da: 1, db: 1)
  }

  /// a − b.                           ∂y/∂a = 1,        ∂y/∂b = −1
  @inlinable public static func - (a: Value, b: Value) -> Value {
    binary(.subtract, a, b, value: a.value - b.value, da: 1, db: -1)
  }

  /// a · b.                           ∂y/∂a = b,        ∂y/∂b = a
  @inlinable public static func * (a: Value, b: Value) -> Value {
    let (x, y) = (a.value, b.value)
    return binary(.multiply, a, b, value: x * y, da: y, db: x)
  }

  /// a / b.                           ∂y/∂a = 1/b,      ∂y/∂b = −a/b²
  @inlinable public static func / (a: Value, b: Value) -> Value {
    let (x, y) = (a.value, b.value)
    return binary(.divide, a, b, value: x / y, da: 1 / y, db: -x / (y * y))
  }

  /// aᵇ.                              ∂y/∂a = b·aᵇ⁻¹,   ∂y/∂b = aᵇ·ln a (0 where a = 0 and b ≥ 0, as in PyTorch)
  /// Integer exponents work for negative a, as in PyTorch.
  @inlinable public static func pow(_ a: Value, _ b: Value) -> Value {
    let (x, p) = (a.value, b.value)
    let y = powScalar(x, p)
    let db: T = (x == 0 && p >= 0) ? 0 : y * T.log(x)
    return binary(.power, a, b, value: y, da: p == 0 ? 0 : p * powScalar(x, p - 1), db: db)
  }

  /// aᵖ for a constant exponent p.    ∂y/∂a = p·aᵖ⁻¹
  @inlinable public static func pow(_ a: Value, _ p: T) -> Value {
    let x = a.value
    return a.unary(.power, value: powScalar(x, p), dx: p == 0 ? 0 : p * powScalar(x, p - 1))
  }

  // MARK: - Unary: y = f(x)             ∂y/∂x

  /// −x.                              ∂y/∂x = −1
  @inlinable public static prefix func - (x: Value) -> Value {
    x.unary(.negate, value: -x.value, dx: -1)
  }

  /// eˣ.                              ∂y/∂x = y
  @inlinable public func exp() -> Value {
    let y = T.exp(value)
    return unary(.exp, value: y, dx: y)
  }

  /// ln x.                            ∂y/∂x = 1/x
  @inlinable public func log() -> Value {
    let x = value
    return unary(.log, value: T.log(x), dx: 1 / x)
  }

  /// tanh x.                          ∂y/∂x = 1 − y²
  @inlinable public func tanh() -> Value {
    let y = T.tanh(value)
    return unary(.tanh, value: y, dx: 1 - y * y)
  }

  /// σ(x) = 1/(1 + e⁻ˣ).              ∂y/∂x = y(1 − y)
  @inlinable public func sigmoid() -> Value {
    let y: T = 1 / (1 + T.exp(-value))
    return unary(.sigmoid, value: y, dx: y * (1 - y))
  }

  /// max(x, 0).                       ∂y/∂x = 1 if x > 0, else 0 (PyTorch's choice at 0)
  @inlinable public func relu() -> Value {
    let x = value
    return x > 0 ? unary(.relu, value: x, dx: 1) : unary(.relu, value: 0, dx: 0)
  }

  /// √x.                              ∂y/∂x = 1/(2y)
  @inlinable public func sqrt() -> Value {
    let y = T.sqrt(value)
    return unary(.sqrt, value: y, dx: 1 / (2 * y))
  }

  /// sin x.                           ∂y/∂x = cos x
  @inlinable public func sin() -> Value {
    let x = value
    return unary(.sin, value: T.sin(x), dx: T.cos(x))
  }

  /// cos x.                           ∂y/∂x = −sin x
  @inlinable public func cos() -> Value {
    let x = value
    return unary(.cos, value: T.cos(x), dx: -T.sin(x))
  }

  /// |x|.                             ∂y/∂x = sign x (0 at 0, as in PyTorch)
  @inlinable public func abs() -> Value {
    let x = value
    return unary(.abs, value: Swift.abs(x), dx: x > 0 ? 1 : (x < 0 ? -1 : 0))
  }
}

// MARK: - Mixing with plain numbers and compound assignment

extension Value {
  /// a + c with a plain number (c is a constant: one recorded operand).
  @inlinable public static func + (a: Value, c: T) -> Value { a + Value(c) }
  /// c + a.
  @inlinable public static func + (c: T, a: Value) -> Value { Value(c) + a }
  /// a − c.
  @inlinable public static func - (a: Value, c: T) -> Value { a - Value(c) }
  /// c − a.
  @inlinable public static func - (c: T, a: Value) -> Value { Value(c) - a }
  /// a · c.
  @inlinable public static func * (a: Value, c: T) -> Value { a * Value(c) }
  /// c · a.
  @inlinable public static func * (c: T, a: Value) -> Value { Value(c) * a }
  /// a / c.
  @inlinable public static func / (a: Value, c: T) -> Value { a / Value(c) }
  /// c / a.
  @inlinable public static func / (c: T, a: Value) -> Value { Value(c) / a }

  /// a = a + b (records a new node; the old `a` stays on the tape).
  @inlinable public static func += (a: inout Value, b: Value) { a = a + b }
  /// a = a − b.
  @inlinable public static func -= (a: inout Value, b: Value) { a = a - b }
  /// a = a · b.
  @inlinable public static func *= (a: inout Value, b: Value) { a = a * b }
  /// a = a / b.
  @inlinable public static func /= (a: inout Value, b: Value) { a = a / b }

  /// The sum of `terms` (a chain of additions; `Value(0)` for none).
  @inlinable public static func sum<S: Sequence>(_ terms: S) -> Value where S.Element == Value {
    var iterator = terms.makeIterator()
    guard var total = iterator.next() else { return Value(0) }
    while let term = iterator.next() { total = total + term }
    return total
  }
}
