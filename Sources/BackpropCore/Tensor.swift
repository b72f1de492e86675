/// An n-dimensional array of `Float` or `Double` that can record how it was computed, so that
/// gradients can flow back through it by the chain rule.
///
/// Storage is contiguous and row-major (the last index varies fastest). A tensor is a reference
/// type, like PyTorch's: a parameter is one object whose `.grad` fills up during `backward()`.
/// Its `scalars` array is copy-on-write, so handing one tensor's values to another is cheap.
///
/// ```swift
/// let w = Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4], requiresGrad: true)
/// let loss = try (w * w).sum()
/// try loss.backward()      // w.grad == 2 · w
/// ```
public final class Tensor<Scalar: TensorScalar> {
  /// The size of each dimension; `[]` for a scalar.
  public let shape: [Int]
  /// The elements in row-major order. Mutating them in place (optimizer updates) is allowed
  /// outside recorded computations; see `update(_:)`.
  public var scalars: [Scalar]
  /// Whether gradients flow into this tensor. Set it on parameters (leaves); results of ops on
  /// such tensors get it automatically while gradient recording is enabled.
  public var requiresGrad: Bool
  /// The accumulated gradient ∂L/∂self after `backward()`; `nil` before. Like PyTorch, each
  /// `backward()` **adds** to it: call `zeroGrad()` (or `optimizer.zeroGrad`) between steps.
  public var grad: Tensor?
  /// A human-readable label used by graphs, traces and error messages (e.g. "W1", "s").
  public var label: String?
  /// The forward-mode tangent (directional derivative) carried by this tensor inside `jvp`.
  public internal(set) var tangent: Tensor?
  /// Called by `backward()` on a leaf that requires a gradient as soon as its `.grad` is final
  /// for that pass (after its last contribution, before the walk goes on to the rest of the
  /// graph); PyTorch's `register_post_accumulate_grad_hook`.
  ///
  /// Leaves are reached in reverse order of use, so the last layer's parameters come first:
  /// `DataParallel` starts averaging their gradients across processes while backward still runs
  /// through the earlier layers. A leaf that the output does not depend on is never called.
  /// The hook must not start another `backward()`; to avoid a reference cycle it should not
  /// hold the tensor strongly (it receives it as its argument).
  public var gradientReadyHook: ((Tensor) -> Void)?

  /// Asks an op that computes this leaf's gradient as a matrix of rows (a `linear` layer's
  /// weight, `∂L/∂W = Gᵀ·x`) to write it in this many row blocks and to call
  /// `gradientBlockHook` after each one, so that `DataParallel` can start reducing a block
  /// while the next is computed. 1 (the default): one piece, no calls, unless a
  /// `gradientBlockDestination` is set (then the one piece is written there, with one call). Only a first-order
  /// `backward()` of a tensor with no `.grad` yet uses blocks; the values are the same bits
  /// with Backprop's own GEMM, within the last bit with a BLAS library (which picks its kernel
  /// by the block's size).
  public var gradientBlocks = 1
  /// Called with the gradient tensor being written (its storage becomes this leaf's `.grad`)
  /// and the rows just finished, in order, during the op's pullback. The hook may keep the
  /// tensor and hand the finished rows' memory to MPI: nothing writes those rows again.
  public var gradientBlockHook: ((_ gradient: Tensor, _ rows: Range<Int>) -> Void)?
  /// Where the op writes those blocks instead of the gradient tensor's storage, asked once per
  /// backward before the first block (`DataParallel` hands out memory the ranks share, so the
  /// gradient needs no copy before the others read it); nil, or a nil answer: the tensor's own
  /// storage. When it answers with memory (`count` elements, row-major), the op leaves the
  /// gradient tensor's storage unwritten and `gradientBlockHook`'s owner must fill it. Not asked
  /// under `withAnomalyDetection` (which reads every gradient as the op returns it); a
  /// `backward(observer:)` sees the block gradient before its owner filled it.
  public var gradientBlockDestination: (() -> UnsafeMutablePointer<Scalar>?)?

  /// The record of the op that produced this tensor (`nil` for leaves and untracked results).
  var gradFn: GradFn<Scalar>?
  /// Keep `.grad` on this non-leaf tensor too (PyTorch's `retain_grad()`).
  var retainsGrad = false
  /// Sum of the gradient contributions received so far during one backward pass.
  var pendingGrad: Tensor?
  /// Marks visits during one topological sort, instead of a hash set.
  var visitMark: UInt64 = 0

  /// Creates a tensor from a shape and its row-major elements. The caller guarantees that
  /// `scalars.count` equals the product of `shape` (checked by `precondition`).
  init(uncheckedShape shape: [Int], scalars: [Scalar], requiresGrad: Bool = false) {
    require(shape.reduce(1, *) == scalars.count, "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(scalars.count)")
    self.shape = shape
    self.scalars = scalars
    self.requiresGrad = requiresGrad
  }

  deinit {
    if let node = gradFn, !node.inputs.isEmpty { releaseGraph(node) }
  }

  /// Releases long chains iteratively: letting ARC free a 1,000,000-node chain recursively
  /// would overflow the stack. Steals the inputs of every node that dies with this one.
  /// (Out of line and specialised: a deinit is generic code, which Swift never specialises.)
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inline(never)
  private func releaseGraph(_ node: GradFn<Scalar>) {
    var stack = node.inputs
    node.release()
    while var t = stack.popLast() {
      if isKnownUniquelyReferenced(&t), let inner = t.gradFn {
        stack.append(contentsOf: inner.inputs)
        inner.release()
      }
    }
  }
}

// MARK: - Creating tensors

extension Tensor {
  /// A tensor of the given shape and row-major elements. The element count must be the product
  /// of the shape (a programmer error otherwise, like a bad array index: data read from files
  /// is validated where it is read).
  public convenience init(shape: [Int], scalars: [Scalar], requiresGrad: Bool = false) {
    require(shape.allSatisfy({ $0 >= 0 }), "Tensor(shape:scalars:)", "negative dimension in shape \(shape)")
    require(shape.reduce(1, *) == scalars.count, "Tensor(shape:scalars:)",
            "shape \(shape) holds \(shape.reduce(1, *)) elements but \(scalars.count) were given")
    self.init(uncheckedShape: shape, scalars: scalars, requiresGrad: requiresGrad)
  }

  /// A rank-1 tensor (a vector): `Tensor([1, 2, 3])`.
  public convenience init(_ scalars: [Scalar], requiresGrad: Bool = false) {
    self.init(uncheckedShape: [scalars.count], scalars: scalars, requiresGrad: requiresGrad)
  }

  /// A rank-0 tensor (a scalar).
  public convenience init(_ value: Scalar, requiresGrad: Bool = false) {
    self.init(uncheckedShape: [], scalars: [value], requiresGrad: requiresGrad)
  }

  /// A rank-2 tensor (a matrix) from rows of equal length: `Tensor([[1, 2], [3, 4]])`.
  public convenience init(_ rows: [[Scalar]], requiresGrad: Bool = false) {
    self.init(rows: rows, requiresGrad: requiresGrad)
  }

  /// A rank-2 tensor from rows of equal length (ragged rows are a programmer error).
  public convenience init(rows: [[Scalar]], requiresGrad: Bool = false) {
    let columns = rows.first?.count ?? 0
    require(rows.allSatisfy({ $0.count == columns }), "Tensor(rows:)", "rows have different lengths \(rows.map(\.count))")
    self.init(uncheckedShape: [rows.count, columns], scalars: rows.flatMap { $0 }, requiresGrad: requiresGrad)
  }

  /// A rank-3 tensor from equal-sized matrices: `Tensor([[[1, 2]], [[3, 4]]])`.
  public convenience init(_ matrices: [[[Scalar]]], requiresGrad: Bool = false) {
    let rows = matrices.first?.count ?? 0, columns = matrices.first?.first?.count ?? 0
    require(matrices.allSatisfy { $0.count == rows && $0.allSatisfy { $0.count == columns } }, "Tensor(_:)",
            "the nested arrays are ragged")
    self.init(uncheckedShape: [matrices.count, rows, columns], scalars: matrices.flatMap { $0.flatMap { $0 } },
              requiresGrad: requiresGrad)
  }

  /// A tensor filled with `value`.
  public convenience init(repeating value: Scalar, shape: [Int], requiresGrad: Bool = false) {
    self.init(uncheckedShape: shape, scalars: Scalar.filled(value, count: shape.reduce(1, *)), requiresGrad: requiresGrad)
  }

  /// Zeros of the given shape.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
    Tensor(repeating: 0, shape: shape, requiresGrad: requiresGrad)
  }

  /// Ones of the given shape.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
    Tensor(repeating: 1, shape: shape, requiresGrad: requiresGrad)
  }

  /// Samples from N(mean, std²), reproducibly from `generator`.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func randomNormal(
    _ shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1,
    using generator: inout SeededGenerator, requiresGrad: Bool = false
  ) -> Tensor {
    let n = shape.reduce(1, *)
    var values = [Scalar](repeating: 0, count: n)
    for i in 0..<n { values[i] = mean + standardDeviation * Scalar(generator.nextNormal()) }
    return Tensor(uncheckedShape: shape, scalars: values, requiresGrad: requiresGrad)
  }

  /// Samples from U[low, high), reproducibly from `generator`.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func randomUniform(
    _ shape: [Int], low: Scalar = 0, high: Scalar = 1,
    using generator: inout SeededGenerator, requiresGrad: Bool = false
  ) -> Tensor {
    let n = shape.reduce(1, *)
    var values = [Scalar](repeating: 0, count: n)
    for i in 0..<n { values[i] = low + (high - low) * Scalar(generator.nextUniform()) }
    return Tensor(uncheckedShape: shape, scalars: values, requiresGrad: requiresGrad)
  }

  /// Samples from N(mean, std²) drawn from the global generator (`Random.seed(_:)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func randomNormal(
    _ shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1, requiresGrad: Bool = false
  ) -> Tensor {
    Random.withGlobalGenerator {
      randomNormal(shape, mean: mean, standardDeviation: standardDeviation, using: &$0, requiresGrad: requiresGrad)
    }
  }

  /// Samples from U[low, high) drawn from the global generator (`Random.seed(_:)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func randomUniform(_ shape: [Int], low: Scalar = 0, high: Scalar = 1, requiresGrad: Bool = false) -> Tensor {
    Random.withGlobalGenerator { randomUniform(shape, low: low, high: high, using: &$0, requiresGrad: requiresGrad) }
  }

  /// The `n × n` identity matrix.
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public static func identity(_ n: Int) -> Tensor {
    var values = Scalar.filled(0, count: n * n)
    for i in 0..<n { values[i * n + i] = 1 }
    return Tensor(uncheckedShape: [n, n], scalars: values)
  }
}

// MARK: - Basic properties

extension Tensor {
  /// The number of dimensions.
  public var rank: Int { shape.count }
  /// The number of elements.
  public var count: Int { scalars.count }
  /// The single element of a one-element tensor (any rank).
  public var item: Scalar {
    require(scalars.count == 1, "item needs exactly one element, tensor has shape \(shape)")
    return scalars[0]
  }
  /// Whether this tensor was made by the user rather than by an op (PyTorch's `is_leaf`).
  public var isLeaf: Bool { gradFn == nil }
  /// The op value (with its parameters) that produced this tensor, or `nil` for a leaf — what
  /// PyTorch shows as `grad_fn`.
  public var op: (any Op)? { gradFn?.op }
  /// The name of the op that produced this tensor, or `nil` for a leaf.
  public var opName: String? { gradFn?.op.name }
  /// The tensors this one was computed from (empty for leaves or after the graph is released).
  public var graphInputs: [Tensor] { gradFn?.inputs ?? [] }

  /// A new leaf with the same values that is cut off from the graph (PyTorch's `detach()`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func detached() -> Tensor { Tensor(uncheckedShape: shape, scalars: scalars) }

  /// Keep `.grad` on this intermediate tensor during `backward()`, for inspection.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func retainGrad() { retainsGrad = true }

  /// Sets `.grad` to `nil`, so the next `backward()` starts from zero.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func zeroGrad() { grad = nil }

  /// Converts the elements to another precision (not differentiable).
  public func converted<T: TensorScalar>(to: T.Type) -> Tensor<T> {
    Tensor<T>(uncheckedShape: shape, scalars: scalars.map { T($0) })
  }

  /// Changes the elements in place, outside the graph (for optimizers and initialisers).
  /// - Precondition: the closure keeps the element count.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func update(_ body: (inout [Scalar]) throws -> Void) rethrows {
    try body(&scalars)
    require(scalars.count == shape.reduce(1, *), "update changed the element count")
  }

  /// Row-major strides in elements.
  public var strides: [Int] { Shape.strides(shape) }
}

/// Small helpers on shapes (plain `[Int]`).
public enum Shape {
  /// Row-major strides of `shape`, in elements.
  public static func strides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
    return s
  }
  /// Normalises a possibly negative axis (`-1` is the last) and checks its range.
  /// Stops with a message naming `op` when the axis is out of range.
  public static func normalize(axis: Int, rank: Int, op: String) -> Int {
    let a = axis < 0 ? axis + rank : axis
    // A scalar has no axes: accepting axis 0 at rank 0 let slice/pad/sum/argmax index shape[0].
    require(a >= 0 && a < rank, op, "axis \(axis) is out of range for rank \(rank)")
    return a
  }
}

extension Tensor {
  /// The number of recorded op nodes this tensor depends on (itself included), counted
  /// iteratively. Leaves are not counted.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func graphNodeCount() -> Int { topologicalOrder().filter { $0.gradFn != nil }.count }
}
