// The C allocator's policy for the short-lived buffers of a training step (see AllocatorPolicy.swift).
#include "CBackpropKernels.h"
#include <stdlib.h>  // defines __GLIBC__ on glibc (tested below)
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int bp_keep_freed_buffers(long mmap_threshold, long trim_threshold) {
#if defined(__GLIBC__)
  int mmap_ok = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
  int trim_ok = mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
  return mmap_ok == 1 && trim_ok == 1;
#else
  (void)mmap_threshold;
  (void)trim_threshold;
  return 0;
#endif
}
