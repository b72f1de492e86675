// Memory shared by the ranks of one host, allocated by Open MPI (MPI-3 MPI_Win_allocate_shared),
// for DataParallel's reduction on one host: ranks read each other's gradients directly instead of
// sending them through the shared-memory transport. The symbols come from the library
// mpi_loader.c loaded (bp_mpi_symbol).
#include "CBackpropKernels.h"
#include <stdatomic.h>
#include <stddef.h>

typedef void *handle_t;
typedef int (*split_type_fn)(handle_t, int, int, handle_t, handle_t *);
typedef int (*comm_size_fn)(handle_t, int *);
typedef int (*comm_free_fn)(handle_t *);
typedef int (*allocate_shared_fn)(ptrdiff_t, int, handle_t, handle_t, void *, handle_t *);
typedef int (*shared_query_fn)(handle_t, int, ptrdiff_t *, int *, void *);
typedef int (*comm_rank_fn)(handle_t, int *);

int bp_mpi_shared_segments(long bytes, void **bases, int ranks) {
  split_type_fn split = (split_type_fn)bp_mpi_symbol("MPI_Comm_split_type");
  comm_size_fn size = (comm_size_fn)bp_mpi_symbol("MPI_Comm_size");
  comm_rank_fn rank = (comm_rank_fn)bp_mpi_symbol("MPI_Comm_rank");
  comm_free_fn free_comm = (comm_free_fn)bp_mpi_symbol("MPI_Comm_free");
  allocate_shared_fn allocate = (allocate_shared_fn)bp_mpi_symbol("MPI_Win_allocate_shared");
  shared_query_fn query = (shared_query_fn)bp_mpi_symbol("MPI_Win_shared_query");
  handle_t world = bp_mpi_symbol("ompi_mpi_comm_world"), info_null = bp_mpi_symbol("ompi_mpi_info_null");
  if (!split || !size || !rank || !free_comm || !allocate || !query || !world || !info_null) return 1;
  int me = 0, code;
  if ((code = rank(world, &me)) != 0) return -code;
  handle_t node = NULL;
  // MPI_COMM_TYPE_SHARED is 0 in Open MPI's mpi.h; key = world rank keeps the ranks' order.
  if ((code = split(world, 0, me, info_null, &node)) != 0) return -code;
  int local = 0;
  if ((code = size(node, &local)) != 0) { free_comm(&node); return -code; }
  // Every rank sees the same answer (all on one host, or not), so all return here together.
  if (local != ranks) { free_comm(&node); return 1; }
  void *mine = NULL;
  handle_t window = NULL;
  if ((code = allocate((ptrdiff_t)bytes, 1, info_null, node, &mine, &window)) != 0) { free_comm(&node); return -code; }
  for (int r = 0; r < ranks; r++) {
    ptrdiff_t segment = 0;
    int unit = 0;
    if ((code = query(window, r, &segment, &unit, &bases[r])) != 0) return -code;
  }
  // The window (and `node`, which it uses) lives until MPI_Finalize: freeing it is collective,
  // and a group is made once per run. A process that makes many groups keeps each one's.
  return 0;
}

long long bp_atomic_load_acquire(const long long *flag) {
  return atomic_load_explicit((const _Atomic long long *)flag, memory_order_acquire);
}

void bp_atomic_store_release(long long *flag, long long value) {
  atomic_store_explicit((_Atomic long long *)flag, value, memory_order_release);
}
