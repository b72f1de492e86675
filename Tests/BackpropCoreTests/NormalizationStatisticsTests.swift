import BackpropCore
import Testing
import _BackpropTestSupport

// Batch norm's running statistics (the part the op table cannot see: it checks the output
// only): PyTorch's update uses momentum and the *unbiased* batch variance, evaluation uses them.

@Suite struct BatchNormStatisticsTests {
  @Test func trainingUpdatesRunningStatisticsWithUnbiasedVariance() {
    // Channel 0 holds 1, 2, 3, 6 (mean 3, biased variance 3.5, unbiased 14/3); channel 1 holds
    // 0, 0, 4, 4 (mean 2, biased 4, unbiased 16/3). Shape (N 2, C 2, L 2).
    let x = T(shape: [2, 2, 2], scalars: [1, 2, 0, 0, 3, 6, 4, 4])
    let result = T.batchNorm(x, runningMean: T([1, -1]), runningVariance: T([2, 1]), training: true, momentum: 0.25)
    expectClose(result.runningMean!.scalars, [0.75 * 1 + 0.25 * 3, 0.75 * -1 + 0.25 * 2], .doubleReference, "running mean")
    expectClose(result.runningVariance!.scalars, [0.75 * 2 + 0.25 * 14 / 3, 0.75 * 1 + 0.25 * 16 / 3], .doubleReference,
                "running variance (unbiased)")
    // The output is normalised with the biased variance.
    expectClose([result.output.scalars[0]], [(1 - 3) / (3.5 + 1e-5).squareRoot()], .doubleReference, "output")
    #expect(!result.runningMean!.requiresGrad && !result.runningVariance!.requiresGrad)
  }

  @Test func evaluationUsesRunningStatisticsAndLeavesThemAlone() {
    let x = T(shape: [2, 2], scalars: [1, 2, 3, 4])
    let result = T.batchNorm(x, runningMean: T([1, 2]), runningVariance: T([4, 1]), weight: T([2, 1]), bias: T([0, 1]),
                             training: false)
    expectClose(result.output.scalars, [0, 1, 2 * 2 / (4 + 1e-5).squareRoot(), 1 + 2 / (1 + 1e-5).squareRoot()],
                .doubleReference, "evaluation output")
    #expect(result.runningMean!.scalars == [1, 2] && result.runningVariance!.scalars == [4, 1])
  }

  @Test func convolutionOfALargeBatchMatchesSampleBySample() {
    // The forward kernel works one sample at a time (im2col tiles); a batch equals its samples.
    let x = T.seeded([5, 3, 6, 6], seed: 11), w = T.seeded([4, 3, 3, 3], seed: 12)
    let batch = T.conv2d(x, weight: w, stride: 2, padding: 1)
    for n in 0..<5 {
      let one = T.conv2d(x.sliced(n..<(n + 1)), weight: w, stride: 2, padding: 1)
      expectClose(batch.sliced(n..<(n + 1)).scalars, one.scalars, .sameMathsDifferentOrder, "sample \(n)")
    }
  }
}
