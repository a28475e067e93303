// Instruction-set levels of the kernels: what the CPU offers, and the one level every kernel uses.
//
// Three levels exist. kScalar is the portable reference (always available, the oracle of every
// test). kAvx2 needs AVX2, FMA and F16C (Haswell, Zen 1 and later). kAvx512 needs AVX-512 F, DQ,
// BW, VL, VNNI and BF16 (Cooper Lake, Sapphire Rapids, Zen 4 and later). The operating system must
// also save the wide registers (XCR0), which detection checks.
//
// The active level is chosen once, on the first kernel call: QWL_ISA=scalar|avx2|avx512 forces a
// level, otherwise the best one the CPU has is used. A forced level the CPU lacks is refused:
// init_isa_from_env() returns the error (call it at start-up to report it cleanly); a kernel call
// that finds it first aborts with the same message.
//
// Thread-safety: detection and the lazy choice are thread-safe. set_isa() must not race with
// running kernels (call it at start-up or between ops, as the tests do).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace qwl::ops {

enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

inline constexpr Isa kAllIsas[] = {Isa::kScalar, Isa::kAvx2, Isa::kAvx512};

// "scalar", "avx2", "avx512".
std::string_view isa_name(Isa isa);
// Parses a name as printed by isa_name (case-sensitive); nullopt otherwise.
std::optional<Isa> parse_isa(std::string_view name);

// Whether this CPU and OS can run the kernels of a level.
bool cpu_supports(Isa isa);
// The highest level this CPU supports.
Isa best_isa();
// The CPU features detection saw, for logs and error messages ("avx2 fma f16c avx512f ...").
std::string cpu_features();

// The level kernels dispatch to (chosen on first use, see above).
Isa active_isa();
// Forces a level. Unsupported (naming the missing features) if the CPU lacks it.
Status set_isa(Isa isa);
// Applies QWL_ISA if set: InvalidArgument for an unknown name, Unsupported for a level this CPU
// lacks. Without QWL_ISA, selects best_isa(). Idempotent.
Status init_isa_from_env();

}  // namespace qwl::ops
