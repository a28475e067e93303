// The inverted index: postings round-trip through the compressed runs and the tail, seeks land
// on the first slot at or after the target across block boundaries, killed slots are reported,
// and terms are found by exact text and by prefix.
#include "services/search_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace qwl::services {
namespace {

std::vector<std::pair<uint32_t, uint8_t>> drain(PostingCursor c) {
  std::vector<std::pair<uint32_t, uint8_t>> out;
  for (; c.valid(); c.next()) out.emplace_back(c.slot(), c.weight());
  return out;
}

TEST(TermIndex, PostingsRoundTripWithSeeksAcrossBlocksAndTail) {
  std::mt19937 rng(7);
  TermIndex::Builder b;
  std::map<std::string, std::vector<std::pair<uint32_t, uint8_t>>> want;
  const uint32_t n_docs = 20'000;
  for (uint32_t d = 0; d < n_docs; ++d) {
    const uint32_t slot = b.add_doc();
    ASSERT_EQ(slot, d);
    // "dense" in every other document, "sparse" in ~1%, "huge" gaps between its postings.
    auto post = [&](const std::string& term) {
      const auto w = static_cast<uint8_t>(rng() % (kMaxPostingWeight + 1));
      b.add(term, slot, w);
      want[term].emplace_back(slot, w);
    };
    if (d % 2 == 0) post("dense");
    if (rng() % 100 == 0) post("sparse");
    if (d % 7919 == 0) post("huge");
    if (d == 5) post("once");
  }
  std::unique_ptr<TermIndex> index = b.finish();
  ASSERT_EQ(index->n_slots(), n_docs);
  ASSERT_EQ(index->main_terms(), 4u);
  EXPECT_EQ(index->term(0), "dense");  // byte order
  for (auto& [term, postings] : want) {
    std::optional<uint32_t> id = index->find(term);
    ASSERT_TRUE(id.has_value()) << term;
    EXPECT_EQ(index->df(*id), postings.size());
    EXPECT_EQ(drain(index->cursor(*id)), postings) << term;
  }
  EXPECT_FALSE(index->find("dens").has_value());
  EXPECT_FALSE(index->find("zzz").has_value());

  // Documents after the build: a main term grows a tail, a new term is tail only.
  for (uint32_t d = n_docs; d < n_docs + 300; ++d) {
    const uint32_t slot = index->add_doc();
    ASSERT_EQ(slot, d);
    if (d % 3 == 0) {
      index->add("dense", slot, 3);
      want["dense"].emplace_back(slot, 3);
    }
    if (d % 50 == 0) {
      index->add("fresh", slot, 9);
      want["fresh"].emplace_back(slot, 9);
    }
  }
  EXPECT_EQ(index->tail_slots(), 300u);
  for (auto& [term, postings] : want) {
    const uint32_t id = *index->find(term);
    EXPECT_EQ(drain(index->cursor(id)), postings) << term;
    // Seek to every target in a random order of increasing targets and compare with a scan.
    PostingCursor c = index->cursor(id);
    uint32_t target = 0;
    while (true) {
      target += 1 + rng() % 400;
      c.seek(target);
      auto it =
          std::lower_bound(postings.begin(), postings.end(), std::make_pair(target, uint8_t{0}));
      if (it == postings.end()) {
        EXPECT_FALSE(c.valid()) << term << " past " << target;
        break;
      }
      ASSERT_TRUE(c.valid()) << term << " " << target;
      EXPECT_EQ(c.slot(), it->first) << term << " seek " << target;
      EXPECT_EQ(c.weight(), it->second);
    }
  }
  // Seeking backwards or to the current slot stays put.
  PostingCursor c = index->cursor(*index->find("dense"));
  c.seek(1000);
  EXPECT_EQ(c.slot(), 1000u);
  c.seek(10);
  EXPECT_EQ(c.slot(), 1000u);
}

TEST(TermIndex, KillsSlotsAndFindsPrefixes) {
  TermIndex::Builder b;
  for (const char* t : {"latt", "lattic", "lamp", "tea", "teapot"}) {
    const uint32_t s = b.add_doc();
    b.add(t, s, 1);
  }
  b.kill(1);
  std::unique_ptr<TermIndex> index = b.finish();
  EXPECT_EQ(index->n_alive(), 4u);
  EXPECT_FALSE(index->alive(1));
  EXPECT_TRUE(index->alive(0));
  const uint32_t s = index->add_doc();
  index->add("latin", s, 2);
  index->kill(0);
  index->kill(0);
  EXPECT_EQ(index->n_alive(), 4u);
  std::vector<std::string> seen;
  index->for_each_with_prefix("lat", [&](uint32_t id, std::string_view term) {
    EXPECT_EQ(index->term(id), term);
    seen.emplace_back(term);
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"latt", "lattic", "latin"}));
  seen.clear();
  index->for_each_with_prefix("x",
                              [&](uint32_t, std::string_view term) { seen.emplace_back(term); });
  EXPECT_TRUE(seen.empty());
  EXPECT_GT(index->memory_bytes(), 0u);
}

TEST(TermIndex, AnEmptyIndexHasNoTerms) {
  TermIndex::Builder b;
  std::unique_ptr<TermIndex> index = b.finish();
  EXPECT_EQ(index->n_slots(), 0u);
  EXPECT_FALSE(index->find("a").has_value());
  const uint32_t s = index->add_doc();
  index->add("a", s, 1);
  ASSERT_TRUE(index->find("a").has_value());
  EXPECT_EQ(drain(index->cursor(*index->find("a"))).size(), 1u);
}

}  // namespace
}  // namespace qwl::services
