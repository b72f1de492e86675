import BackpropIO
import BackpropNN
import Foundation
import Testing
import _BackpropTestSupport

/// CNN checkpoints: the architecture text of every new layer, weights and batch-norm buffers
/// (PyTorch's `state_dict` names) survive a save and load, and a conv weight of the wrong rank
/// is refused with the tensor's name and both shapes.
@Suite struct ConvolutionCheckpointTests {
  static func model() -> Sequential<Float> {
    var g = SeededGenerator(seed: 9)
    return Sequential<Float>(
      Conv2d(1, 4, kernelSize: 3, padding: 1, using: &g), BatchNorm2d(4), ReLU(), MaxPool2d(kernelSize: 2),
      Conv2d(4, 4, kernelSize: [3, 1], padding: .same, dilation: 1, groups: 2, bias: false, using: &g),
      GroupNorm(2, 4), SiLU(), AvgPool2d(kernelSize: 2, stride: 1, padding: 1, countIncludePad: false),
      AdaptiveAvgPool2d(outputSize: [2, 3]), Dropout2d(probability: 0.25, seed: 1), ELU(alpha: 0.5), Flatten(),
      LayerNorm([24]), Linear(24, 8, using: &g), BatchNorm1d(8, momentum: 0.2), Linear(8, 3, using: &g))
  }

  @Test func cnnRoundTripKeepsArchitectureWeightsAndRunningStatistics() throws {
    let model = Self.model()
    var g = SeededGenerator(seed: 2)
    _ = model(Tensor<Float>.randomNormal([4, 1, 8, 8], using: &g))  // training: moves the running statistics
    let architecture = LayerSpec.architectureString(try #require(model.architecture))
    #expect(architecture.contains("Conv2d(4,4,3x1,stride=1x1,padding=same,dilation=1x1,groups=2,nobias)"), "\(architecture)")
    #expect(try LayerSpec.parseArchitecture(architecture) == model.architecture!)
    let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cnn-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try model.save(to: url)
    let loaded = try Sequential<Float>(contentsOf: url)
    #expect(loaded.namedParameters.map(\.0) == model.namedParameters.map(\.0))
    #expect(loaded.parameters.map(\.scalars) == model.parameters.map(\.scalars))
    #expect(loaded.namedBuffers.map(\.0) == ["1.running_mean", "1.running_var", "1.num_batches_tracked",
                                              "14.running_mean", "14.running_var", "14.num_batches_tracked"])
    #expect(loaded.namedBuffers.map(\.1.scalars) == model.namedBuffers.map(\.1.scalars))
    #expect(model.namedBuffers[0].1.scalars != [0, 0, 0, 0], "the saved statistics are not the defaults")
    #expect(loaded.generatorStates == model.generatorStates && model.generatorStates[9] != nil, "Dropout2d's generator state")
    model.eval(); loaded.eval()
    let x = Tensor<Float>.randomNormal([2, 1, 8, 8], using: &g)
    #expect(loaded(x).scalars == model(x).scalars, "identical predictions in evaluation mode")
  }

  @Test func convWeightOfTheWrongRankIsRefusedWithItsNameAndShapes() throws {
    var file = try ModelFile.encode(Self.model())
    file.tensors["0.weight"] = try SafeTensor(floats: [Float](repeating: 0, count: 36), shape: [4, 9])
    do {
      let _: Sequential<Float> = try ModelFile.load(file)
      Issue.record("a rank-2 conv weight was accepted")
    } catch {
      let text = "\(error)"
      #expect(text.contains("0.weight") && text.contains("[4, 1, 3, 3]") && text.contains("[4, 9]"), "\(text)")
    }
  }

  struct TorchPredictions: Decodable {
    var input_shape: [Int]
    var input: [Float]
    var output: [Float]
  }

  /// A `state_dict` saved by PyTorch (Tools/make_cnn_state_dict.py), with and without
  /// BatchNorm, loads with the architecture given and predicts as PyTorch does in eval mode.
  @Test(arguments: [("torch_cnn_bn", "Conv2d(1,4,3x3,padding=1x1),BatchNorm2d(4),ReLU,MaxPool2d(2x2),Flatten,Linear(64,10)"),
                    ("torch_cnn", "Conv2d(1,4,3x3,padding=1x1),ReLU,MaxPool2d(2x2),Flatten,Linear(64,10)")])
  func pytorchStateDictLoadsAndPredictsIdentically(_ name: String, _ architecture: String) throws {
    let expected: TorchPredictions = try loadFixture("\(name).json")
    let specs = try LayerSpec.parseArchitecture(architecture)
    let (model, file): (Sequential<Float>, SafeTensorsFile) =
      try ModelFile.load(contentsOf: fixtureURL("\(name).safetensors"), architecture: specs)
    #expect(file.metadata["architecture"] == nil, "a plain PyTorch state_dict")
    if name == "torch_cnn_bn" {
      #expect(model.namedBuffers.first { $0.0 == "1.num_batches_tracked" }?.1.item == 3)
      #expect(model.namedBuffers.first { $0.0 == "1.running_var" }?.1.scalars != [1, 1, 1, 1])
    }
    model.eval()
    let y = model(Tensor<Float>(shape: expected.input_shape, scalars: expected.input))
    // Float32 both sides, different summation orders: a few ulps of the logits.
    expectClose(y.scalars.map(Double.init), expected.output.map(Double.init),
                .init(rtol: 1e-5, atol: 1e-6, rationale: "float32, other summation order"), "\(name) predictions")
  }
}
