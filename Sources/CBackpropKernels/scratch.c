// Per-thread packing buffers, so a GEMM never mallocs in its hot path.
#include "gemm_internal.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { void *pointer[2]; size_t capacity[2]; } scratch_buffers;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void destroy(void *p) {
  scratch_buffers *s = p;
  free(s->pointer[0]);
  free(s->pointer[1]);
  free(s);
}
static void make_key(void) { pthread_key_create(&key, destroy); }

void *bp_scratch(int slot, size_t bytes) {
  pthread_once(&key_once, make_key);
  scratch_buffers *s = pthread_getspecific(key);
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s || pthread_setspecific(key, s) != 0) goto fail;
  }
  if (s->capacity[slot] < bytes) {
    size_t capacity = (bytes + 4095) & ~(size_t)4095;
    free(s->pointer[slot]);
    s->pointer[slot] = aligned_alloc(64, capacity);
    s->capacity[slot] = s->pointer[slot] ? capacity : 0;
    if (!s->pointer[slot]) goto fail;
  }
  return s->pointer[slot];
fail:
  fprintf(stderr, "BackpropKernels: out of memory for a %zu-byte GEMM packing buffer\n", bytes);
  abort();
}
