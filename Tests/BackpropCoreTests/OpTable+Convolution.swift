import BackpropCore
import RealModule

// Op-table rows for convolution, pooling, the newer activations and normalisation. Each
// non-elementwise row's reference is a loop in NaiveReferences+Convolution.swift.

extension OpTable {
  static let convolution: [OpRow] = [
    .structural("conv2d(_:weight:bias:stride:padding:dilation:groups:)", "conv2d [2,2,4,4]⋆[3,2,3,3] padding 1, bias",
                [[2, 2, 4, 4], [3, 2, 3, 3], [3]], { .conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1) },
                naive: { Naive.conv2d($0[0], $0[1], $0[2], .init(pad: (1, 1, 1, 1))) }),
    .structural("conv2d(_:weight:bias:stride:padding:dilation:groups:)", "conv2d stride 2, dilation [2,1], padding [1,2], groups 2",
                [[2, 4, 7, 6], [6, 2, 3, 2]],
                { .conv2d($0[0], weight: $0[1], stride: 2, padding: [1, 2], dilation: [2, 1], groups: 2) },
                naive: { Naive.conv2d($0[0], $0[1], nil, .init(stride: (2, 2), pad: (1, 1, 2, 2), dilation: (2, 1), groups: 2)) }),
    .structural("conv2d(_:weight:bias:stride:padding:dilation:groups:)", "conv2d depthwise, stride [1,2], bias",
                [[1, 3, 5, 6], [3, 1, 3, 3], [3]],
                { .conv2d($0[0], weight: $0[1], bias: $0[2], stride: [1, 2], padding: 1, groups: 3) },
                naive: { Naive.conv2d($0[0], $0[1], $0[2], .init(stride: (1, 2), pad: (1, 1, 1, 1), groups: 3)) }),
    .structural("conv2d(_:weight:bias:stride:padding:dilation:groups:)", "conv2d padding same, even kernel, dilation [1,2]",
                [[2, 2, 4, 6], [3, 2, 2, 3]], { .conv2d($0[0], weight: $0[1], padding: .same, dilation: [1, 2]) },
                naive: { Naive.conv2d($0[0], $0[1], nil, .init(pad: (0, 1, 2, 2), dilation: (1, 2))) }),
    .structural("conv2d(_:weight:bias:stride:padding:dilation:groups:)", "conv2d 1×1 kernel, stride 2",
                [[2, 3, 4, 5], [2, 3, 1, 1]], { .conv2d($0[0], weight: $0[1], stride: 2) },
                naive: { Naive.conv2d($0[0], $0[1], nil, .init(stride: (2, 2))) }),
    .structural("conv1d(_:weight:bias:stride:padding:dilation:groups:)", "conv1d stride 2, padding 1, groups 2, bias",
                [[2, 4, 7], [6, 2, 3], [6]],
                { .conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, groups: 2) },
                naive: { conv1dReference($0[0], $0[1], $0[2], .init(stride: (1, 2), pad: (0, 0, 1, 1), groups: 2)) }),
    .structural("conv1d(_:weight:bias:stride:padding:dilation:groups:)", "conv1d padding same, dilation 2",
                [[1, 2, 6], [2, 2, 3]], { .conv1d($0[0], weight: $0[1], padding: .same, dilation: 2) },
                naive: { conv1dReference($0[0], $0[1], nil, .init(pad: (0, 0, 2, 2), dilation: (1, 2))) }),
    .structural("convTranspose2d(_:weight:bias:stride:padding:outputPadding:dilation:groups:)",
                "convTranspose2d stride 2, padding 1, outputPadding 1, bias", [[2, 3, 3, 3], [3, 2, 3, 3], [2]],
                { .convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1) },
                naive: { Naive.convTranspose2d($0[0], $0[1], $0[2], stride: (2, 2), pad: (1, 1), outputPadding: (1, 1),
                                               dilation: (1, 1), groups: 1) }),
    .structural("convTranspose2d(_:weight:bias:stride:padding:outputPadding:dilation:groups:)",
                "convTranspose2d groups 2, dilation 2, stride [1,2], outputPadding [0,1]", [[1, 4, 3, 2], [4, 1, 2, 2]],
                { .convTranspose2d($0[0], weight: $0[1], stride: [1, 2], outputPadding: [0, 1], dilation: 2, groups: 2) },
                naive: { Naive.convTranspose2d($0[0], $0[1], nil, stride: (1, 2), pad: (0, 0), outputPadding: (0, 1),
                                               dilation: (2, 2), groups: 2) }),
    .structural("conv2dWeightGradient(input:gradient:kernel:stride:padding:dilation:groups:)",
                "conv2dWeightGradient kernel [3,2], stride [1,2], padding [0,1], groups 2", [[2, 4, 5, 5], [2, 6, 3, 3]],
                { .conv2dWeightGradient(input: $0[0], gradient: $0[1], kernel: [3, 2], stride: [1, 2], padding: [0, 1], groups: 2) },
                naive: { Naive.conv2dWeightGradient($0[0], $0[1], kernel: (3, 2), .init(stride: (1, 2), pad: (0, 0, 1, 1), groups: 2)) }),
  ]

  /// The input whose window maxima place `maxPool2dGradient`'s values (distinct: no ties).
  static let maxPoolPositions = T.seeded([1, 2, 5, 5], .distinct, seed: 11)

  static let pooling: [OpRow] = [
    .structural("maxPool2d(kernel:stride:padding:dilation:)", "maxPool2d 2×2", [[2, 2, 4, 4]], domains: [.distinct],
                { $0[0].maxPool2d(kernel: 2) },
                naive: { Naive.pool2d($0[0], kernel: (2, 2), stride: (2, 2), pad: (0, 0), max: true) }),
    .structural("maxPool2d(kernel:stride:padding:dilation:)", "maxPool2d kernel 3, stride 2, padding 1 (overlapping)",
                [[1, 2, 5, 5]], domains: [.distinct], { $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) },
                naive: { Naive.pool2d($0[0], kernel: (3, 3), stride: (2, 2), pad: (1, 1), max: true) }),
    .structural("maxPool2d(kernel:stride:padding:dilation:)", "maxPool2d kernel [2,3], stride 1, dilation 2", [[1, 2, 6, 7]],
                domains: [.distinct], { $0[0].maxPool2d(kernel: [2, 3], stride: 1, dilation: 2) },
                naive: { inputs in
                  let (x, out) = (inputs[0], [1, 2, 4, 3])
                  return Naive.tensor(out, Naive.indices(out).map { i in
                    var m = -Double.infinity
                    for ki in 0..<2 { for kj in 0..<3 { m = Swift.max(m, x.scalars[Naive.flat([i[0], i[1], i[2] + 2 * ki, i[3] + 2 * kj], x.shape)]) } }
                    return m
                  })
                }),
    // Differentiable in the gradient only (the input just picks the positions): the input is a constant here.
    .structural("maxPool2dGradient(_:input:kernel:stride:padding:dilation:)", "maxPool2dGradient kernel 3, stride 2, padding 1 (overlapping)",
                [[1, 2, 3, 3]], { .maxPool2dGradient($0[0], input: maxPoolPositions, kernel: 3, stride: 2, padding: 1) },
                naive: { Naive.maxPool2dGradient($0[0], maxPoolPositions, kernel: (3, 3), stride: (2, 2), pad: (1, 1)) }),
    .structural("maxPool1d(kernel:stride:padding:dilation:)", "maxPool1d kernel 2, stride 1", [[2, 2, 5]], domains: [.distinct],
                { $0[0].maxPool1d(kernel: 2, stride: 1) },
                naive: { pool1dReference($0[0]) { Naive.pool2d($0, kernel: (1, 2), stride: (1, 1), pad: (0, 0), max: true) } }),
    .structural("avgPool2d(kernel:stride:padding:countIncludePad:)", "avgPool2d 2×2", [[2, 2, 4, 4]],
                { $0[0].avgPool2d(kernel: 2) },
                naive: { Naive.pool2d($0[0], kernel: (2, 2), stride: (2, 2), pad: (0, 0), max: false) }),
    .structural("avgPool2d(kernel:stride:padding:countIncludePad:)", "avgPool2d kernel 3, stride 2, padding 1, padding excluded",
                [[1, 2, 5, 6]], { $0[0].avgPool2d(kernel: 3, stride: 2, padding: 1, countIncludePad: false) },
                naive: { Naive.pool2d($0[0], kernel: (3, 3), stride: (2, 2), pad: (1, 1), max: false, countIncludePad: false) }),
    .structural("avgPool2d(kernel:stride:padding:countIncludePad:)", "avgPool2d kernel [2,3], stride 1, padding 1, padding counted",
                [[1, 1, 4, 5]], { $0[0].avgPool2d(kernel: [2, 3], stride: 1, padding: 1) },
                naive: { Naive.pool2d($0[0], kernel: (2, 3), stride: (1, 1), pad: (1, 1), max: false) }),
    .structural("avgPool1d(kernel:stride:padding:countIncludePad:)", "avgPool1d kernel 3, stride 2, padding 1, excluded",
                [[2, 2, 7]], { $0[0].avgPool1d(kernel: 3, stride: 2, padding: 1, countIncludePad: false) },
                naive: { pool1dReference($0[0]) {
                  Naive.pool2d($0, kernel: (1, 3), stride: (1, 2), pad: (0, 1), max: false, countIncludePad: false) } }),
    .structural("adaptiveAvgPool2d(outputSize:)", "adaptiveAvgPool2d 5×7 → 3×2 (overlapping windows)", [[2, 2, 5, 7]],
                { $0[0].adaptiveAvgPool2d(outputSize: [3, 2]) }, naive: { Naive.adaptiveAvgPool2d($0[0], 3, 2) }),
    .structural("adaptiveAvgPool2d(outputSize:)", "adaptiveAvgPool2d global (to 1×1)", [[2, 3, 3, 3]],
                { $0[0].adaptiveAvgPool2d(outputSize: 1) }, naive: { Naive.adaptiveAvgPool2d($0[0], 1, 1) }),
    .structural("folded2d(height:width:kernel:stride:padding:dilation:)", "folded2d kernel 2, stride 1 → 4×4",
                [[2, 2, 2, 3, 3]], { $0[0].folded2d(height: 4, width: 4, kernel: 2) },
                naive: { inputs in
                  let x = inputs[0]
                  var out = [Double](repeating: 0, count: 2 * 4 * 4)
                  for i in Naive.indices(x.shape) {
                    out[Naive.flat([i[0], i[1] + i[3], i[2] + i[4]], [2, 4, 4])] += x.scalars[Naive.flat(i, x.shape)]
                  }
                  return Naive.tensor([2, 4, 4], out)
                }),
  ]

  static let newActivations: [OpRow] = [
    .unary("silu()", on: .uniform(-5, 5), { $0.silu() }, { $0.silu() }, { $0 / (1 + Double.exp(-$0)) }),
    .unary("elu(alpha:)", on: .awayFromZero, { $0.elu(alpha: 1.5) }, { $0.elu(alpha: 1.5) },
           { $0 > 0 ? $0 : 1.5 * (Double.exp($0) - 1) }),
    .unary("gelu(approximate:)", on: .uniform(-4, 4), name: "gelu tanh approximation", { $0.gelu(approximate: .tanh) },
           { $0.gelu(approximate: .tanh) },
           { 0.5 * $0 * (1 + Double.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }),
  ]

  static let normalization: [OpRow] = [
    .structural("batchNorm(_:runningMean:runningVariance:weight:bias:training:momentum:eps:)",
                "batchNorm training [4,3,2,2], affine", [[4, 3, 2, 2], [3], [3]],
                { .batchNorm($0[0], runningMean: nil, runningVariance: nil, weight: $0[1], bias: $0[2], training: true).output },
                naive: { x in Naive.normalize(x[0], eps: 1e-5, key: { $0[1] }, affine: { (x[1].scalars[$0[1]], x[2].scalars[$0[1]]) }) }),
    .structural("batchNorm(_:runningMean:runningVariance:weight:bias:training:momentum:eps:)",
                "batchNorm training [5,3] (BatchNorm1d)", [[5, 3]],
                { .batchNorm($0[0], runningMean: T.zeros([3]), runningVariance: T.ones([3]), training: true).output },
                naive: { x in Naive.normalize(x[0], eps: 1e-5, key: { $0[1] }, affine: { _ in (1, 0) }) }),
    .structural("batchNorm(_:runningMean:runningVariance:weight:bias:training:momentum:eps:)",
                "batchNorm evaluation with running statistics", [[2, 3, 2], [3], [3]],
                { .batchNorm($0[0], runningMean: T([0.5, -1, 0]), runningVariance: T([2, 0.5, 1]), weight: $0[1], bias: $0[2],
                             training: false).output },
                naive: { x in
                  let (mean, variance) = ([0.5, -1.0, 0.0], [2.0, 0.5, 1.0])
                  return Naive.tensor(x[0].shape, Naive.indices(x[0].shape).map { i in
                    let c = i[1]
                    return (x[0].scalars[Naive.flat(i, x[0].shape)] - mean[c]) / (variance[c] + 1e-5).squareRoot()
                      * x[1].scalars[c] + x[2].scalars[c]
                  })
                }),
    .structural("layerNorm(normalizedShape:weight:bias:eps:)", "layerNorm last 2 axes, affine", [[2, 3, 4], [3, 4], [3, 4]],
                { $0[0].layerNorm(normalizedShape: [3, 4], weight: $0[1], bias: $0[2]) },
                naive: { x in Naive.normalize(x[0], eps: 1e-5, key: { $0[0] }, affine: {
                  (x[1].scalars[$0[1] * 4 + $0[2]], x[2].scalars[$0[1] * 4 + $0[2]]) }) }),
    .structural("layerNorm(normalizedShape:weight:bias:eps:)", "layerNorm last axis", [[3, 5]],
                { $0[0].layerNorm(normalizedShape: [5]) },
                naive: { x in Naive.normalize(x[0], eps: 1e-5, key: { $0[0] }, affine: { _ in (1, 0) }) }),
    .structural("groupNorm(groups:weight:bias:eps:)", "groupNorm 2 groups of [2,4,3], affine", [[2, 4, 3], [4], [4]],
                { $0[0].groupNorm(groups: 2, weight: $0[1], bias: $0[2]) },
                naive: { x in Naive.normalize(x[0], eps: 1e-5, key: { $0[0] * 2 + $0[1] / 2 },
                                              affine: { (x[1].scalars[$0[1]], x[2].scalars[$0[1]]) }) }),
    .structural("normalized(keepingAxes:eps:)", "normalize keeping axes 1..<3 of [2,3,2,4] (outer and inner reduced)", [[2, 3, 2, 4]],
                { $0[0].normalized(keepingAxes: 1..<3, eps: 1e-3) },
                naive: { x in Naive.normalize(x[0], eps: 1e-3, key: { $0[1] * 2 + $0[2] }, affine: { _ in (1, 0) }) }),
  ]

  /// conv1d as the naive conv2d of height-1 images (the reshape is trivially right).
  static func conv1dReference(_ x: T, _ w: T, _ b: T?, _ g: Naive.Conv) -> T {
    let x4 = Naive.tensor([x.shape[0], x.shape[1], 1, x.shape[2]], x.scalars)
    let w4 = Naive.tensor([w.shape[0], w.shape[1], 1, w.shape[2]], w.scalars)
    let y = Naive.conv2d(x4, w4, b, g)
    return Naive.tensor([y.shape[0], y.shape[1], y.shape[3]], y.scalars)
  }

  static func pool1dReference(_ x: T, _ pool: (T) -> T) -> T {
    let y = pool(Naive.tensor([x.shape[0], x.shape[1], 1, x.shape[2]], x.scalars))
    return Naive.tensor([y.shape[0], y.shape[1], y.shape[3]], y.scalars)
  }
}
