/// A building block of a network: a differentiable function of one tensor with its own
/// parameters, listed explicitly by name (micrograd's `parameters()`, not reflection).
///
/// Layers are reference types, like the parameter tensors they own: an optimizer holds the same
/// `Tensor` objects and updates them in place. Names follow PyTorch's `state_dict`: a `Linear`
/// has `weight` and `bias`; inside a `Sequential` they become `0.weight`, `0.bias`, `2.weight`…,
/// so checkpoints are interchangeable with `torch.nn.Sequential`.
///
/// ```swift
/// let model = Sequential<Float>(Linear(64, 128), ReLU(), Linear(128, 10))
/// let logits = model(x)                   // [batch, 10]
/// model.namedParameters.map(\.0)          // ["0.weight", "0.bias", "2.weight", "2.bias"]
/// ```
public protocol Layer<Scalar>: AnyObject {
  /// The element type of the tensors this layer reads and writes.
  associatedtype Scalar: TensorScalar

  /// Applies the layer. Inputs are batches `[batch, features…]` unless a layer says otherwise.
  ///
  /// It does not throw: an input of the wrong shape is a programming error and stops with a
  /// message naming the layer and the shapes, like an out-of-range array index. Check data from
  /// outside (files, CSV columns) against the model before calling it.
  func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar>

  /// The trainable tensors with their PyTorch-style names, in a fixed order.
  var namedParameters: [(String, Tensor<Scalar>)] { get }

  /// Training mode (`true`) or evaluation mode: layers such as `Dropout` act only in training.
  var isTraining: Bool { get set }

  /// State that is saved but not trained, with PyTorch's names (batch norm's `running_mean`,
  /// `running_var`, `num_batches_tracked`); empty for most layers.
  var namedBuffers: [(String, Tensor<Scalar>)] { get }

  /// A short description for summaries, e.g. `Linear(64 → 128)`.
  var summaryName: String { get }

  /// How to rebuild this layer from a checkpoint's architecture string, or `nil` for a layer
  /// that cannot be described that way (its weights can still be saved and loaded).
  var spec: LayerSpec? { get }
}

extension Layer {
  /// The trainable tensors, in the order of `namedParameters`.
  public var parameters: [Tensor<Scalar>] { namedParameters.map(\.1) }

  /// The total number of trainable scalars.
  public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.1.count } }

  /// Switches to training mode (dropout active), like PyTorch's `model.train()`.
  public func train() { isTraining = true }

  /// Switches to evaluation mode (dropout off), like PyTorch's `model.eval()`.
  public func eval() { isTraining = false }

  /// Clears every parameter's `.grad` so that the next `backward()` starts from zero.
  public func zeroGrad() { for (_, p) in namedParameters { p.zeroGrad() } }

  /// The parameter called `name` (as in `namedParameters`), or `nil`.
  public func parameter(named name: String) -> Tensor<Scalar>? {
    namedParameters.first { $0.0 == name }?.1
  }

  /// No buffers.
  public var namedBuffers: [(String, Tensor<Scalar>)] { [] }

  /// A layer without parameters has none; stateless layers only need `callAsFunction`.
  public var spec: LayerSpec? { nil }
}

/// A layer with no parameters and no mode (activations, `Flatten`): supplies the bookkeeping.
public protocol ParameterlessLayer: Layer {}

extension ParameterlessLayer {
  /// None.
  public var namedParameters: [(String, Tensor<Scalar>)] { [] }
  /// Ignored: a parameterless layer acts the same in training and evaluation.
  public var isTraining: Bool {
    get { false }
    set {}
  }
}
