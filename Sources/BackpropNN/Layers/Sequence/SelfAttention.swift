import BackpropCore

/// Keys and values already computed for a prefix, per attention layer: with it a model reads
/// one new token per step instead of the whole prefix again. Tensors are `[batch, heads, T, headSize]`
/// and carry no graph (sampling runs without gradients).
public final class KeyValueCache<Scalar: TensorScalar> {
  /// Per layer: keys and values so far, or `nil` before the first step.
  public var entries: [(key: Tensor<Scalar>, value: Tensor<Scalar>)?]
  /// An empty cache for `layers` attention layers.
  public init(layers: Int) { entries = Array(repeating: nil, count: layers) }
  /// Positions cached so far (0 when empty).
  public var length: Int { entries.first??.key.shape[2] ?? 0 }
}

/// Multi-head attention of `query` `[B, Tq, E]` on `key`/`value` `[B, Tk, E]` with a packed
/// projection `inWeight` `[3E, E]` (rows: q, k, v) and an output projection: the computation
/// shared by `MultiheadAttention` and GPT's self-attention. When `cache` is given (self-attention
/// only), the new keys and values are appended to `cache.entries[layer]` and attention runs
/// over all of them.
func multiheadAttention<Scalar>(
  query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>, heads: Int,
  inWeight: Tensor<Scalar>, inBias: Tensor<Scalar>?, outWeight: Tensor<Scalar>, outBias: Tensor<Scalar>?,
  causal: Bool, mask: Tensor<Scalar>?, cache: (KeyValueCache<Scalar>, layer: Int)? = nil, layerName: String
) -> Tensor<Scalar> {
  let e = inWeight.shape[1]
  require(query.rank == 3 && query.shape[2] == e && key.rank == 3 && key.shape[2] == e && value.shape == key.shape,
          layerName, "query \(query.shape), key \(key.shape), value \(value.shape) must be [batch, T, \(e)]")
  let b = query.shape[0], tq = query.shape[1], tk = key.shape[1], hd = e / heads
  func project(_ x: Tensor<Scalar>, _ part: Int) -> Tensor<Scalar> {
    let w = inWeight.sliced(alongAxis: 0, part * e..<(part + 1) * e)
    return Tensor.linear(x, weight: w, bias: inBias?.sliced(alongAxis: 0, part * e..<(part + 1) * e))
  }
  func split(_ x: Tensor<Scalar>, _ t: Int) -> Tensor<Scalar> { x.reshaped(to: [b, t, heads, hd]).permuted([0, 2, 1, 3]) }
  if query === key && key === value && cache == nil && mask == nil {
    // Training and whole-sequence self-attention: one op from the packed projection to the
    // merged heads, no split/permute/merge copies.
    let y = Tensor.packedSelfAttention(Tensor.linear(query, weight: inWeight, bias: inBias), heads: heads, causal: causal)
    return Tensor.linear(y, weight: outWeight, bias: outBias)
  }
  var q: Tensor<Scalar>, k: Tensor<Scalar>, v: Tensor<Scalar>
  if query === key && key === value {
    // Self-attention: one matmul for q, k and v (nanoGPT's c_attn).
    let qkv = Tensor.linear(query, weight: inWeight, bias: inBias)
    q = split(qkv.sliced(alongAxis: 2, 0..<e), tq)
    k = split(qkv.sliced(alongAxis: 2, e..<2 * e), tk)
    v = split(qkv.sliced(alongAxis: 2, 2 * e..<3 * e), tk)
  } else {
    (q, k, v) = (split(project(query, 0), tq), split(project(key, 1), tk), split(project(value, 2), tk))
  }
  if let (store, layer) = cache {
    if let old = store.entries[layer] {
      k = Tensor.concatenated([old.key, k], alongAxis: 2)
      v = Tensor.concatenated([old.value, v], alongAxis: 2)
    }
    store.entries[layer] = (k.detached(), v.detached())
  }
  let y = Tensor.scaledDotProductAttention(query: q, key: k, value: v, causal: causal, mask: mask)
  return Tensor.linear(y.permuted([0, 2, 1, 3]).reshaped(to: [b, tq, e]), weight: outWeight, bias: outBias)
}

/// Multi-head attention (PyTorch's `nn.MultiheadAttention` with `batch_first=True`): inputs
/// `[batch, T, E]`, `heads` heads of `E / heads` features, q/k/v projections packed in one
/// `[3E, E]` matrix.
///
/// Parameters, with PyTorch's names: `in_proj_weight` `[3E, E]`, `in_proj_bias` `[3E]`,
/// `out_proj.weight` `[E, E]`, `out_proj.bias` `[E]`. As a `Layer` it is self-attention
/// (`causal` as set at init).
public final class MultiheadAttention<Scalar: TensorScalar>: Layer {
  public let embedDimension: Int
  public let heads: Int
  /// Whether self-attention through `callAsFunction(_:)` is causal.
  public let causal: Bool
  public let inProjectionWeight: Tensor<Scalar>
  public let inProjectionBias: Tensor<Scalar>?
  public let outProjection: Linear<Scalar>
  public var isTraining = true

  /// PyTorch's initialisation: Xavier-uniform `in_proj_weight`, zero biases, `out_proj` a
  /// `Linear` with zeroed bias.
  public init(embedDimension: Int, heads: Int, bias: Bool = true, causal: Bool = false) {
    require(heads > 0 && embedDimension > 0 && embedDimension % heads == 0, "MultiheadAttention",
            "embedDimension \(embedDimension) must be a positive multiple of heads \(heads)")
    (self.embedDimension, self.heads, self.causal) = (embedDimension, heads, causal)
    let bound = Scalar((6.0 / Double(4 * embedDimension)).squareRoot())
    inProjectionWeight = Tensor.randomUniform([3 * embedDimension, embedDimension], low: -bound, high: bound,
                                              requiresGrad: true)
    inProjectionBias = bias ? Tensor.zeros([3 * embedDimension], requiresGrad: true) : nil
    outProjection = Linear(embedDimension, embedDimension, bias: bias)
    outProjection.bias?.update { s in for i in s.indices { s[i] = 0 } }
  }

  /// Attention of `query` on `key`/`value` (all `[batch, T, E]`); `mask` is nonzero where a
  /// query may attend, broadcasting to `[batch, heads, Tq, Tk]`.
  public func callAsFunction(query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>,
                             causal: Bool = false, mask: Tensor<Scalar>? = nil) -> Tensor<Scalar> {
    multiheadAttention(query: query, key: key, value: value, heads: heads, inWeight: inProjectionWeight,
                       inBias: inProjectionBias, outWeight: outProjection.weight, outBias: outProjection.bias,
                       causal: causal, mask: mask, layerName: "MultiheadAttention")
  }

  /// Self-attention of `input` `[batch, T, E]`.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    callAsFunction(query: input, key: input, value: input, causal: causal)
  }

  public var namedParameters: [(String, Tensor<Scalar>)] {
    [("in_proj_weight", inProjectionWeight)] + (inProjectionBias.map { [("in_proj_bias", $0)] } ?? [])
      + outProjection.namedParameters.map { ("out_proj.\($0.0)", $0.1) }
  }
  public var summaryName: String { "MultiheadAttention(\(embedDimension), heads: \(heads))" }
}
