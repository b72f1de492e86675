// Umbrella module: `import Backprop` gives tensors, autodiff, layers, optimizers, data, visualisation
// and the kernel settings (`Gemm.setThreadCount`, `Gemm.setBackend`, `KernelInfo`).
@_exported import BackpropCore
@_exported import BackpropNN
@_exported import BackpropOptim
@_exported import BackpropData
@_exported import BackpropViz
@_exported import BackpropKernels
