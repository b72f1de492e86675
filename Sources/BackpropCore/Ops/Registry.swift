/// Every primitive op of BackpropCore, one representative value each (parameters are
/// placeholders): the list the op-coverage test iterates, so that an op without a row in the
/// op table, or a row that records an op missing here, fails the tests.
///
/// Adding an op: its file in `Ops/`, one line here, one row in `Tests/BackpropCoreTests/OpTable.swift`
/// (see `CONTRIBUTING.md`).
public enum OpRegistry {
  /// The primitives, by family.
  public static let primitives: [any Op] = [
    // Elementwise, one input
    Exp(), Log(), Sqrt(), Tanh(), Sigmoid(), ReLU(), Abs(), Negate(), Sin(), Cos(), Erf(), GELU(), GELUDerivative(), Softplus(),
    PowerScalar(exponent: 2),
    ScalarOperation(kind: .add, number: 0), ScalarOperation(kind: .subtractFrom, number: 0),
    ScalarOperation(kind: .multiply, number: 1), ScalarOperation(kind: .divide, number: 1),
    ScalarOperation(kind: .divideInto, number: 1),
    // Elementwise, two inputs (broadcasting)
    Add(), Subtract(), Multiply(), Divide(), Power(), Maximum(),
    // Reductions
    Sum(axes: [], keepingDims: false), SumToShape(target: []), Max(axes: [], keepingDims: false),
    // Linear algebra
    MatMul(transposeA: false, transposeB: false),
    // Shapes
    Broadcast(target: []), Reshape(target: []), Permute(permutation: []), Slice(axis: 0, range: 0..<0),
    Pad(axis: 0, before: 0, after: 0), Concatenate(axis: 0), GatherRows(indices: []),
    ScatterRows(indices: [], rowCount: 0),
    // Convolution
    Conv2D(geometry: .init(stride: 1, padding: 0, dilation: 1, groups: 1)),
    ConvTranspose2D(geometry: .init(stride: 1, padding: 0, dilation: 1, groups: 1), height: 0, width: 0),
    Conv2DWeightGradient(geometry: .init(stride: 1, padding: 0, dilation: 1, groups: 1), kernel: 1),
    Unfold2D(kernel: 1, geometry: .init(stride: 1, padding: 0, dilation: 1, groups: 1)),
    Fold2D(kernel: 1, geometry: .init(stride: 1, padding: 0, dilation: 1, groups: 1), height: 0, width: 0),
    MaxPool2D(kernel: 1, geometry: .init(stride: 1, padding: 0, dilation: 1, groups: 1)),
    MaxUnpool2D(kernel: 1, geometry: .init(stride: 1, padding: 0, dilation: 1, groups: 1)),
    // Normalisation
    Normalize(kept: 0..<1, eps: 1e-5), LayerNormOp(rowSize: 1, eps: 1e-5),
    // Sequence models
    Where(), ScaledDotProductAttention(), PackedSelfAttention(heads: 1, causal: true), LSTMCellOp(), LSTMSequenceOp(), GRUCellOp(),
  ]

  /// The primitives' names (each op's `name`), e.g. to check that a graph uses only known ops.
  public static var names: Set<String> { Set(primitives.map(\.name)) }
}
