/// A primitive operation as a value: its name, its non-tensor parameters, its forward kernel,
/// its vector–Jacobian product (VJP), its Jacobian–vector product (JVP) and its formula, in one
/// place — like a JAX primitive with its rules, or a row of PyTorch's `derivatives.yaml`.
///
/// Every recorded node of the graph stores the op value that made it, parameters included
/// (`pow`'s exponent, `matmul`'s transpose flags, `sum`'s axes), so explanations, graph pictures
/// and anomaly messages read them instead of guessing from names or shapes.
///
/// Adding an op is one file with one such value plus one row of the op table in the tests; see
/// `CONTRIBUTING.md`. Elementwise ops conform to `ElementwiseOp` instead and state their local
/// derivative once.
public protocol Op: CustomStringConvertible {
  /// The op's name in graphs, traces and messages (`"exp"`, `"matmul"`).
  var name: String { get }
  /// The op's non-tensor parameters as (name, value) pairs, e.g. `[("exponent", "3")]`.
  var parameters: [(name: String, value: String)] { get }

  /// The forward computation: the output's shape and row-major elements. Shapes are checked
  /// here with `require(_:_:)`: a misuse is a programmer error and stops the program.
  func forward<Scalar>(_ inputs: [Tensor<Scalar>]) -> (shape: [Int], scalars: [Scalar])

  /// The VJP: the upstream gradient `g` (shaped like the output, plus `context.batchShape` in
  /// front) to one gradient per input (`nil` where an input needs none). Written with tensor
  /// ops, so that it can itself be differentiated (`backward(createGraph: true)`).
  func vjp<Scalar>(_ g: Tensor<Scalar>, _ context: BackwardContext<Scalar>) -> [Tensor<Scalar>?]

  /// The JVP: the inputs' tangents (`nil` = zero) to the output's tangent (forward mode).
  func jvp<Scalar>(_ tangents: [Tensor<Scalar>?], _ context: BackwardContext<Scalar>) -> Tensor<Scalar>

  /// The forward formula in terms of the inputs' names, e.g. `"exp(x)"`.
  func forwardFormula(_ names: [String]) -> String

  /// How the VJP forms input `k`'s gradient, in maths notation, for `explain()` and graphs.
  func gradientFormula(input k: Int, _ context: FormulaContext) -> GradientFormula
}

extension Op {
  public var parameters: [(name: String, value: String)] { [] }

  /// `name`, or `name(parameter: value, …)` when the op has parameters: `pow(exponent: 3)`.
  public var description: String {
    let p = parameters
    return p.isEmpty ? name : "\(name)(\(p.map { "\($0.name): \($0.value)" }.joined(separator: ", ")))"
  }

  public func forwardFormula(_ names: [String]) -> String { "\(name)(\(names.joined(separator: ", ")))" }
}

/// An elementwise op of one input, y = f(x), defined by its local derivative f′: the VJP
/// `g ⊙ f′(x)` and the JVP `ẋ ⊙ f′(x)` both come from it (JAX's `defjvp` idea).
public protocol ElementwiseOp: Op {
  /// f′ as a tensor of x's shape, from the input `x` and the output `y` (whichever is cheaper;
  /// `exp` reuses y). Written with tensor ops, so it is differentiable again.
  func derivative<Scalar>(x: Tensor<Scalar>, y: Tensor<Scalar>) -> Tensor<Scalar>
  /// f′ in maths notation in terms of the input's name, e.g. `"cos(x)"`.
  func derivativeFormula(_ x: String) -> String
}

extension ElementwiseOp {
  public func vjp<Scalar>(_ g: Tensor<Scalar>, _ context: BackwardContext<Scalar>) -> [Tensor<Scalar>?] {
    [g * derivative(x: context.inputs[0], y: context.output)]
  }

  public func jvp<Scalar>(_ tangents: [Tensor<Scalar>?], _ context: BackwardContext<Scalar>) -> Tensor<Scalar> {
    tangents[0]! * derivative(x: context.inputs[0], y: context.output)
  }

  public func forwardFormula(_ names: [String]) -> String { "\(name)(\(names[0]))" }

  public func gradientFormula(input k: Int, _ context: FormulaContext) -> GradientFormula {
    context.times(derivativeFormula(context.inputNames[0]))
  }
}

/// How a vector–Jacobian product combines δ with the local derivative.
public enum ProductKind: String, Codable, Sendable {
  /// Element by element (⊙): the Jacobian is diagonal.
  case hadamard
  /// A matrix product (·): matmul and linear layers.
  case matrix
  /// δ times one number (scalars, or a scalar factor).
  case scale
  /// δ passed on unchanged (add, the first input of subtract).
  case identity
  /// δ summed over axes (undoing a broadcast, or the bias of a linear layer).
  case sum
  /// δ copied over axes (undoing a sum).
  case broadcast
  /// δ's elements moved, selected or padded (reshape, permute, slice, gather).
  case rearrange
  /// Something else; see the formula.
  case other
}

/// The structure of a local Jacobian ∂y/∂x, flattened to |y| × |x|.
public enum JacobianStructure: String, Codable, Sendable {
  /// Elementwise op, same shapes: only the diagonal is non-zero.
  case diagonal
  /// Elementwise op on a broadcast input: one non-zero per row, repeated along broadcast axes.
  case broadcastDiagonal
  /// A one-element output: the Jacobian is a single 1×n row (the gradient itself).
  case row
  /// Matrix product: dense but Kronecker-structured (I ⊗ Bᵀ and the like).
  case kronecker
  /// A sum over axes: rows of ones.
  case reduction
  /// Copies over axes: columns of ones.
  case expansion
  /// A permutation matrix (reshape, permute).
  case permutation
  /// A 0/1 selection (slice, pad, gather, concatenate).
  case selection
  /// Dense, no structure used.
  case dense
}

/// One input's gradient as the VJP forms it, in maths notation (δ = ∂L/∂output).
public struct GradientFormula: Sendable, Equatable {
  /// The expression, e.g. `"δ ⊙ cos(x)"` or `"δ·Wᵀ"`.
  public var expression: String
  /// How δ is combined with the local derivative.
  public var product: ProductKind
  /// The structure of the local Jacobian.
  public var structure: JacobianStructure
  /// The shapes of a matrix product's two operands, when `product` is `.matrix`.
  public var operandShapes: [[Int]]
  /// Axes of δ summed because the input was broadcast in the forward pass.
  public var summedAxes: [Int]

  public init(_ expression: String, _ product: ProductKind, _ structure: JacobianStructure,
              operandShapes: [[Int]] = [], summedAxes: [Int] = []) {
    self.expression = expression
    self.product = product
    self.structure = structure
    self.operandShapes = operandShapes
    self.summedAxes = summedAxes
  }
}

/// What a formula is written about: the names and shapes of an op's inputs and its output.
public struct FormulaContext: Sendable {
  /// The inputs' display names (labels, or "x", "W"…).
  public var inputNames: [String]
  /// The inputs' shapes.
  public var inputShapes: [[Int]]
  /// The output's shape.
  public var outputShape: [Int]

  public init(inputNames: [String], inputShapes: [[Int]], outputShape: [Int]) {
    self.inputNames = inputNames
    self.inputShapes = inputShapes
    self.outputShape = outputShape
  }

  /// Whether the output is one number (then products with δ are scalings and Jacobians rows).
  public var scalarOutput: Bool { outputShape.reduce(1, *) == 1 }

  /// The Jacobian structure of an elementwise op for input `k`: diagonal, or broadcast diagonal.
  public func elementwise(_ k: Int = 0) -> JacobianStructure {
    inputShapes[k] == outputShape ? .diagonal : .broadcastDiagonal
  }

  /// `δ ⊙ factor` for tensors, `δ · factor` when the output is one number.
  public func times(_ factor: String, input k: Int = 0) -> GradientFormula {
    scalarOutput ? GradientFormula("δ · \(factor)", .scale, .row, summedAxes: broadcastAxes(k))
      : GradientFormula("δ ⊙ \(factor)", .hadamard, elementwise(k), summedAxes: broadcastAxes(k))
  }

  /// Axes of the output that were summed to bring δ back to input `k`'s shape (NumPy
  /// broadcasting: missing leading axes, and axes where the input had size 1).
  public func broadcastAxes(_ k: Int) -> [Int] {
    let (out, input) = (outputShape, inputShapes[k])
    guard out != input, out.count >= input.count else { return [] }
    let lead = out.count - input.count
    var axes = Array(0..<lead)
    for (i, d) in input.enumerated() where d == 1 && out[lead + i] != 1 { axes.append(lead + i) }
    return axes
  }
}

// MARK: - Checking arguments

/// Stops with a message naming the op, the problem and the caller's source line (found in the
/// call stack; debug builds carry the line numbers), as an out-of-range `Array` index does.
///
/// Ops call it for programmer errors — shapes that do not fit, an axis out of range. Data that
/// comes from outside (files, options) is validated where it enters and thrown instead.
@inline(never)
public func opFailure(_ op: String, _ message: String) -> Never {
  requirementFailure("\(op): \(message)")
}

/// `opFailure(op, message())` unless `condition` holds. Free when it holds: the check is inlined
/// and everything else is out of line.
@_transparent
public func require(_ condition: Bool, _ op: @autoclosure () -> String, _ message: @autoclosure () -> String) {
  if _slowPath(!condition) { opFailure(op(), message()) }
}

/// Stops with `message()` unless `condition` holds — `precondition`, except that the message is
/// also printed by optimised builds (Swift drops a precondition's message with `-O`, leaving
/// release users with a bare "Illegal instruction"), followed by the caller's line.
@_transparent
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
  if _slowPath(!condition) { requirementFailure(message()) }
}

/// The out-of-line half of `require(_:_:)`.
@inline(never) @usableFromInline
func requirementFailure(_ message: String) -> Never {
  fatalError("\(message) (called from \(CreationSite.capture().description))")
}
