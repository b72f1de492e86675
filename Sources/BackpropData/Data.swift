@_exported import BackpropCore
// Data's readers throw `DataError` (defined with the file helpers in BackpropIO).
@_exported import BackpropIO
