@_exported import BackpropCore
