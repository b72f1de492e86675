// Pooling layers (PyTorch's nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.MaxPool1d,
// nn.AvgPool1d): no parameters, the same in training and evaluation.

/// Max pooling over (N, C, H, W) windows (PyTorch's `nn.MaxPool2d`; stride defaults to the kernel).
public final class MaxPool2d<Scalar: TensorScalar>: ParameterlessLayer {
  public let kernelSize: Size2D
  public let stride: Size2D
  public let padding: Size2D
  public init(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0) {
    (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
  }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.maxPool2d(kernel: kernelSize, stride: stride, padding: padding)
  }
  public var summaryName: String { "MaxPool2d(\(kernelSize)\(stride == kernelSize ? "" : ", stride \(stride)"))" }
  public var spec: LayerSpec? { .maxPool2d(kernel: kernelSize, stride: stride, padding: padding) }
}

/// Average pooling over (N, C, H, W) windows (PyTorch's `nn.AvgPool2d`).
public final class AvgPool2d<Scalar: TensorScalar>: ParameterlessLayer {
  public let kernelSize: Size2D
  public let stride: Size2D
  public let padding: Size2D
  public let countIncludePad: Bool
  public init(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, countIncludePad: Bool = true) {
    (self.kernelSize, self.stride, self.padding, self.countIncludePad) = (kernelSize, stride ?? kernelSize, padding, countIncludePad)
  }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.avgPool2d(kernel: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad)
  }
  public var summaryName: String { "AvgPool2d(\(kernelSize)\(stride == kernelSize ? "" : ", stride \(stride)"))" }
  public var spec: LayerSpec? { .avgPool2d(kernel: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad) }
}

/// Max pooling over (N, C, L) windows (PyTorch's `nn.MaxPool1d`).
public final class MaxPool1d<Scalar: TensorScalar>: ParameterlessLayer {
  public let kernelSize: Int
  public let stride: Int
  public let padding: Int
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
    (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
  }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.maxPool1d(kernel: kernelSize, stride: stride, padding: padding)
  }
  public var summaryName: String { "MaxPool1d(\(kernelSize))" }
}

/// Average pooling over (N, C, L) windows (PyTorch's `nn.AvgPool1d`).
public final class AvgPool1d<Scalar: TensorScalar>: ParameterlessLayer {
  public let kernelSize: Int
  public let stride: Int
  public let padding: Int
  public let countIncludePad: Bool
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
    (self.kernelSize, self.stride, self.padding, self.countIncludePad) = (kernelSize, stride ?? kernelSize, padding, countIncludePad)
  }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.avgPool1d(kernel: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad)
  }
  public var summaryName: String { "AvgPool1d(\(kernelSize))" }
}

/// Adaptive average pooling to a fixed output size (PyTorch's `nn.AdaptiveAvgPool2d`).
public final class AdaptiveAvgPool2d<Scalar: TensorScalar>: ParameterlessLayer {
  public let outputSize: Size2D
  public init(outputSize: Size2D) { self.outputSize = outputSize }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.adaptiveAvgPool2d(outputSize: outputSize) }
  public var summaryName: String { "AdaptiveAvgPool2d(\(outputSize))" }
  public var spec: LayerSpec? { .adaptiveAvgPool2d(outputSize) }
}
