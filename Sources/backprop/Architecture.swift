import Backprop
import Foundation

/// The `--arch` help text shared by `train`, `eval` and `predict`.
let architectureHelp = """
  The network: cnn, lenet5, mlp (the default: --layers), or layers written out, e.g. \
  'conv(32,3,pad=1) batchnorm relu maxpool(2) flatten linear(128) relu linear(10)'. Tokens: \
  conv(out,k[,stride=s][,pad=p|same][,dilation=d][,groups=g]), maxpool(k[,stride]), avgpool(k[,stride]), \
  batchnorm, layernorm, dropout(p), flatten, linear(out), relu, tanh, sigmoid, gelu, silu, elu, leakyrelu. \
  Input channels and sizes follow from the data (digits: 1x8x8 images, fashion-mnist: 1x28x28, CSV: flat features).
  """

/// Whether `--arch` names the MLP of `--layers` (or is absent).
func isMLP(_ arch: String?) -> Bool { arch == nil || arch!.trimmingCharacters(in: .whitespaces).lowercased() == "mlp" }

/// The layers `arch` (a preset or grammar text) describes for samples of `inputShape`.
/// - Parameter outputCount: when given, the network must end in exactly this many outputs.
/// - Throws: `CommandError`, one line naming the token and the shapes.
func architectureSpecs(_ arch: String, inputShape: [Int], outputCount: Int?, dataName: String) throws -> [LayerSpec] {
  let specs: [LayerSpec]
  do { specs = try ArchitectureGrammar.parse(arch, inputShape: inputShape) } catch let TensorError.invalidArgument(_, message) {
    throw CommandError("--arch: \(message) (\(dataName) samples have shape \(inputShape))")
  }
  if let outputCount {
    var shape = inputShape
    for spec in specs { shape = try spec.outputShape(for: shape) }
    guard shape == [outputCount] else {
      throw CommandError("--arch: the network ends in shape \(shape) per sample but \(dataName) needs [\(outputCount)] (end with linear(\(outputCount)))")
    }
  }
  return specs
}

/// Throws unless `arch`, when given, describes the model a file records (`recorded`, for
/// samples of `inputShape`): an `--arch` that contradicts the file is a mistake, not an override.
func checkArchitecture(_ arch: String?, agreesWith recorded: [LayerSpec], inputShape: [Int], file: String) throws {
  guard let arch else { return }
  let recordedText = LayerSpec.architectureString(recorded)
  if isMLP(arch) {
    let mlpLayers = recorded.allSatisfy {
      switch $0 {
      case .linear, .relu, .leakyRelu, .sigmoid, .tanh, .gelu, .silu, .elu, .dropout: return true
      default: return false
      }
    }
    guard mlpLayers else { throw CommandError("--arch mlp contradicts \(file), which records \(recordedText); leave --arch out") }
    return
  }
  let given: [LayerSpec]
  do { given = try ArchitectureGrammar.parse(arch, inputShape: inputShape) } catch let TensorError.invalidArgument(_, message) {
    throw CommandError("--arch: \(message) (\(file) takes samples of shape \(inputShape))")
  }
  guard given == recorded else {
    throw CommandError("--arch '\(arch)' (\(LayerSpec.architectureString(given))) contradicts \(file), which records \(recordedText); leave --arch out")
  }
}

/// Loads a model file for `eval` or `predict`: our files with their recorded architecture
/// (checked against `arch`), PyTorch files with `arch`'s layers for samples of `inputShape()`
/// (called only then: it may read data), or as an MLP.
/// - Throws: `CommandError` or `DataError`, one line naming the file or option.
func loadSavedModel(_ path: String, arch: String?, activation: String, inputShape: () throws -> [Int]) throws -> SavedModel {
  guard let act = LayerSpec(activationName: activation) else { throw CommandError("--activation: unknown '\(activation)'") }
  let file = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path))
  if file.metadata["architecture"] != nil {
    let saved = try SavedModel.load(file, path: path, activation: act)
    if let arch, let recorded = saved.model.architecture {
      try checkArchitecture(arch, agreesWith: recorded, inputShape: try saved.model.inputShape ?? inputShape(), file: path)
    }
    return saved
  }
  if isMLP(arch) {
    do { return try SavedModel.load(file, path: path, activation: act) } catch let error as DataError {
      // Most often a PyTorch CNN's state_dict: say what to pass.
      throw CommandError("\(error); a file without 'architecture' metadata that is not an MLP needs --arch")
    }
  }
  let shape = try inputShape()
  let specs = try architectureSpecs(arch!, inputShape: shape, outputCount: nil, dataName: "the input")
  return try SavedModel.load(file, path: path, activation: act, architecture: specs, inputShape: shape)
}
