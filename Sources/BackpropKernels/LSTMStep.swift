import CBackpropKernels

/// The elementwise part of one LSTM step on `Float` rows, vectorised (lstm.c): what
/// `lstmSequence` runs between its per-step GEMMs. Gates i, f, g, o, each `hidden` wide per row.
public enum LSTMStep {
  /// In place: `gates` `[batch, 4·hidden]` (G_t = P_t + h_{t−1}·W_hhᵀ) becomes the activations
  /// σ(i), σ(f), tanh(g), σ(o); writes h_t = o·tanh(c_t) and c_t = f·c_{t−1} + i·g into the rows of
  /// `out` (h then c, row stride `outStride`) and tanh(c_t) into `tau` `[batch, hidden]`.
  /// `cPrevious` rows (stride `cPreviousStride`) must not overlap the c_t being written.
  public static func forward(gates: UnsafeMutablePointer<Float>, cPrevious: UnsafePointer<Float>, cPreviousStride: Int,
                             tau: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, outStride: Int,
                             batch: Int, hidden: Int, isa: KernelISA = Gemm.kernelISA) {
    bp_lstm_forward_stepf(gates, cPrevious, cPreviousStride, tau, out, outStride, batch, hidden, isa.cValue)
  }

  /// ∂G_t into `dGates` `[batch, 4·hidden]` from the saved `activations` and `tau`, c_{t−1}, the
  /// output cotangent rows `delta` (δh then δc, stride `deltaStride`) and the carries: `dh`
  /// (∂h_t from step t+1) is read, `dc` (∂c_t) is read and replaced by ∂c_{t−1}.
  public static func backward(activations: UnsafePointer<Float>, tau: UnsafePointer<Float>, cPrevious: UnsafePointer<Float>,
                              cPreviousStride: Int, delta: UnsafePointer<Float>, deltaStride: Int, dh: UnsafePointer<Float>,
                              dc: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>, batch: Int, hidden: Int,
                              isa: KernelISA = Gemm.kernelISA) {
    bp_lstm_backward_stepf(activations, tau, cPrevious, cPreviousStride, delta, deltaStride, dh, dc, dGates, batch, hidden,
                           isa.cValue)
  }
}
