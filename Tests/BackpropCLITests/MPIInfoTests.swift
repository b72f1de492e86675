import Backprop
import Foundation
import Testing

/// `mpirun` on PATH, or nil (then the MPI tests are skipped, saying why).
func mpirunPath() -> String? {
  let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
  return paths.map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs `mpirun -np ranks [mpirunOptions…] backprop arguments…` (or another `executable`) on
/// loopback; returns status and output. `mpirunOptions`: e.g. `["-x", "NAME=value"]` to set a
/// variable on every rank.
func runUnderMPI(ranks: Int, mpirunOptions: [String] = [], executable: URL? = nil, _ arguments: [String]) throws
  -> (status: Int32, stdout: String, stderr: String)
{
  try runProcess(URL(fileURLWithPath: mpirunPath()!),
                 ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", "--mca", "btl", "self,tcp"] + mpirunOptions
                   + [try (executable ?? backpropBinary()).path] + arguments)
}

/// `backprop info`'s MPI lines, alone and under `mpirun -np 2`.
@Suite(.serialized) struct MPIInfoTests {
  @Test func infoSaysWhetherMPIWasFound() throws {
    let r = try runBackprop(["info"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "control characters in: \(r.stdout.debugDescription)")
    if Communicator.isAvailable {
      #expect(r.stdout.contains("MPI: Open MPI"), "\(r.stdout)")
      #expect(r.stdout.contains("MPI rank: 0 of 1"), "\(r.stdout)")
    } else {
      #expect(r.stdout.contains("MPI: not available (\(Communicator.unavailableReason))"), "\(r.stdout)")
    }
  }

  @Test(.enabled(if: mpirunPath() != nil && Communicator.isAvailable,
                 "needs Open MPI's mpirun and libmpi.so.40 (apt-get install openmpi-bin libopenmpi3)"))
  func infoUnderMPIRunReportsEveryRank() throws {
    let r = try runUnderMPI(ranks: 2, ["info"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("MPI rank: 0 of 2"), "\(r.stdout)")
    #expect(r.stdout.contains("MPI rank: 1 of 2"), "\(r.stdout)")
  }
}

/// The Communicator itself inside one process (size 1 without mpirun is not initialised here:
/// Open MPI's singleton start needs no launcher, but the collective semantics are checked in
/// `infoUnderMPIRunReportsEveryRank` and the distributed training tests).
@Suite struct CommunicatorAvailabilityTests {
  @Test func unavailableReasonIsEmptyExactlyWhenAvailable() {
    #expect(Communicator.isAvailable == Communicator.unavailableReason.isEmpty)
    if Communicator.isAvailable { #expect(Communicator.libraryVersion?.hasPrefix("Open MPI") == true) }
  }
}
