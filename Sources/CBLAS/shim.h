#include <cblas.h>
#include <malloc.h>

/// Keeps freed memory in the process for the next allocation instead of returning it to the kernel: glibc
/// maps blocks over 32 MiB (a batch of 500 ResNet-32 activations is 33 MB) straight from the kernel and
/// unmaps them on free, so every layer of every batch paid page faults and the kernel's zeroing again.
static inline void backdoorlab_keep_freed_memory(void) {
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/// The x86 vector extensions the CPU has and the OS saves (XCR0): what decides which OpenBLAS kernels can run.
/// Bits: 1 AVX2 with FMA, 2 AVX-512 F/CD/BW/DQ/VL, 4 AVX-512 BF16.
static inline int backdoorlab_x86_vector_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0x6) != 0x6) return 0;  // the OS saves neither the SSE nor the AVX registers
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int features = 0;
    if (((b >> 5) & 1) && fma) features |= 1;
    const unsigned avx512 = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
    if ((b & avx512) == avx512 && (lo & 0xE0) == 0xE0) {
        features |= 2;
        if (__get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 5) & 1)) features |= 4;
    }
    return features;
}

/// A spin-wait hint (PAUSE): lets the sibling hyper-thread run and saves power while a worker waits.
static inline void backdoorlab_pause(void) { __builtin_ia32_pause(); }
#else
static inline int backdoorlab_x86_vector_features(void) { return 0; }
static inline void backdoorlab_pause(void) {}
#endif
