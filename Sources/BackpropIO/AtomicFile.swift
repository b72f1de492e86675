import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Crash-safe file replacement: after `write(_:to:)` returns, the file holds either its old
/// contents or all of the new ones, even if the process or the machine dies part-way.
///
/// The steps: write a temporary file in the same directory (a rename is only atomic within one
/// file system), `fsync` it, `rename` it over the destination, then `fsync` the directory so the
/// rename itself is durable. Used for safetensors files and training checkpoints.
///
/// A symbolic link at the destination is written through (its target is replaced, atomically,
/// and the link kept); a destination that exists but is not a regular file (a device, a FIFO,
/// a directory) is refused.
///
/// The temporary file is named `.<name>.tmp-<pid>-XXXXXX`. A writer killed part-way (SIGKILL, power
/// loss) leaves its temporary file behind; the next successful write of the same file removes such
/// leftovers whose process no longer exists, and leaves those of live processes alone.
public enum AtomicFile {
  /// Atomically replaces (or creates) the file at `url` with `data`.
  ///
  /// A new file gets mode 0644; an existing file keeps its permission bits. On failure the
  /// destination is untouched and the temporary file is removed.
  ///
  /// - Throws: `DataError.ioFailed` naming the file and the failing step.
  public static func write(_ data: Data, to url: URL) throws {
    try data.withUnsafeBytes { try write(bytes: $0, to: url) }
  }

  /// Atomically replaces (or creates) the file at `url` with `bytes`; see `write(_:to:)`.
  public static func write(_ bytes: [UInt8], to url: URL) throws {
    try bytes.withUnsafeBytes { try write(bytes: $0, to: url) }
  }

  private static func write(bytes: UnsafeRawBufferPointer, to given: URL) throws {
    // A symlink is written through: its target is replaced atomically, the link stays.
    let url = try resolvingSymlinks(given)
    let path = url.path
    let directory = url.deletingLastPathComponent().path
    func fail(_ operation: String, _ code: Int32 = errno) -> DataError {
      .ioFailed(path: given.path, operation: operation, reason: systemErrorMessage(code))
    }
    var target = stat()
    if stat(path, &target) == 0 && (target.st_mode & S_IFMT) != S_IFREG {
      // rename(2) would turn a device, FIFO or socket into a regular file (or fail on a directory).
      throw DataError.ioFailed(path: given.path, operation: "replace", reason: "it is not a regular file")
    }

    // mkstemp needs a writable, NUL-terminated template it fills in place.
    let prefix = temporaryPrefix(for: url.lastPathComponent)
    var template = Array((directory + "/" + prefix + "\(getpid())-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw fail("create a temporary file in \(directory) for") }
    let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    var committed = false
    defer {
      if !committed { unlink(temporaryPath) }
    }
    var closed = false
    defer { if !closed { close(fd) } }

    var existing = stat()
    let mode: mode_t = stat(path, &existing) == 0 ? existing.st_mode & 0o7777 : 0o644
    guard fchmod(fd, mode) == 0 else { throw fail("set permissions on") }

    var offset = 0
    while offset < bytes.count {
      let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        throw fail("write")
      }
      offset += n
    }
    guard fsync(fd) == 0 else { throw fail("fsync") }
    closed = true
    guard close(fd) == 0 else { throw fail("close") }
    guard rename(temporaryPath, path) == 0 else { throw fail("rename onto") }
    committed = true

    // Make the rename durable: fsync the directory entry. Some file systems refuse to fsync a
    // directory (EINVAL); the data is already safe there, so only real I/O errors count.
    let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dirFD >= 0 else { throw fail("open the directory of") }
    defer { close(dirFD) }
    if fsync(dirFD) != 0 && errno != EINVAL && errno != EROFS { throw fail("fsync the directory of") }
    removeStaleTemporaries(in: directory.isEmpty ? "." : directory, prefix: prefix)
  }

  /// `url` with symbolic links in its last component followed (up to 40 hops, like the
  /// kernel); a dangling link resolves to the file it names.
  public static func resolvingSymlinks(_ url: URL) throws -> URL {
    var current = url
    for _ in 0..<40 {
      var info = stat()
      guard lstat(current.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return current }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let n = readlink(current.path, &buffer, buffer.count - 1)
      guard n > 0 else { return current }
      let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current = target.hasPrefix("/")
        ? URL(fileURLWithPath: target) : current.deletingLastPathComponent().appendingPathComponent(target)
    }
    throw DataError.ioFailed(path: url.path, operation: "resolve", reason: "too many levels of symbolic links")
  }

  /// `.<name>.tmp-`: what every temporary file for `name` starts with.
  static func temporaryPrefix(for name: String) -> String { "." + name + ".tmp-" }

  /// Removes `<prefix><pid>-XXXXXX` files left by writers that no longer run (best effort: a
  /// file that cannot be removed is left; this process's own and live processes' are kept).
  static func removeStaleTemporaries(in directory: String, prefix: String) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
    let me = getpid()
    for name in names where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count)
      guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0, pid != me else { continue }
      if kill(pid, 0) == -1 && errno == ESRCH { unlink(directory + "/" + name) }
    }
  }
}

/// POSIX `write(2)` (the name `write` is taken inside `AtomicFile`).
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
  #elseif canImport(Musl)
    return Musl.write(fd, buffer, count)
  #else
    return Darwin.write(fd, buffer, count)
  #endif
}
