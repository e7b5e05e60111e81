#pragma once
// XGRAD_VECTOR_CLONES, for the engine's loops and the ops' kernels alike. Not public.

// Marks a hot loop's function (a template too: each instantiation, its lambdas inlined) for
// AVX-512 and AVX2 copies besides the baseline x86-64 one; the loader picks the copy the CPU runs
// (docs/performance.md, "Where the time went": SGD). "avx2" brings no FMA, but AVX-512F has its
// own, and GCC fuses a·b + c in the AVX-512 copies: results can differ in the last bit between an
// AVX-512 CPU and others (the accuracy tests hold for both). Unfused (-ffp-contract=off), exact
// gelu's forward measured 1.6x slower on AVX-512, so the fusion stays.
// Not under GCC's ThreadSanitizer: its build crashes before main in a target_clones resolver.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define XGRAD_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define XGRAD_VECTOR_CLONES
#endif
