import CBackpropKernels

/// `Float` multi-head self-attention from the packed projection `qkv` `[B, T, 3E]` to the merged
/// heads `[B, T, E]` and its backward (the kernels of `packedSelfAttention`): head-size dot
/// products and row updates 8 lanes at a time with AVX2/FMA when the head size is a multiple
/// of 8, portable loops otherwise.
public enum PackedAttention {
  /// `out` `[B, T, E]` (every element written); `probabilities` `[B, heads, T, T]` receives P
  /// when given (zeros above the causal diagonal).
  public static func forward(qkv: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                             probabilities: UnsafeMutablePointer<Float>?, batch: Int, steps: Int, embed: Int, heads: Int,
                             causal: Bool, isa: KernelISA = Gemm.kernelISA) {
    guard batch > 0, steps > 0, embed > 0 else { return }
    var scratch = [Float](repeating: 0, count: steps)
    scratch.withUnsafeMutableBufferPointer { s in
      bp_f32_packed_attention(qkv, out, probabilities, s.baseAddress!, batch, steps, embed, heads, causal ? 1 : 0, isa.cValue)
    }
  }

  /// `dqkv` `[B, T, 3E]` (every element written) from the output gradient `g` `[B, T, E]`,
  /// `qkv` and the forward's P.
  public static func backward(gradient g: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probabilities: UnsafePointer<Float>,
                              into dqkv: UnsafeMutablePointer<Float>, batch: Int, steps: Int, embed: Int, heads: Int,
                              causal: Bool, isa: KernelISA = Gemm.kernelISA) {
    guard batch > 0, steps > 0, embed > 0 else { return }
    var scratch = [Float](repeating: 0, count: steps)
    scratch.withUnsafeMutableBufferPointer { s in
      bp_f32_packed_attention_backward(g, qkv, probabilities, dqkv, s.baseAddress!, batch, steps, embed, heads,
                                       causal ? 1 : 0, isa.cValue)
    }
  }
}
