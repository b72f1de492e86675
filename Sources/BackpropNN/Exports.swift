// BackpropNN: layers, losses, initializers, model files. Re-exports the core so that
// `import BackpropNN` is enough to build and train a network.
@_exported import BackpropCore
