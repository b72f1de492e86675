import BackpropIO
import BackpropNN
import Foundation
import Testing
import _BackpropTestSupport

/// `Sequential.inputShape`: flat rows reach a CNN as images (a view, no other change), the shape
/// is saved as `input_shape` metadata and read back, and a damaged or unfitting one is refused.
@Suite struct InputShapeTests {
  static func cnn() throws -> Sequential<Float> {
    let specs = try ArchitectureGrammar.parse("conv(3,3,pad=1) batchnorm relu maxpool(2) flatten linear(4)", inputShape: [1, 6, 6])
    let model = try Sequential<Float>(architecture: specs, seed: 4)
    model.inputShape = [1, 6, 6]
    model.eval()
    return model
  }

  @Test func flatRowsAreViewedAsImages() throws {
    let model = try Self.cnn()
    var g = SeededGenerator(seed: 1)
    let images = Tensor<Float>.randomNormal([5, 1, 6, 6], using: &g)
    let flat = Tensor<Float>(shape: [5, 36], scalars: images.scalars)
    #expect(model(flat).scalars == model(images).scalars)
    #expect(model(flat).shape == [5, 4])
    #expect(try model.checkInput(shape: [36]) == [4], "flat [36] stands for [1, 6, 6]")
    #expect(try model.summary(inputShape: [36]).inputShape == [1, 1, 6, 6])
    #expect(throws: TensorError.self) { try model.checkInput(shape: [35]) }
  }

  @Test func inputShapeIsSavedAndLoaded() throws {
    let model = try Self.cnn()
    let file = try ModelFile.encode(model)
    #expect(file.metadata[ModelFile.inputShapeKey] == "1,6,6")
    let loaded: Sequential<Float> = try ModelFile.load(file)
    #expect(loaded.inputShape == [1, 6, 6])
    let mlp = try Sequential<Float>.mlp([3, 2], seed: 0)
    #expect(try ModelFile.encode(mlp).metadata[ModelFile.inputShapeKey] == nil, "an MLP records none")
  }

  @Test(arguments: [("1,x,6", "is not a list of positive sizes"), ("1,0,6", "is not a list of positive sizes"),
                    ("1,8,8", "input shape [1, 8, 8] does not fit the layers"), ("2,6,6", "takes 1 channels")])
  func damagedOrUnfittingInputShapeIsRefused(_ text: String, _ expected: String) throws {
    var file = try ModelFile.encode(try Self.cnn())
    file.metadata[ModelFile.inputShapeKey] = text
    do {
      let _: Sequential<Float> = try ModelFile.load(file, path: "m.safetensors")
      Issue.record("input_shape '\(text)' was accepted")
    } catch {
      #expect("\(error)".contains("m.safetensors") && "\(error)".contains(expected), "\(error)")
    }
  }
}
