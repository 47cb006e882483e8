/* 2-D convolutions on NHWC tensors with HWIO filters: Conv2D and its two backprops by
 * im2col + GEMM (OpenBLAS), and the depthwise convolution by direct loops.
 *
 * Work is cut into tasks whose boundaries depend on the geometry only (never on the thread
 * count), each task's arithmetic is done in a fixed order, and partial sums are combined in
 * task order: results are bit-identical at any thread count. The caller supplies the
 * parallel loop (the session's intra-op pool). */
#ifndef RILL_KERNELS_CPU_CONV_H
#define RILL_KERNELS_CPU_CONV_H

#include <stdbool.h>
#include <stdint.h>
#include "rill/tensor.h"

/* One convolution's geometry. The input is [n, h, w, c], the filter [kh, kw, c / groups, o]
 * (depthwise: [kh, kw, c, o / c]), the output [n, oh, ow, o]. pt and pl are the zero rows above
 * and columns left of the input; the padding below and right follows from the sizes. */
typedef struct rill_conv_geom {
  int64_t n, h, w, c;
  int64_t kh, kw, o;
  int64_t groups;
  int64_t oh, ow;
  int64_t sh, sw, dh, dw;
  int64_t pt, pl;
} rill_conv_geom;

/* How to run tasks: parallel(ctx, n, fn, arg) calls fn(arg, b, e) over [0, n) in any split
 * and on any threads, returning when all are done. threads <= 1 or parallel NULL: inline. */
typedef struct rill_conv_exec {
  int threads;
  void (*parallel)(void *ctx, int64_t n, void (*fn)(void *arg, int64_t b, int64_t e), void *arg);
  void *ctx;
} rill_conv_exec;

/* y = conv(x, f). dtype float, double or int32 (integer sums wrap). False when out of memory. */
bool rill_conv2d_cpu_forward(const rill_conv_geom *g, rill_dtype t, const void *x, const void *f, void *y,
                             const rill_conv_exec *ex);
/* dx = d(sum(conv(x, f) * dy)) / dx. */
bool rill_conv2d_cpu_backprop_input(const rill_conv_geom *g, rill_dtype t, const void *dy, const void *f,
                                    void *dx, const rill_conv_exec *ex);
/* df = d(sum(conv(x, f) * dy)) / df. */
bool rill_conv2d_cpu_backprop_filter(const rill_conv_geom *g, rill_dtype t, const void *x, const void *dy,
                                     void *df, const rill_conv_exec *ex);

/* The depthwise convolution (groups = c, o = c * multiplier) and its backprops; float or
 * double. */
bool rill_depthwise_cpu_forward(const rill_conv_geom *g, rill_dtype t, const void *x, const void *f, void *y,
                                const rill_conv_exec *ex);
bool rill_depthwise_cpu_backprop_input(const rill_conv_geom *g, rill_dtype t, const void *dy, const void *f,
                                       void *dx, const rill_conv_exec *ex);
bool rill_depthwise_cpu_backprop_filter(const rill_conv_geom *g, rill_dtype t, const void *x, const void *dy,
                                        void *df, const rill_conv_exec *ex);

/* ---- shared by the conv kernel files ---- */

/* The float32 direct kernels (conv_direct.c): whether they serve pass 0 (forward), 1 (backprop
 * input) or 2 (backprop filter) of g on this CPU, and those passes. */
bool rill__conv_direct_usable(const rill_conv_geom *g, rill_dtype t, int pass);
bool rill__conv_direct_forward(const rill_conv_geom *g, const float *x, const float *f, float *y,
                               const rill_conv_exec *ex);
bool rill__conv_direct_backprop_input(const rill_conv_geom *g, const float *dy, const float *f, float *dx,
                                      const rill_conv_exec *ex);
bool rill__conv_direct_backprop_filter(const rill_conv_geom *g, const float *x, const float *dy, float *df,
                                       const rill_conv_exec *ex);
/* Picks the direct kernels for tests and benchmarks: "auto" (the widest the CPU has, the
 * default), "avx512", "avx2" or "none" (im2col + GEMM). False when the CPU lacks the choice.
 * Not for use while convolutions run. */
bool rill__conv_direct_select(const char *name);

/* A per-thread scratch buffer of at least `bytes` (64-byte aligned), reused across calls and
 * freed when the thread exits. slot 0 or 1: two independent buffers. NULL when out of memory. */
void *rill__conv_scratch(int slot, size_t bytes);
/* Frees the calling thread's buffer in slot when it holds more than keep bytes, so that one
 * large convolution does not pin its scratch for the thread's lifetime. */
void rill__conv_scratch_release(int slot, size_t keep);
/* Scratch kept between calls (per thread and slot). */
#define RILL_CONV_SCRATCH_KEEP ((size_t)16 << 20)
/* Runs n tasks through ex with OpenBLAS held to one thread: each task's GEMM runs on the
 * thread that packed its operands instead of queueing for OpenBLAS's own workers, and OpenBLAS
 * cannot change its summation order with its thread count (it does for some shapes). */
void rill__conv_run(const rill_conv_exec *ex, int64_t n, void (*fn)(void *arg, int64_t b, int64_t e), void *arg);

#endif
