import Backprop
import Foundation

/// Checks, before any training, that the file an option names can be written: its directory
/// exists and is writable, and the path is not a directory, device, FIFO or socket (a symbolic
/// link is checked at its target, which is what `AtomicFile` replaces).
/// - Throws: `CommandError` naming the option, the path and the problem, in one line.
func checkOutputPath(_ path: String, option: String) throws {
  guard !path.isEmpty else { throw CommandError("\(option): the path is empty") }
  let url = try AtomicFile.resolvingSymlinks(URL(fileURLWithPath: path))
  var info = stat()
  if stat(url.path, &info) == 0 {
    let kind = info.st_mode & S_IFMT
    guard kind == S_IFREG else {
      throw CommandError("\(option) \(path): \(kind == S_IFDIR ? "is a directory" : "is not a regular file"); refusing to replace it")
    }
  }
  let directory = url.deletingLastPathComponent().path
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
    throw CommandError("\(option) \(path): the directory \(directory) does not exist")
  }
  guard access(directory, W_OK) == 0 else { throw CommandError("\(option) \(path): the directory \(directory) is not writable") }
}
