import BackpropKernels

/// The Float Adam/AdamW update of BackpropKernels' `OptimizerUpdates.adam` (AVX2, no FMA: the
/// scalar loop's rounding), passed through Core so that BackpropOptim depends on Core only.
package func adamUpdateFloat(theta: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                             v: UnsafeMutablePointer<Float>, count: Int, stepSize: Float, correction2: Float,
                             oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float, epsilon: Float, l2: Float, decay: Float) {
  OptimizerUpdates.adam(theta: theta, gradient: gradient, m: m, v: v, count: count, stepSize: stepSize, correction2: correction2,
                        oneMinusBeta1: oneMinusBeta1, beta2: beta2, oneMinusBeta2: oneMinusBeta2, epsilon: epsilon, l2: l2,
                        decay: decay)
}
