import BackpropIO
import BackpropNN
import Foundation
import Testing
import _BackpropTestSupport

/// Model files: our round trip, and a file written by PyTorch's `safetensors.torch.save_file`.
@Suite struct CheckpointTests {
  @Test func roundTripKeepsWeightsArchitectureAndDropoutState() throws {
    let model = try Sequential<Float>.mlp([5, 7, 3], activation: .gelu, dropout: 0.3, seed: 8)
    _ = model(Tensor<Float>.ones([2, 5]))  // advance the dropout generator
    let url = temporaryFile("model.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try ModelFile.save(model, to: url, metadata: ["note": "hello"])
    let (loaded, file): (Sequential<Float>, SafeTensorsFile) = try ModelFile.load(contentsOf: url)
    #expect(file.metadata["note"] == "hello")
    #expect(file.metadata["architecture"] == "Linear(5,7),GELU,Dropout(0.3),Linear(7,3)")
    #expect(loaded.namedParameters.map(\.0) == model.namedParameters.map(\.0))
    #expect(loaded.parameters.map(\.scalars) == model.parameters.map(\.scalars))
    #expect(loaded.generatorStates == model.generatorStates)
    let x = Tensor<Float>.ones([2, 5])
    #expect(loaded(x).scalars == model(x).scalars, "same dropout mask next")
  }

  @Test func doubleModelsRoundTripExactly() throws {
    let model = try Sequential<Double>.mlp([3, 4, 2], seed: 1)
    let file = try ModelFile.encode(model)
    #expect(file.tensors["0.weight"]?.dtype == .float64)
    let loaded: Sequential<Double> = try ModelFile.load(SafeTensorsFile(decoding: file.encoded()))
    #expect(loaded.parameters.map(\.scalars) == model.parameters.map(\.scalars))
  }

  @Test func pytorchFileGivesPyTorchPredictions() throws {
    struct Expected: Decodable { var x: [Double]; var shape: [Int]; var output: [Double]; var output_shape: [Int] }
    let expected: Expected = try loadFixture("torch_mlp.json")
    let (model, file): (Sequential<Float>, SafeTensorsFile) = try ModelFile.load(contentsOf: fixtureURL("torch_mlp.safetensors"))
    #expect(file.metadata["architecture"] == nil, "written by PyTorch: architecture inferred")
    #expect(LayerSpec.architectureString(model.architecture!) == "Linear(4,8),ReLU,Linear(8,3)")
    let y = model(Tensor<Float>(shape: expected.shape, scalars: expected.x.map(Float.init)))
    #expect(y.shape == expected.output_shape)
    expectClose(y.scalars.map(Double.init), expected.output,
                Tolerance(rtol: 1e-5, atol: 1e-6, rationale: "float32 both sides, GEMM summation order differs"))
  }

  @Test func mismatchedFilesAreRejected() throws {
    var file = try ModelFile.encode(try Sequential<Float>.mlp([3, 4, 2], seed: 1))
    file.metadata["architecture"] = "Linear(3,5),ReLU,Linear(5,2)"
    #expect(throws: TensorError.self) { let _: Sequential<Float> = try ModelFile.load(file) }
    #expect(throws: TensorError.self) { let _: Sequential<Float> = try ModelFile.load(SafeTensorsFile()) }
    #expect(throws: DataError.self) {
      let _: (Sequential<Float>, SafeTensorsFile) = try ModelFile.load(contentsOf: URL(fileURLWithPath: "/nonexistent/m.safetensors"))
    }
  }
}
