// Finds OpenBLAS or BLIS at run time with dlopen, so nothing BLAS-related is needed at build time.
#include "CBackpropKernels.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

// CBLAS ABI (Debian: 32-bit blasint). Enums: RowMajor 101, NoTrans 111, Trans 112.
typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                               const float *, int, float, float *, int);
typedef void (*cblas_dgemm_fn)(int, int, int, int, int, int, double, const double *, int,
                               const double *, int, double, double *, int);
typedef void (*openblas_threads_fn)(int);
typedef void (*blis_threads_fn)(int64_t);  // BLIS dim_t is 64-bit

typedef struct {
  const char *names[3];
  pthread_once_t once;
  cblas_sgemm_fn sgemm;
  cblas_dgemm_fn dgemm;
  openblas_threads_fn set_threads_openblas;
  blis_threads_fn set_threads_blis;
  atomic_int threads_set;  // last value handed to the library's thread setter
} blas_library;

static blas_library libraries[3] = {
  [BP_BACKEND_OPENBLAS] = {.names = {"libopenblas.so.0", "libopenblas.so"}, .once = PTHREAD_ONCE_INIT},
  [BP_BACKEND_BLIS] = {.names = {"libblis.so.4", "libblis.so"}, .once = PTHREAD_ONCE_INIT},
};

static void load(blas_library *lib) {
  // OpenBLAS's idle worker threads poll (sched_yield) for 2^28 cycles (~0.1 s) after each call
  // before they sleep; between our GEMMs that polling takes a core from our own threads (W6 at
  // 2 threads: 14% slower). 2^20 cycles (~0.3 ms) still covers back-to-back calls. OpenBLAS reads
  // the variable when it loads; one set by the user wins.
  if (lib == &libraries[BP_BACKEND_OPENBLAS]) setenv("OPENBLAS_THREAD_TIMEOUT", "20", 0);
  for (int i = 0; i < 3 && lib->names[i]; ++i) {
    void *handle = dlopen(lib->names[i], RTLD_NOW | RTLD_LOCAL);
    if (!handle) continue;
    cblas_sgemm_fn s = (cblas_sgemm_fn)dlsym(handle, "cblas_sgemm");
    cblas_dgemm_fn d = (cblas_dgemm_fn)dlsym(handle, "cblas_dgemm");
    if (!s || !d) { dlclose(handle); continue; }
    lib->set_threads_openblas = (openblas_threads_fn)dlsym(handle, "openblas_set_num_threads");
    lib->set_threads_blis = (blis_threads_fn)dlsym(handle, "bli_thread_set_num_threads");
    lib->sgemm = s;
    lib->dgemm = d;
    return;  // the handle stays open for the life of the process
  }
}
static void load_openblas(void) { load(&libraries[BP_BACKEND_OPENBLAS]); }
static void load_blis(void) { load(&libraries[BP_BACKEND_BLIS]); }

static blas_library *library(int backend) {
  if (backend == BP_BACKEND_OPENBLAS) {
    pthread_once(&libraries[backend].once, load_openblas);
  } else if (backend == BP_BACKEND_BLIS) {
    pthread_once(&libraries[backend].once, load_blis);
  } else {
    return NULL;
  }
  return libraries[backend].sgemm ? &libraries[backend] : NULL;
}

int bp_blas_available(int backend) { return library(backend) != NULL; }

static void honour_thread_count(blas_library *lib, int threads) {
  if (threads < 1) threads = 1;
  if (atomic_exchange(&lib->threads_set, threads) == threads) return;
  if (lib->set_threads_openblas) lib->set_threads_openblas(threads);
  else if (lib->set_threads_blis) lib->set_threads_blis(threads);
}

void bp_blas_sgemm(int backend, int threads, int transA, int transB, int m, int n, int k,
                   float alpha, const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc) {
  blas_library *lib = library(backend);
  if (!lib) {  // not loadable: the own kernel gives the same result
    bp_sgemm_own(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    return;
  }
  honour_thread_count(lib, threads);
  lib->sgemm(101, transA ? 112 : 111, transB ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void bp_blas_dgemm(int backend, int threads, int transA, int transB, int m, int n, int k,
                   double alpha, const double *a, int lda, const double *b, int ldb,
                   double beta, double *c, int ldc) {
  blas_library *lib = library(backend);
  if (!lib) {  // not loadable: the own kernel gives the same result
    bp_dgemm_own(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    return;
  }
  honour_thread_count(lib, threads);
  lib->dgemm(101, transA ? 112 : 111, transB ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
