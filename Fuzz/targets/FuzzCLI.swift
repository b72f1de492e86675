// libFuzzer target: the command-line parser. The input is split on NUL and newline into argv
// (without the program name) and parsed with the real root command, `BackpropCommand`, exactly
// as `backprop` does before running, but nothing is run. Errors (unknown options, bad values,
// --help, --version) are fine; their messages are rendered too, as the tool would print them.
// Seeds in Fuzz/corpus/cli/; a dictionary of subcommand and option names in Fuzz/dict/cli.dict.
import ArgumentParser
import Glibc
@testable import backprop

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeBufferPointer(start: data, count: size)
  let args = bytes.split(omittingEmptySubsequences: false, whereSeparator: { $0 == 0 || $0 == 0x0A })
    .map { String(decoding: $0, as: UTF8.self) }
  let argv = args.count == 1 && args[0].isEmpty ? [] : args
  do {
    _ = try BackpropCommand.parseAsRoot(argv)
  } catch {
    if getenv("FUZZ_CLI_PARSE_ONLY") != nil { return 0 }
    _ = BackpropCommand.fullMessage(for: error)
    _ = BackpropCommand.exitCode(for: error)
  }
  return 0
}
