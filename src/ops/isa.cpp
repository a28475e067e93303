// CPU feature detection (CPUID + XGETBV) and the choice of the active kernel level.
//
// Detection reads CPUID directly rather than trusting compiler builtins so that the exact
// feature list of each level is visible here, and checks XCR0: a CPU may report AVX-512 while
// the OS (or a hypervisor) does not save the ZMM state, and then the instructions fault.
#include "ops/isa.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "base/check.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define QWL_X86 1
#endif

namespace qwl::ops {
namespace {

struct Features {
  bool avx2 = false, fma = false, f16c = false, bmi2 = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avx512bf16 = false, avx512vbmi = false, avxvnni = false;
  bool os_avx = false, os_avx512 = false;
};

#if defined(QWL_X86)
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return static_cast<uint64_t>(edx) << 32 | eax;
}
#endif

Features detect() {
  Features f;
#if defined(QWL_X86)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  f.fma = (c >> 12) & 1;
  f.f16c = (c >> 29) & 1;
  const bool avx = (c >> 28) & 1;
  if (osxsave && avx) {
    const uint64_t xcr0 = read_xcr0();
    f.os_avx = (xcr0 & 0x6) == 0x6;       // SSE and AVX state
    f.os_avx512 = (xcr0 & 0xe6) == 0xe6;  // plus opmask, ZMM_Hi256, Hi16_ZMM
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = (b >> 5) & 1;
    f.bmi2 = (b >> 8) & 1;
    f.avx512f = (b >> 16) & 1;
    f.avx512dq = (b >> 17) & 1;
    f.avx512bw = (b >> 30) & 1;
    f.avx512vl = (b >> 31) & 1;
    f.avx512vbmi = (c >> 1) & 1;
    f.avx512vnni = (c >> 11) & 1;
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
    f.avxvnni = (a >> 4) & 1;
    f.avx512bf16 = (a >> 5) & 1;
  }
#endif
  return f;
}

const Features& features() {
  static const Features f = detect();
  return f;
}

// The features a level needs that this CPU lacks (empty when supported).
std::vector<std::string_view> missing(Isa isa) {
  const Features& f = features();
  std::vector<std::string_view> out;
  auto need = [&](bool have, std::string_view name) {
    if (!have) out.push_back(name);
  };
  if (isa == Isa::kScalar) return out;
#if !defined(QWL_X86) || !defined(QWL_HAVE_X86_KERNELS)
  out.push_back("x86-64 kernels (not built for this target)");
  return out;
#endif
  need(f.os_avx, "OS support for AVX state");
  need(f.avx2, "avx2");
  need(f.fma, "fma");
  need(f.f16c, "f16c");
  if (isa == Isa::kAvx512) {
    need(f.os_avx512, "OS support for AVX-512 state");
    need(f.avx512f, "avx512f");
    need(f.avx512dq, "avx512dq");
    need(f.avx512bw, "avx512bw");
    need(f.avx512vl, "avx512vl");
    need(f.avx512vnni, "avx512vnni");
    need(f.avx512bf16, "avx512bf16");
  }
  return out;
}

std::atomic<int> g_active{-1};  // -1: not chosen yet
std::mutex g_init_mutex;

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "?";
}

std::optional<Isa> parse_isa(std::string_view name) {
  for (Isa isa : kAllIsas)
    if (isa_name(isa) == name) return isa;
  return std::nullopt;
}

bool cpu_supports(Isa isa) {
  static const bool supported[] = {missing(Isa::kScalar).empty(), missing(Isa::kAvx2).empty(),
                                   missing(Isa::kAvx512).empty()};
  return supported[static_cast<int>(isa)];
}

Isa best_isa() {
  if (cpu_supports(Isa::kAvx512)) return Isa::kAvx512;
  if (cpu_supports(Isa::kAvx2)) return Isa::kAvx2;
  return Isa::kScalar;
}

std::string cpu_features() {
  const Features& f = features();
  std::string s;
  auto add = [&](bool have, const char* name) {
    if (!have) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.f16c, "f16c");
  add(f.bmi2, "bmi2");
  add(f.avxvnni, "avxvnni");
  add(f.avx512f, "avx512f");
  add(f.avx512dq, "avx512dq");
  add(f.avx512bw, "avx512bw");
  add(f.avx512vl, "avx512vl");
  add(f.avx512vnni, "avx512vnni");
  add(f.avx512bf16, "avx512bf16");
  add(f.avx512vbmi, "avx512vbmi");
  if (!f.os_avx512 && f.avx512f) s += " (AVX-512 state not enabled by the OS)";
  return s.empty() ? std::string("none") : s;
}

Status set_isa(Isa isa) {
  const std::vector<std::string_view> lack = missing(isa);
  if (!lack.empty()) {
    return UnsupportedError(
        "ISA level '{}' is not available on this CPU: it lacks {} (CPU has: {})", isa_name(isa),
        fmt::join(lack, ", "), cpu_features());
  }
  std::lock_guard<std::mutex> lock(g_init_mutex);
  g_active.store(static_cast<int>(isa), std::memory_order_release);
  return Status::Ok();
}

Status init_isa_from_env() {
  const char* env = std::getenv("QWL_ISA");
  if (env == nullptr || *env == '\0') {
    std::lock_guard<std::mutex> lock(g_init_mutex);
    if (g_active.load(std::memory_order_acquire) < 0)
      g_active.store(static_cast<int>(best_isa()), std::memory_order_release);
    return Status::Ok();
  }
  const std::optional<Isa> isa = parse_isa(env);
  if (!isa) {
    return InvalidArgumentError("QWL_ISA='{}' is not a kernel level (use scalar, avx2 or avx512)",
                                env);
  }
  Status s = set_isa(*isa);
  if (!s.ok()) return s.with_context("QWL_ISA");
  return s;
}

Isa active_isa() {
  int v = g_active.load(std::memory_order_acquire);
  if (v < 0) {
    const Status s = init_isa_from_env();
    QWL_CHECK(s.ok(), "{}", s.to_string());
    v = g_active.load(std::memory_order_acquire);
  }
  return static_cast<Isa>(v);
}

}  // namespace qwl::ops
