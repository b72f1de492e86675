#ifndef CBACKPROP_KERNELS_H
#define CBACKPROP_KERNELS_H
#include <stddef.h>

/// Returns 1 when the CPU supports AVX2 and FMA.
int bp_cpu_has_avx2_fma(void);
/// Returns 1 when the CPU (and OS) support AVX-512F.
int bp_cpu_has_avx512f(void);

// MARK: - Run-time settings (atomics, so any thread may read or change them)

/// Backend override: -1 = automatic (environment / detection), else a `bp_backend` value.
int bp_backend_override(void);
/// Sets the backend override (-1 = automatic).
void bp_set_backend_override(int backend);
/// Sets this thread's overrides (-2 = not set; backend -1 = automatic, threads 0 = default, isa -1 = best).
void bp_set_local_overrides(int backend, int threads, int isa);
/// Reads this thread's overrides.
void bp_get_local_overrides(int *backend, int *threads, int *isa);
/// Thread-count override: 0 = automatic (BACKPROP_THREADS or the online CPU count).
int bp_thread_count_override(void);
/// Sets the thread-count override (0 = automatic).
void bp_set_thread_count_override(int threads);
/// Number of online CPUs (at least 1).
int bp_online_cpu_count(void);

/// Instruction sets of the own micro-kernels, in increasing order.
enum bp_isa { BP_ISA_PORTABLE = 0, BP_ISA_AVX2 = 1, BP_ISA_AVX512 = 2 };
/// The best `bp_isa` this CPU runs (AVX2 requires FMA too).
int bp_cpu_best_isa(void);
/// The `bp_isa` the own kernels use now: the override, else the best the CPU runs.
int bp_kernel_isa(void);
/// Forces an ISA (-1 = best available); returns 0 and changes nothing if the CPU lacks it.
int bp_set_kernel_isa(int isa);

// MARK: - Conversions

/// dst[i] = (float)src[i] / divisor for i in 0..<n, using the `bp_isa` `isa`, capped at the best
/// the CPU runs (a value below 0 means portable C). Same bits on every path: IEEE division is
/// correctly rounded at any vector width.
void bp_u8_to_f32_divided(const unsigned char *src, long n, float divisor, float *dst, int isa);
/// The rows `rows[0..<count]` (each `columns` bytes of `src`) converted the same way, one after
/// another into `dst`, prefetching the rows ahead (a batch of random rows of a data set).
void bp_u8_rows_to_f32_divided(const unsigned char *src, long columns, const long *rows, long count,
                               float divisor, float *dst, int isa);

// MARK: - Float arithmetic (arithmetic.c)

/// The four elementwise operations of `bp_f32_arithmetic`.
enum bp_arithmetic { BP_ARITH_ADD = 0, BP_ARITH_SUBTRACT = 1, BP_ARITH_MULTIPLY = 2, BP_ARITH_DIVIDE = 3 };
/// out[i] = a op b for i < n, where a is a[i] (or a[0] when mode == 1) and b is b[i] (or b[0]
/// when mode == 2); vector width from `isa` (capped at the CPU's best). Bit-identical to the
/// scalar loop at every width.
void bp_f32_arithmetic(int op, const float *a, const float *b, float *out, long n, int mode, int isa);
/// dst[i] = sources[0][i] + sources[1][i] + … + sources[count-1][i], added in that order at the
/// vector width `isa` allows (the same bits as the scalar loop); dst must not overlap a source.
void bp_f32_sum_in_order(float *dst, const float *const *sources, int count, long n, int isa);

// MARK: - 2×2, stride-2 max pooling of Float planes (pooling.c)

/// For each of `planes` planes of height × width: y (height/2 × width/2) holds, per 2×2 window,
/// h at the window's first maximum of x (PyTorch's rule: `v > max || isnan(v)` replaces it, in
/// scan order). h may equal x. Vector width from `isa` (capped at the CPU's best); exact.
void bp_f32_maxpool2x2(const float *h, const float *x, float *y, long planes, long height, long width, int isa);
/// The adjoint in h: z (shaped like x) is g at each window's maximum of x and 0 everywhere else
/// (every element of z is written).
void bp_f32_maxunpool2x2(const float *g, const float *x, float *z, long planes, long height, long width, int isa);

// MARK: - Implicit-GEMM Float convolution at stride 1 (conv_implicit.c)

/// The number of floats `bp_f32_conv_s1_pack` writes for m rows of k = channels·kh·kw.
long bp_f32_conv_s1_packed_count(long m, long k);
/// Packs the convolution's A (m × channels·kh·kw) into 8-row panels, zero-padded. flipped == 0:
/// A[r][(c,i,j)] = w[r][c][i][j] (w is m × channels × kh × kw, conv2d's weight); flipped == 1:
/// A[r][(c,i,j)] = w[c][r][kh−1−i][kw−1−j] (w is channels × m × kh × kw: the transposed
/// convolution's weight, so that its stride-1 adjoint is a convolution again).
void bp_f32_conv_s1_pack(const float *w, long m, long channels, long kh, long kw, int flipped, float *dst);
/// The bytes of per-thread scratch (`bp_scratch`, kept until the thread exits) that
/// `bp_f32_conv_s1` takes for this shape: mostly the kw shifted copies of one image.
long bp_f32_conv_s1_scratch_bytes(long m, long channels, long h, long w, long kh, long kw, long padH, long padW,
                                  long dilH, long dilW);
/// For each of `samples` images x (channels × h × w, consecutive): y (m × oh × ow) =
/// bias[r] (0 when bias is NULL) + Σ_{c,i,j} A[r][(c,i,j)] · x[c][oy − padH + i·dilH][ox − padW + j·dilW]
/// (0 outside the image), oh = h + 2·padH − dilH·(kh−1), ow likewise; every element of y is
/// written. A is `packed` from `bp_f32_conv_s1_pack`. Runs on the calling thread; vector width
/// from `isa` (capped at the CPU's best).
void bp_f32_conv_s1(const float *packed, long m, const float *x, long samples, long channels, long h, long w,
                    long kh, long kw, long padH, long padW, long dilH, long dilW, const float *bias, float *y,
                    int isa);

/// The weight gradient of the same convolution (conv_weight_gradient.c), summed over `samples`
/// images x (channels × h × w) and output gradients g (m × oh × ow), written (not added):
/// dw[r][(c,i,j)] = Σ_s Σ_{oy,ox} g[s][r][oy][ox] · x[s][c][oy − padH + i·dilH][ox − padW + j·dilW].
/// Runs on the calling thread; AVX-512 when `isa` allows, else portable loops.
void bp_f32_conv_s1_weight_gradient(const float *x, const float *g, long samples, long channels, long h, long w,
                                    long m, long kh, long kw, long padH, long padW, long dilH, long dilW,
                                    float *dw, int isa);
/// The bytes of per-thread scratch `bp_f32_conv_s1_weight_gradient` takes for this shape at `isa`
/// (capped at the CPU's best): one image's shifted copies, the transposed output gradient of one
/// sample and the m × k accumulator.
long bp_f32_conv_s1_weight_gradient_scratch_bytes(long m, long channels, long h, long w, long kh, long kw,
                                                  long padH, long padW, long dilH, long dilW, int isa);

// MARK: - Adam/AdamW update of Float parameters (optimizer.c)

/// For i < n: t = θ·decay; g = ∇ (+ l2·t); m ← m + (1−β₁)(g − m); v ← β₂v + (1−β₂)g²;
/// θ ← t − (stepSize·m) / (√v / correction2 + ε). AVX2 when `isa` allows; no FMA, so every
/// path rounds the same.
void bp_f32_adam(float *theta, const float *grad, float *m, float *v, long n, float step_size, float correction2,
                 float one_minus_beta1, float beta2, float one_minus_beta2, float eps, float l2, float decay, int isa);

// MARK: - Packed multi-head self-attention of Float (attention.c)

/// out [B, T, E] = per batch row and head softmax(q·kᵀ/√d, causal when set)·v, q/k/v read from
/// qkv [B, T, 3E] (head h at columns h·d…, d = E / heads); probs (nullable) receives P
/// [B, heads, T, T] (zeros above the causal diagonal); scratch holds T floats. AVX2/FMA when
/// `isa` allows and d is a multiple of 8, else portable loops.
void bp_f32_packed_attention(const float *qkv, float *out, float *probs, float *scratch, long batch, long t, long e,
                             long heads, int causal, int isa);
/// dqkv [B, T, 3E] (every element written) from the output gradient g [B, T, E], qkv and the
/// forward's P; scratch holds T floats.
void bp_f32_packed_attention_backward(const float *g, const float *qkv, const float *probs, float *dqkv, float *scratch,
                                      long batch, long t, long e, long heads, int causal, int isa);

// MARK: - im2col and col2im of Float images, stride 1 (im2col.c)

/// col[(c·kh + i)·kw + j][y·ow + x] (rows rowStride apart) = x[c][y − padH + i·dilH][x − padW + j·dilW],
/// or 0 outside the image, for `channels` planes of height × width. Exact at every `isa`.
void bp_f32_im2col_stride1(const float *x, long channels, long height, long width, long kh, long kw, long oh, long ow,
                           long padH, long padW, long dilH, long dilW, float *col, long rowStride, int isa);
/// The adjoint: adds every entry of col inside the image back to the pixel it was read from.
void bp_f32_col2im_add_stride1(const float *col, long channels, long height, long width, long kh, long kw, long oh,
                               long ow, long padH, long padW, long dilH, long dilW, long rowStride, float *x, int isa);

// MARK: - Vectorised float transcendentals (transcendental.c)

/// y[i] = e^x[i], ≤ 2 ulp, libm's behaviour at NaN/±∞/overflow/underflow; `isa` as above.
void bp_vexpf(const float *x, float *y, long n, int isa);
/// y[i] = tanh(x[i]), ≤ 2 ulp.
void bp_vtanhf(const float *x, float *y, long n, int isa);
/// y[i] = 1 / (1 + e^−x[i]) without overflow, ≤ 3 ulp.
void bp_vsigmoidf(const float *x, float *y, long n, int isa);
/// y[i] = erf(x[i]) (≤ 2 ulp).
void bp_verff(const float *x, float *y, long n, int isa);
/// y[i] = x[i]·Φ(x[i]), the exact GELU (Φ from erfc on the negative side: no cancellation).
void bp_vgeluf(const float *x, float *y, long n, int isa);
/// y[i] = Φ(x[i]) + x[i]·φ(x[i]), GELU's derivative.
void bp_vgelu_derivativef(const float *x, float *y, long n, int isa);

// MARK: - LSTM step (lstm.c)

/// One LSTM step forward in place: `gates` `[batch, 4·hidden]` holds G_t = P_t + h_{t−1}·W_hhᵀ
/// and becomes the activations (σ(i), σ(f), tanh(g), σ(o)); writes c_t = f·c_{t−1} + i·g and
/// h_t = o·tanh(c_t) into `out` rows (h then c, row stride `ld_out`) and tanh(c_t) into `tau`
/// `[batch, hidden]`. `c_prev` rows have stride `ld_c_prev` and must not overlap `out`'s c_t.
void bp_lstm_forward_stepf(float *gates, const float *c_prev, long ld_c_prev, float *tau, float *out, long ld_out,
                           long batch, long hidden, int isa);
/// One LSTM step backward: from the saved activations `act` and `tau`, c_{t−1}, the output's
/// cotangent rows `delta` (δh then δc, stride `ld_delta`) and the carries `dh` (∂h_t from step
/// t+1, read) and `dc` (∂c_t, read, then replaced by ∂c_{t−1}), writes ∂G_t into `dgates`
/// `[batch, 4·hidden]`: ∂i = δc·g·i(1−i), ∂f = δc·c_{t−1}·f(1−f), ∂g = δc·i(1−g²),
/// ∂o = δh·τ·o(1−o) with δh = delta_h + dh, δc = delta_c + dc + δh·o·(1−τ²); ∂c_{t−1} = δc·f.
void bp_lstm_backward_stepf(const float *act, const float *tau, const float *c_prev, long ld_c_prev, const float *delta,
                            long ld_delta, const float *dh, float *dc, float *dgates, long batch, long hidden, int isa);

// MARK: - BLAS found at run time (dlopen)

/// Backends, in the numbering used by `bp_backend_override`.
enum bp_backend { BP_BACKEND_OWN = 0, BP_BACKEND_OPENBLAS = 1, BP_BACKEND_BLIS = 2 };
/// Loads the library for `backend` (once); returns 1 when its cblas_sgemm and cblas_dgemm exist.
int bp_blas_available(int backend);
/// cblas_sgemm (row-major) through the loaded library, kept on one thread; a large product is split
/// into blocks of C's rows or columns over `threads` threads of `bp_parallel_for`.
/// Falls back to `bp_sgemm_own` if the library cannot be loaded.
void bp_blas_sgemm(int backend, int threads, int transA, int transB, int m, int n, int k,
                   float alpha, const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc);
/// cblas_dgemm (row-major); threads as in `bp_blas_sgemm`.
/// Falls back to `bp_dgemm_own` if the library cannot be loaded.
void bp_blas_dgemm(int backend, int threads, int transA, int transB, int m, int n, int k,
                   double alpha, const double *a, int lda, const double *b, int ldb,
                   double beta, double *c, int ldc);

// MARK: - MPI (mpi_loader.c)

// Open MPI 4 loaded with dlopen at run time; calls return the MPI error code (0 = success).
enum bp_mpi_type { BP_MPI_FLOAT = 0, BP_MPI_DOUBLE = 1, BP_MPI_INT64 = 2, BP_MPI_BYTE = 3 };
enum bp_mpi_op { BP_MPI_SUM = 0, BP_MPI_MAX = 1 };
/// Returned by `bp_mpi_wait` when the request did not finish in time (a lost rank).
#define BP_MPI_TIMED_OUT (-100)
/// Loads libmpi.so.40 (once, RTLD_GLOBAL); returns 1 when it is Open MPI with every symbol used.
int bp_mpi_available(void);
/// Why `bp_mpi_available` is 0, in one line (empty when it is 1).
const char *bp_mpi_problem(void);
/// MPI_Get_library_version into `buffer`; returns its length or -1.
int bp_mpi_library_version(char *buffer, int capacity);
/// MPI_Init_thread (FUNNELED) unless already initialized, errors returned (not aborting); rank, size.
/// Before it, raises Open MPI's TCP eager limit to 4 MiB unless OMPI_MCA_btl_tcp_eager_limit is set.
int bp_mpi_init(int *rank, int *size);
/// MPI_Bcast on MPI_COMM_WORLD.
int bp_mpi_broadcast(void *data, int count, int type, int root);
/// In-place MPI_Allreduce on MPI_COMM_WORLD.
int bp_mpi_allreduce(void *data, int count, int type, int op);
/// In-place MPI_Iallreduce on MPI_COMM_WORLD; `*request` is handed to `bp_mpi_wait`.
int bp_mpi_iallreduce(void *data, int count, int type, int op, void **request);
/// Polls MPI_Test until done (0), an MPI error (its code), or `timeout_seconds` (BP_MPI_TIMED_OUT);
/// spinning or yielding between tests as `bp_mpi_wait_mode()` says.
int bp_mpi_wait(void **request, double timeout_seconds);
/// How `bp_mpi_wait` waits between tests.
enum bp_mpi_wait_kind { BP_MPI_WAIT_SPIN = 1, BP_MPI_WAIT_SLEEP = 2 };
/// The wait mode now: BACKPROP_MPI_WAIT=spin|sleep when set, else chosen (and re-chosen at most
/// once a second) from this host's rank count (OMPI_COMM_WORLD_LOCAL_SIZE), load average and cores.
int bp_mpi_wait_mode(void);
/// 1 unless BACKPROP_MPI_WAIT forces a mode.
int bp_mpi_wait_is_automatic(void);
/// The automatic rule: 1 (sleep) when `local_ranks` plus the other work in `load` (the load
/// average, which counts the ranks too) need more than `cores` cores.
int bp_mpi_wait_oversubscribed(int local_ranks, double load, int cores);
/// The smaller of the 1-minute load average and the tasks runnable now, from a /proc/loadavg
/// line; 0 if unreadable.
double bp_mpi_current_load(const char *loadavg);
/// MPI_Test: drives `*request` on and sets `*done` to 1 once it finished (then `*request` is freed).
int bp_mpi_test(void **request, int *done);
/// MPI_Barrier on MPI_COMM_WORLD.
int bp_mpi_barrier(void);
/// One pause of a polling wait that began at `start` (`bp_monotonic_seconds`) and has polled
/// `tests` times, as `bp_mpi_wait` pauses (the wait mode decides: spin, or yield and sleep);
/// `*mode` caches the mode between pauses (0 before the first). Returns 1 once
/// `timeout_seconds` (> 0) have passed, else 0.
int bp_mpi_wait_pause(unsigned long tests, int *mode, double start, double timeout_seconds);
/// Seconds of CLOCK_MONOTONIC.
double bp_monotonic_seconds(void);
/// A symbol of the loaded Open MPI library (dlsym), or NULL.
void *bp_mpi_symbol(const char *name);
/// Allocates `bytes` of memory shared by all ranks (MPI_Win_allocate_shared on the ranks of this
/// host) when every rank of MPI_COMM_WORLD is on this host: collective, call on every rank.
/// Returns 0 and fills `bases[r]` with rank r's segment (`ranks` entries); 1 when some rank is
/// on another host (or the window cannot be made), nothing allocated; < 0 on an MPI error.
int bp_mpi_shared_segments(long bytes, void **bases, int ranks);
/// Acquire load and release store of a 64-bit flag in shared memory.
long long bp_atomic_load_acquire(const long long *flag);
void bp_atomic_store_release(long long *flag, long long value);
/// MPI_Abort on MPI_COMM_WORLD (ends every rank).
void bp_mpi_abort(int code);
/// MPI_Finalize if initialized and not yet finalized.
void bp_mpi_finalize(void);

// MARK: - Own packed GEMM

/// One task of a parallel loop: `body(arg, index)`.
typedef void (*bp_task_fn)(void *arg, long index);
/// Runs `body(arg, i)` for every i in 0..<count on up to `threads` threads (the caller included)
/// of a persistent pool, handing out indices one at a time; returns when all are done. Runs
/// serially when threads <= 1 or when another thread is using the pool.
void bp_parallel_for(int threads, long count, bp_task_fn body, void *arg);
/// For the calling thread, since it started: how many `bp_parallel_for` jobs ran on the pool
/// (not serially), and how many of their tasks other threads ran.
void bp_parallel_statistics(long *jobs, long *tasks_by_helpers);

/// Row-major C = alpha·op(A)·op(B) + beta·C with packed panels and a register-blocked micro-kernel,
/// split over up to `threads` threads when large. beta == 0 never reads C.
void bp_sgemm_own(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc,
                  int threads);
/// Double-precision version of `bp_sgemm_own`.
void bp_dgemm_own(int transA, int transB, long m, long n, long k, double alpha,
                  const double *a, long lda, const double *b, long ldb, double beta, double *c, long ldc,
                  int threads);
/// glibc only: serve allocations below `mmap_threshold` bytes from the heap and give freed heap
/// memory back to the system only above `trim_threshold` bytes (mallopt); 1 if both were set.
int bp_keep_freed_buffers(long mmap_threshold, long trim_threshold);
#endif
