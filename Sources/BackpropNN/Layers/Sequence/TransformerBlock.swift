import BackpropCore

/// A GPT-2-style pre-norm transformer block on `[batch, T, E]`:
///
///     x = x + attn(ln_1(x))            causal self-attention, `heads` heads
///     x = x + mlp(ln_2(x))             mlp = c_proj(gelu(c_fc(x))), hidden 4E
///
/// Parameters use nanoGPT's names: `ln_1.{weight,bias}`, `attn.c_attn.{weight,bias}` `[3E, E]`
/// (q, k, v packed), `attn.c_proj.*`, `ln_2.*`, `mlp.c_fc.*` `[4E, E]`, `mlp.c_proj.*` `[E, 4E]`.
/// GELU is the exact (erf) one, as nanoGPT's `nn.GELU()`.
public final class TransformerBlock<Scalar: TensorScalar>: Layer {
  public let embedDimension: Int
  public let heads: Int
  public let ln1: LayerNorm<Scalar>
  /// q, k, v projection (`attn.c_attn`).
  public let attentionProjection: Linear<Scalar>
  /// Output projection of the attention (`attn.c_proj`).
  public let attentionOutput: Linear<Scalar>
  public let ln2: LayerNorm<Scalar>
  /// `mlp.c_fc`, E → 4E.
  public let mlpIn: Linear<Scalar>
  /// `mlp.c_proj`, 4E → E.
  public let mlpOut: Linear<Scalar>
  public var isTraining = true

  /// Weights as `initialization` says. nanoGPT's (the default): weights `N(0, 0.02²)`, the two
  /// output projections `N(0, (0.02/√(2·layers))²)`, biases zero, LayerNorms 1 and 0. PyTorch's:
  /// `attn.c_attn` Xavier-uniform with zero bias and `attn.c_proj` `U(±1/√E)` with zero bias
  /// (`nn.MultiheadAttention`), the MLP `nn.Linear`'s `U(±1/√fan_in)` for weight and bias.
  public init(embedDimension e: Int, heads: Int, layers: Int = 1, initialization: GPTInitialization = .nanoGPT) {
    require(heads > 0 && e > 0 && e % heads == 0, "TransformerBlock",
            "embedDimension \(e) must be a positive multiple of heads \(heads)")
    (embedDimension, self.heads) = (e, heads)
    func linear(_ i: Int, _ o: Int, std: Double) -> Linear<Scalar> {
      let l = Linear<Scalar>(i, o)
      let w = Tensor<Scalar>.randomNormal([o, i], standardDeviation: Scalar(std))
      l.weight.update { $0 = w.scalars }
      l.bias?.update { s in for k in s.indices { s[k] = 0 } }
      return l
    }
    func zeroBias(_ l: Linear<Scalar>) -> Linear<Scalar> {
      l.bias?.update { s in for k in s.indices { s[k] = 0 } }
      return l
    }
    ln1 = LayerNorm([e])
    ln2 = LayerNorm([e])
    switch initialization {
    case .nanoGPT:
      let projStd = 0.02 / Double(2 * Swift.max(layers, 1)).squareRoot()
      attentionProjection = linear(e, 3 * e, std: 0.02)
      attentionOutput = linear(e, e, std: projStd)
      mlpIn = linear(e, 4 * e, std: 0.02)
      mlpOut = linear(4 * e, e, std: projStd)
    case .pytorch:
      attentionProjection = zeroBias(Linear(e, 3 * e, weightInitializer: .xavierUniform()))
      attentionOutput = zeroBias(Linear(e, e))
      mlpIn = Linear(e, 4 * e)
      mlpOut = Linear(4 * e, e)
    }
  }

  /// The block applied to `input` `[batch, T, E]`; with `cache`, `input` holds only the new
  /// positions and attends to the cached ones too (entry `layer`).
  public func callAsFunction(_ input: Tensor<Scalar>, cache: KeyValueCache<Scalar>?, layer: Int) -> Tensor<Scalar> {
    let h = ln1(input)
    let a = multiheadAttention(
      query: h, key: h, value: h, heads: heads, inWeight: attentionProjection.weight,
      inBias: attentionProjection.bias, outWeight: attentionOutput.weight, outBias: attentionOutput.bias,
      causal: true, mask: nil, cache: cache.map { ($0, layer) }, layerName: "TransformerBlock")
    let x = input + a
    return x + mlpOut(mlpIn(ln2(x)).gelu())
  }

  /// The block on `[batch, T, E]`, causal, without a cache.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { callAsFunction(input, cache: nil, layer: 0) }

  public var namedParameters: [(String, Tensor<Scalar>)] {
    let parts: [(String, any Layer<Scalar>)] = [
      ("ln_1", ln1), ("attn.c_attn", attentionProjection), ("attn.c_proj", attentionOutput),
      ("ln_2", ln2), ("mlp.c_fc", mlpIn), ("mlp.c_proj", mlpOut),
    ]
    return parts.flatMap { prefix, layer in layer.namedParameters.map { ("\(prefix).\($0.0)", $0.1) } }
  }
  public var summaryName: String { "TransformerBlock(\(embedDimension), heads: \(heads))" }
}
