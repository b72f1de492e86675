import CBackpropKernels

/// Vectorised optimizer updates of `Float` parameters (the loops of `BackpropOptim`'s kernels).
public enum OptimizerUpdates {
  /// Adam/AdamW on `count` elements: t = θ·decay; g = ∇ (+ l2·t); m ← m + (1−β₁)(g − m);
  /// v ← β₂v + (1−β₂)g²; θ ← t − (stepSize·m) / (√v / correction2 + ε). Rounds exactly as the
  /// scalar loop (no fused multiply-add) at every `isa`.
  public static func adam(theta: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                          v: UnsafeMutablePointer<Float>, count: Int, stepSize: Float, correction2: Float,
                          oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float, epsilon: Float, l2: Float, decay: Float,
                          isa: KernelISA = Gemm.kernelISA) {
    guard count > 0 else { return }
    bp_f32_adam(theta, gradient, m, v, count, stepSize, correction2, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, l2, decay,
                isa.cValue)
  }
}
