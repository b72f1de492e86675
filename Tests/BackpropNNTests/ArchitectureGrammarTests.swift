import BackpropNN
import Testing
import _BackpropTestSupport

/// The `--arch` grammar: presets, inferred shapes, and one thrown line per kind of mistake;
/// `Sequential.checkInput` follows shapes through conv/pool/norm layers.
@Suite struct ArchitectureGrammarTests {
  @Test func cnnPresetInfersChannelsAndTheLinearWidth() throws {
    let specs = try ArchitectureGrammar.parse("cnn", inputShape: [1, 28, 28])
    #expect(LayerSpec.architectureString(specs) == "Conv2d(1,32,3x3,stride=1x1,padding=1x1,dilation=1x1,groups=1),ReLU,"
      + "MaxPool2d(2x2,stride=2x2,padding=0x0),Conv2d(32,64,3x3,stride=1x1,padding=1x1,dilation=1x1,groups=1),ReLU,"
      + "MaxPool2d(2x2,stride=2x2,padding=0x0),Flatten,Linear(3136,128),ReLU,Linear(128,10)")
    let digits = try ArchitectureGrammar.parse("cnn", inputShape: [1, 8, 8])
    #expect(digits[7] == .linear(inputSize: 256, outputSize: 128, bias: true))
    let model = try Sequential<Float>(architecture: specs, seed: 1)
    try model.checkInput(shape: [1, 28, 28])
    #expect(try model.summary(inputShape: [1, 28, 28]).rows.last?.outputShape == [1, 10])
    #expect(throws: TensorError.self) { try model.checkInput(shape: [1, 8, 8]) }
  }

  @Test func lenet5AndEveryTokenParse() throws {
    let lenet = try ArchitectureGrammar.parse("lenet5", inputShape: [1, 28, 28])
    #expect(lenet.contains(.linear(inputSize: 400, outputSize: 120, bias: true)))
    let specs = try ArchitectureGrammar.parse(
      "conv(8,3,stride=2,pad=same,dilation=1,groups=1) batchnorm gelu avgpool(2,1) conv(8,3,pad=1,groups=4) layernorm silu "
        + "maxpool(2) flatten dropout(0.25) linear(16) batchnorm elu leakyrelu tanh sigmoid relu linear(3)", inputShape: [2, 9, 9])
    #expect(specs.count == 18)
    #expect(specs[1] == .batchNorm(features: 8, rank: 2, eps: 1e-5, momentum: 0.1))
    #expect(specs[5] == .layerNorm(shape: [8, 8, 8], eps: 1e-5))
    #expect(specs[10] == .linear(inputSize: 128, outputSize: 16, bias: true))
    #expect(specs[11] == .batchNorm(features: 16, rank: 1, eps: 1e-5, momentum: 0.1))
    try Sequential<Double>(architecture: specs, seed: 0).checkInput(shape: [2, 9, 9])
  }

  @Test(arguments: [
    ("conv(8,3) bogus", "'bogus' is not a layer"),
    ("conv(8)", "'conv(8)' takes 2 arguments, got 1"),
    ("conv(8,3,size=2)", "'conv(8,3,size=2)' has unknown option 'size'"),
    ("conv(8,0)", "'conv(8,0)' needs a positive integer kernel size, got 0"),
    ("conv(8,3,pad=-1)", "needs a padding ≥ 0 or 'same', got -1"),
    ("conv(8,3,groups=3)", "'conv(8,3,groups=3)' for input shape [2, 9, 9]"),
    ("conv(8,11)", "'conv(8,11)' does not fit input shape [2, 9, 9]"),
    ("flatten maxpool(2)", "'maxpool(2)' does not fit input shape [162]"),
    ("linear(10)", "'linear(10)' needs a flat input, got shape [2, 9, 9] (add flatten)"),
    ("flatten dropout(x)", "'dropout(x)' needs a probability, got x"),
    ("flatten dropout(1.5)", "Dropout probability must be in [0, 1)"),
    ("conv(8,3", "has no closing parenthesis"),
    ("  ", "is empty"),
  ])
  func eachMistakeIsOneLineNamingTheTokenAndShapes(text: String, expected: String) {
    do {
      _ = try ArchitectureGrammar.parse(text, inputShape: [2, 9, 9])
      Issue.record("'\(text)' parsed")
    } catch {
      let message = "\(error)"
      #expect(message.contains(expected), "\(message)")
      #expect(!message.contains("\n"))
    }
  }
}
