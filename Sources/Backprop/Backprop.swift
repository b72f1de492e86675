// Umbrella module: `import Backprop` gives tensors, autodiff, layers, optimizers, data and visualisation.
@_exported import BackpropCore
@_exported import BackpropNN
@_exported import BackpropOptim
@_exported import BackpropData
@_exported import BackpropViz
