// Umbrella module: `import Backprop` gives tensors, autodiff, files, data, layers, optimizers,
// visualisation, data parallelism, training, the worked examples, and the compute settings (threads, GEMM backend).
@_exported import BackpropCore
@_exported import BackpropIO
@_exported import BackpropData
@_exported import BackpropNN
@_exported import BackpropOptim
@_exported import BackpropViz
@_exported import BackpropTraining
@_exported import BackpropExamples
@_exported import BackpropKernels
@_exported import BackpropDistributed
