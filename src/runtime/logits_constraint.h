// LogitsConstraint: what the sampler consults to keep generated text inside a language (a JSON
// schema, a tool call), one token at a time.
//
// Per step the owner calls apply() on the row of logits before sampling, which sets the logit of
// every token that cannot continue the text to -infinity, then accept() with the token chosen.
// Once the text is complete, apply() leaves only end-of-generation tokens. A constraint belongs
// to one sequence and is driven by one thread at a time.
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"

namespace qwl {

class LogitsConstraint {
 public:
  virtual ~LogitsConstraint() = default;
  // Masks tokens that are not allowed next: logits.size() == n_vocab.
  virtual void apply(std::span<float> logits) = 0;
  // Advances past `token`. InvalidArgument when the token was not allowed (the constraint is
  // then unchanged).
  virtual Status accept(int32_t token) = 0;
  // True when the constrained text is complete: only end-of-generation tokens remain allowed.
  virtual bool complete() const = 0;
};

}  // namespace qwl
