// Search on both databases over a small bilingual city: what must match and what must not
// (Chinese bigrams, plurals, accents, typos, categories, brands, menu items), filters, sorts,
// pagination and ties, refresh after edits, rebuilds, identical results on SQLite and
// PostgreSQL, and refused queries.
#include "services/search.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "services/city_time.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

using V = std::vector<std::string>;

// A Monday in the city, at local minute `minute`.
const int64_t kMonday = local_time(1'795'386'600'000'000).day;
int64_t monday_at(int minute) {
  return local_instant_us(kMonday, minute);
}

// The corpus: five categories (Drinks > Tea, Coffee; Snacks; Clothing), three brands, six
// merchants with menus, thirteen products sold by Sunny Mart.
struct Corpus {
  int64_t luna = 0, garden = 0, mart = 0, owl = 0, noodle = 0, cookie = 0;
  std::map<std::string, int64_t> item;  // by English name (merchant-qualified where repeated)
};

Status exec(Tx& tx, std::string_view sql, Params params = {}) {
  return tx.exec(sql, params).status();
}

Result<int64_t> merchant(Tx& tx, std::string_view kind, std::string_view en, std::string_view zh,
                         double lat, double lon, int64_t rating, int64_t sales) {
  QWL_ASSIGN_OR_RETURN(int64_t poi,
                       tx.query_int64("INSERT INTO pois (kind, name_en, name_zh, lat, lon) "
                                      "VALUES (?, ?, ?, ?, ?) RETURNING id",
                                      {kind, en, zh, lat, lon}));
  return tx.query_int64(
      "INSERT INTO merchants (poi_id, kind, name_en, name_zh, rating_x10, sales, created_at_us) "
      "VALUES (?, ?, ?, ?, ?, ?, 1) RETURNING id",
      {poi, kind, en, zh, rating, sales});
}

Result<int64_t> item(Tx& tx, int64_t merchant_id, std::string_view category_en,
                     std::string_view category_zh, std::string_view en, std::string_view zh,
                     int64_t price) {
  return tx.query_int64(
      "INSERT INTO menu_items (merchant_id, category_en, category_zh, name_en, name_zh, price, "
      "updated_at_us) VALUES (?, ?, ?, ?, ?, ?, 1) RETURNING id",
      {merchant_id, category_en, category_zh, en, zh, price});
}

Status product(Tx& tx, int64_t id, int64_t merchant_id, int64_t category, Value brand,
               std::string_view en, std::string_view zh, int64_t rating, int64_t sales,
               std::vector<std::tuple<std::string, int64_t, int64_t>> variants,
               std::vector<std::pair<std::string, std::string>> attributes = {},
               std::string_view description_en = "") {
  QWL_RETURN_IF_ERROR(
      exec(tx,
           "INSERT INTO products (id, merchant_id, category_id, brand_id, name_en, "
           "name_zh, description_en, rating_x10, review_count, sales, "
           "created_at_us, updated_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
           "1, 1)",
           {id, merchant_id, category, brand, en, zh, description_en, rating, rating * 3, sales}));
  int n = 0;
  for (const auto& [name, price, stock] : variants) {
    QWL_RETURN_IF_ERROR(exec(tx,
                             "INSERT INTO product_variants (product_id, sku, name_en, name_zh, "
                             "price, stock) VALUES (?, ?, ?, ?, ?, ?)",
                             {id, fmt::format("sku-{}-{}", id, n++), name, name, price, stock}));
  }
  for (const auto& [name, value] : attributes) {
    QWL_RETURN_IF_ERROR(
        exec(tx, "INSERT INTO product_attributes (product_id, name, value) VALUES (?, ?, ?)",
             {id, name, value}));
  }
  return Status::Ok();
}

Result<Corpus> make_corpus(Db& db) {
  Corpus c;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    c = Corpus();
    QWL_RETURN_IF_ERROR(exec(tx,
                             "INSERT INTO categories (id, parent_id, name_en, name_zh) VALUES "
                             "(1, NULL, 'Drinks', '饮品'), (2, 1, 'Tea', '茶'), "
                             "(3, 1, 'Coffee', '咖啡'), (4, NULL, 'Snacks', '零食'), "
                             "(5, NULL, 'Clothing', '服装')"));
    QWL_RETURN_IF_ERROR(exec(tx,
                             "INSERT INTO brands (id, name_en, name_zh) VALUES (1, 'Leaf Lab', "
                             "'叶子实验室'), (2, 'Bean Co', '豆子公司'), (3, 'Nongfu', '农夫')"));
    QWL_ASSIGN_OR_RETURN(c.luna,
                         merchant(tx, "cafe", "Luna Café", "月亮咖啡", 30.250, 120.160, 46, 500));
    QWL_ASSIGN_OR_RETURN(c.garden,
                         merchant(tx, "tea", "Tea Garden", "茶园", 30.260, 120.170, 42, 900));
    QWL_ASSIGN_OR_RETURN(
        c.mart, merchant(tx, "supermarket", "Sunny Mart", "阳光超市", 30.300, 120.200, 40, 300));
    QWL_ASSIGN_OR_RETURN(
        c.owl, merchant(tx, "cafe", "Night Owl Cafe", "夜猫咖啡", 30.240, 120.150, 44, 200));
    QWL_ASSIGN_OR_RETURN(
        c.noodle, merchant(tx, "restaurant", "Noodle House", "面馆", 30.270, 120.180, 45, 700));
    QWL_ASSIGN_OR_RETURN(c.cookie,
                         merchant(tx, "cafe", "Cookie Corner", "饼干角", 30.280, 120.190, 38, 100));
    // Night Owl opens 20:00 to 02:00 every day.
    for (int day = 0; day < 7; ++day) {
      QWL_RETURN_IF_ERROR(exec(tx,
                               "INSERT INTO poi_hours (poi_id, weekday, open_min, close_min) "
                               "SELECT poi_id, ?, 1200, 1560 FROM merchants WHERE id = ?",
                               {day, c.owl}));
    }
    struct I {
      int64_t merchant;
      const char *cat_en, *cat_zh, *en, *zh;
      int64_t price;
      const char* key;
    };
    const I items[] = {
        {c.luna, "Coffee", "咖啡", "Oat Latte", "燕麦拿铁", 2800, "Oat Latte"},
        {c.luna, "Coffee", "咖啡", "Latte", "拿铁", 2600, "Luna Latte"},
        {c.luna, "Coffee", "咖啡", "Americano", "美式咖啡", 2200, "Americano"},
        {c.garden, "Milk tea", "奶茶", "Pearl Milk Tea", "珍珠奶茶", 1800, "Pearl Milk Tea"},
        {c.garden, "Tea", "茶", "Jasmine Green Tea", "茉莉绿茶", 1500, "Jasmine Green Tea"},
        {c.garden, "Tea", "茶", "Black Tea", "红茶", 1200, "Black Tea"},
        {c.owl, "Coffee", "咖啡", "Latte (oat milk)", "拿铁（燕麦奶）", 3000, "Owl Latte"},
        {c.owl, "Coffee", "咖啡", "Mocha", "摩卡", 3200, "Mocha"},
        {c.noodle, "Noodles", "面", "Beef Noodles", "牛肉面", 3500, "Beef Noodles"},
        {c.cookie, "Snacks", "零食", "Oat Cookie", "燕麦饼干", 1200, "Oat Cookie"},
        {c.cookie, "Coffee", "咖啡", "Latte", "拿铁", 2500, "Cookie Latte"},
    };
    for (const I& i : items) {
      QWL_ASSIGN_OR_RETURN(c.item[i.key],
                           item(tx, i.merchant, i.cat_en, i.cat_zh, i.en, i.zh, i.price));
    }
    const int64_t m = c.mart;
    using A = std::vector<std::pair<std::string, std::string>>;
    QWL_RETURN_IF_ERROR(product(tx, 1, m, 2, 1, "Pearl Milk Tea Powder", "珍珠奶茶粉", 45, 120,
                                {{"500g", 3900, 10}, {"1kg", 6900, 0}}, A{{"flavor", "original"}},
                                "Makes twenty cups of milk tea."));
    QWL_RETURN_IF_ERROR(product(tx, 2, m, 2, 1, "Jasmine Green Tea Bags", "茉莉绿茶包", 47, 80,
                                {{"", 2500, 5}}, A{{"flavor", "jasmine"}}));
    QWL_RETURN_IF_ERROR(
        product(tx, 3, m, 2, 1, "Black Tea Leaves", "红茶茶叶", 43, 60, {{"", 4500, 3}}));
    QWL_RETURN_IF_ERROR(product(tx, 4, m, 3, 2, "Espresso Beans", "浓缩豆", 48, 40, {{"", 8800, 7}},
                                A{{"roast", "dark"}}));
    QWL_RETURN_IF_ERROR(product(tx, 5, m, 1, 3, "Oat Milk", "燕麦奶", 44, 300, {{"", 1500, 20}}));
    QWL_RETURN_IF_ERROR(
        product(tx, 6, m, 1, 3, "Mineral Water", "矿泉水", 41, 999, {{"", 200, 100}}));
    QWL_RETURN_IF_ERROR(
        product(tx, 7, m, 4, Value(), "Café Crème Cookies", "奶油曲奇", 39, 10, {{"", 1800, 0}}));
    QWL_RETURN_IF_ERROR(product(tx, 8, m, 5, Value(), "Red T-shirt", "红色T恤", 42, 25,
                                {{"S", 9900, 1}, {"M", 9900, 2}},
                                A{{"colour", "red"}, {"size", "m"}}));
    QWL_RETURN_IF_ERROR(
        product(tx, 9, m, 4, Value(), "Milk Tea Cups", "奶茶杯", 40, 30, {{"", 1500, 9}}));
    QWL_RETURN_IF_ERROR(
        product(tx, 10, m, 4, Value(), "Strawberries", "草莓", 46, 75, {{"", 3000, 4}}));
    QWL_RETURN_IF_ERROR(
        product(tx, 11, m, 2, Value(), "Glass Teapot", "玻璃茶壶", 45, 15, {{"", 12000, 2}}));
    QWL_RETURN_IF_ERROR(product(tx, 12, m, 2, 1, "Old Tea", "陈茶", 30, 5, {{"", 100, 1}}));
    QWL_RETURN_IF_ERROR(exec(tx, "UPDATE products SET listed = FALSE WHERE id = 12"));
    QWL_RETURN_IF_ERROR(
        product(tx, 13, m, 1, Value(), "Milk and Black Tea", "牛奶红茶", 42, 50, {{"", 1500, 6}}));
    return Status::Ok();
  }));
  return c;
}

V names(const SearchResult& r) {
  V out;
  for (const SearchHit& h : r.hits) out.push_back(h.name_en);
  return out;
}
V item_names(const SearchHit& h) {
  V out;
  for (const MatchedItem& i : h.matched_items) out.push_back(i.name_en);
  return out;
}
std::vector<int64_t> ids(const SearchResult& r) {
  std::vector<int64_t> out;
  for (const SearchHit& h : r.hits) out.push_back(h.id);
  return out;
}
bool has(const V& v, std::string_view name) {
  return std::find(v.begin(), v.end(), name) != v.end();
}

class SearchTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto corpus = make_corpus(*db_);
    ASSERT_TRUE(corpus.ok()) << corpus.status().to_string();
    c_ = *corpus;
    auto index = SearchIndex::build(*db_, clock_);
    ASSERT_TRUE(index.ok()) << index.status().to_string();
    index_ = std::move(*index);
  }
  SearchResult run(SearchQuery q) {
    Result<SearchResult> r = index_->search(actor_, q);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : SearchResult();
  }
  SearchResult products(std::string text, SearchFilters f = {},
                        SearchSort sort = SearchSort::kRelevance) {
    return run(
        SearchQuery{.text = std::move(text), .filters = std::move(f), .sort = sort, .limit = 50});
  }
  SearchResult merchants(std::string text, SearchFilters f = {},
                         SearchSort sort = SearchSort::kRelevance) {
    return run(SearchQuery{.text = std::move(text),
                           .kind = SearchKind::kMerchants,
                           .filters = std::move(f),
                           .sort = sort,
                           .limit = 50});
  }
  Status write(std::string_view sql, Params params = {}) {
    return db_->transact([&](Tx& tx) -> Status { return tx.exec(sql, params).status(); });
  }

  ManualClock clock_;
  Actor actor_{.user_id = 1, .role = Role::kCustomer};
  std::unique_ptr<Db> db_;
  Corpus c_;
  std::unique_ptr<SearchIndex> index_;
};

TEST_P(SearchTest, ChineseRunsMatchByBigramsAndSingleCharacters) {
  V r = names(products("珍珠奶茶"));
  EXPECT_EQ(r, V{"Pearl Milk Tea Powder"});
  // 奶茶 is in 珍珠奶茶粉 and 奶茶杯, and in the category... but never in 牛奶红茶 (milk and black
  // tea).
  r = names(products("奶茶"));
  EXPECT_TRUE(has(r, "Pearl Milk Tea Powder"));
  EXPECT_TRUE(has(r, "Milk Tea Cups"));
  EXPECT_FALSE(has(r, "Milk and Black Tea"));
  EXPECT_EQ(r.size(), 2u);
  // One character: every name holding it.
  r = names(products("奶"));
  EXPECT_EQ(r.size(), 5u) << ::testing::PrintToString(r);
  for (const char* n : {"Pearl Milk Tea Powder", "Oat Milk", "Milk Tea Cups", "Milk and Black Tea",
                        "Café Crème Cookies"}) {
    EXPECT_TRUE(has(r, n)) << n;
  }
  // Merchants: the tea shop that sells pearl milk tea, with the item.
  SearchResult m = merchants("珍珠奶茶");
  ASSERT_EQ(m.hits.size(), 1u);
  EXPECT_EQ(m.hits[0].id, c_.garden);
  EXPECT_EQ(item_names(m.hits[0]), V{"Pearl Milk Tea"});
  m = merchants("奶茶");
  ASSERT_EQ(ids(m), std::vector<int64_t>{c_.garden});
  // Unknown Chinese finds nothing (rather than everything).
  EXPECT_TRUE(products("火锅").hits.empty());
  EXPECT_EQ(products("火锅").total, 0);
}

TEST_P(SearchTest, OatLatteFindsTheCafesThatSellItInBothLanguages) {
  for (const char* q : {"oat latte", "燕麦拿铁", "oat 拿铁", "Oat Lattes"}) {
    SearchResult m = merchants(q);
    ASSERT_EQ(m.hits.size(), 2u) << q << " " << ::testing::PrintToString(names(m));
    // Luna sells "Oat Latte" by name: it ranks first. Cookie Corner sells oat cookies and
    // lattes but no oat latte: not a match.
    EXPECT_EQ(m.hits[0].id, c_.luna) << q;
    EXPECT_EQ(m.hits[1].id, c_.owl) << q;
    EXPECT_EQ(item_names(m.hits[0]), V{"Oat Latte"}) << q;
    EXPECT_EQ(item_names(m.hits[1]), V{"Latte (oat milk)"}) << q;
    EXPECT_EQ(m.hits[0].price, 2800) << q;
    EXPECT_EQ(m.hits[0].matched_items[0].id, c_.item["Oat Latte"]);
    EXPECT_EQ(m.total, 2) << q;
  }
  // The merchant's own name and an item: Luna's lattes.
  SearchResult m = merchants("luna latte");
  ASSERT_EQ(ids(m), std::vector<int64_t>{c_.luna});
  EXPECT_EQ(item_names(m.hits[0]), (V{"Latte", "Oat Latte"}));
  // Just a latte: every café with one; the cafe kind and the name match too.
  m = merchants("latte");
  EXPECT_EQ(m.total, 3);
  EXPECT_EQ(merchants("咖啡").total, 3);  // the cafés, by kind (and two by name)
  // Both names hold the word; the shorter name ranks first, the kind alone last.
  EXPECT_EQ(names(merchants("cafe")), (V{"Luna Café", "Night Owl Cafe", "Cookie Corner"}));
}

TEST_P(SearchTest, EnglishNormalisationPluralsAccentsDigitsAndTypos) {
  EXPECT_EQ(names(products("strawberry")), V{"Strawberries"});
  EXPECT_EQ(names(products("glasses")), V{"Glass Teapot"});
  EXPECT_EQ(names(products("CAFE CREME")), V{"Café Crème Cookies"});
  EXPECT_EQ(names(products("cookie")), V{"Café Crème Cookies"});
  EXPECT_EQ(names(products("t-shirt")), V{"Red T-shirt"});
  EXPECT_EQ(names(products("T恤")), V{"Red T-shirt"});
  EXPECT_EQ(names(products("1kg")), V{"Pearl Milk Tea Powder"});  // a variant name
  // Typos: one edit away.
  EXPECT_EQ(names(products("strawbery")), V{"Strawberries"});
  EXPECT_EQ(names(products("jasmnie")), V{"Jasmine Green Tea Bags"});
  EXPECT_EQ(names(merchants("mocah")), V{"Night Owl Cafe"});
  // Must not match: a word inside another word, or a word nothing holds.
  EXPECT_TRUE(products("oa").hits.empty());
  EXPECT_TRUE(products("xylophone").hits.empty());
  EXPECT_TRUE(products("oat xylophone").hits.empty());
  // Stop words do not have to match.
  V cups = names(products("milk with the tea cups"));
  EXPECT_EQ(cups, (V{"Milk Tea Cups", "Pearl Milk Tea Powder"}));  // the second by description
  // Type-ahead: the last word may be unfinished.
  SearchQuery q{.text = "jasmine gre", .prefix = true};
  EXPECT_EQ(names(run(q)), V{"Jasmine Green Tea Bags"});
  q.prefix = false;
  EXPECT_TRUE(run(q).hits.empty());
}

TEST_P(SearchTest, CategoriesBrandsAttributesAndDescriptionsMatchWithLessWeight) {
  // "Coffee" is the category of Espresso Beans, not in its name.
  EXPECT_EQ(names(products("coffee")), V{"Espresso Beans"});
  EXPECT_EQ(names(products("咖啡")), V{"Espresso Beans"});
  // A parent category: everything under Drinks.
  SearchResult drinks = products("drinks");
  EXPECT_EQ(drinks.total, 8);
  // Products in Drinks itself rank above those in its subcategories.
  EXPECT_EQ(drinks.hits[0].category_id, 1);
  EXPECT_EQ(drinks.hits.back().category_id, 2);
  EXPECT_EQ(names(products("nongfu")), (V{"Oat Milk", "Mineral Water"}));  // brand; a tie: by id
  EXPECT_EQ(names(products("dark")), V{"Espresso Beans"});                 // attribute value
  EXPECT_EQ(names(products("twenty")), V{"Pearl Milk Tea Powder"});        // description
  // The name outranks the description, the category and the brand.
  V tea = names(products("milk tea"));
  ASSERT_GE(tea.size(), 3u);
  // Both phrases in a name first (the powder also has them in its description and category),
  // then the name that holds the words apart.
  EXPECT_EQ(V(tea.begin(), tea.begin() + 2), (V{"Pearl Milk Tea Powder", "Milk Tea Cups"}));
  EXPECT_EQ(tea[2], "Milk and Black Tea");
  // Delisted products never come back.
  EXPECT_TRUE(products("old tea").hits.empty());
}

TEST_P(SearchTest, NamesThatStartWithOrEqualTheQueryRankFirst) {
  ASSERT_TRUE(db_->transact([&](Tx& tx) -> Status {
                   QWL_RETURN_IF_ERROR(product(tx, 300, c_.mart, 4, Value(), "Green Tea", "绿茶",
                                               40, 0, {{"", 100, 1}}));
                   QWL_RETURN_IF_ERROR(product(tx, 301, c_.mart, 4, Value(), "Tea Set", "茶具套装",
                                               40, 0, {{"", 100, 1}}));
                   return product(tx, 302, c_.mart, 4, Value(), "Tea", "茶", 40, 0, {{"", 100, 1}});
                 })
                  .ok());
  ASSERT_TRUE(index_->refresh().ok());
  const SearchFilters snacks{.category_id = 4};
  // One word: the whole name, then a name that starts with it, then one that holds it.
  EXPECT_EQ(names(products("tea", snacks)), (V{"Tea", "Tea Set", "Green Tea", "Milk Tea Cups"}));
  EXPECT_EQ(names(products("茶", snacks)), (V{"Tea", "Tea Set", "Green Tea", "Milk Tea Cups"}));
  // Two words: the phrase as the whole name first.
  EXPECT_EQ(names(products("green tea", snacks)), V{"Green Tea"});
  EXPECT_EQ(names(products("tea set", snacks))[0], "Tea Set");
}

TEST_P(SearchTest, Filters) {
  auto total = [](const SearchResult& r) { return r.total; };
  // Category with its subcategories, without text.
  EXPECT_EQ(total(products("", SearchFilters{.category_id = 1})), 8);
  EXPECT_EQ(total(products("", SearchFilters{.category_id = 2})), 4);
  EXPECT_EQ(names(products("tea", SearchFilters{.category_id = 3})), V{});
  EXPECT_EQ(total(products("", SearchFilters{.brand_id = 1})), 3);
  EXPECT_EQ(total(products("", SearchFilters{.merchant_id = c_.mart})), 12);
  // Price on the cheapest variant, inclusive.
  V r = names(products("tea", SearchFilters{.min_price = 2500, .max_price = 3900}));
  EXPECT_EQ(r.size(), 2u);
  EXPECT_TRUE(has(r, "Pearl Milk Tea Powder"));  // 3900 (the 1kg at 6900 does not count)
  EXPECT_TRUE(has(r, "Jasmine Green Tea Bags"));
  // Attributes (folded).
  EXPECT_EQ(names(products("", SearchFilters{.attributes = {{"Flavor", "JASMINE"}}})),
            V{"Jasmine Green Tea Bags"});
  EXPECT_EQ(names(products("", SearchFilters{.attributes = {{"colour", "red"}, {"size", "m"}}})),
            V{"Red T-shirt"});
  EXPECT_TRUE(products("", SearchFilters{.attributes = {{"colour", "blue"}}}).hits.empty());
  // Rating and stock.
  EXPECT_EQ(total(products("", SearchFilters{.min_rating_x10 = 46})), 3);
  EXPECT_FALSE(
      has(names(products("cookies", SearchFilters{.in_stock = true})), "Café Crème Cookies"));
  // Merchants: kind, rating, open now, distance, price on the matched items.
  EXPECT_EQ(total(merchants("", SearchFilters{.merchant_kind = "cafe"})), 3);
  EXPECT_EQ(total(merchants("", SearchFilters{.min_rating_x10 = 45})), 2);
  SearchQuery q{.text = "latte",
                .kind = SearchKind::kMerchants,
                .filters = {.open_now = true},
                .now_us = monday_at(12 * 60)};
  EXPECT_EQ(ids(run(q)), (std::vector<int64_t>{c_.luna, c_.cookie}));  // Night Owl is closed
  q.now_us = monday_at(23 * 60);
  EXPECT_EQ(run(q).total, 3);
  q.now_us = local_instant_us(kMonday + 1, 60);  // Tuesday 01:00, still Monday's night
  EXPECT_EQ(run(q).total, 3);
  q.now_us = local_instant_us(kMonday + 1, 150);
  EXPECT_EQ(run(q).total, 2);
  SearchResult m = merchants("latte", SearchFilters{.max_price = 2600});
  ASSERT_EQ(m.total, 2);  // Luna's plain latte (not its oat latte), Cookie Corner's
  for (const SearchHit& h : m.hits) {
    for (const MatchedItem& i : h.matched_items) EXPECT_LE(i.price, 2600);
  }
  q = SearchQuery{.kind = SearchKind::kMerchants,
                  .filters = {.max_distance_m = 1500},
                  .lat = 30.250,
                  .lon = 120.160};
  SearchResult near = run(q);
  for (const SearchHit& h : near.hits) EXPECT_LE(*h.distance_m, 1500);
  EXPECT_EQ(near.total, 3);  // Luna (0 m), Night Owl, Tea Garden
  // Products take their seller's place and hours.
  q = SearchQuery{.text = "tea", .filters = {.open_now = true}, .now_us = monday_at(3 * 60)};
  EXPECT_EQ(run(q).total, products("tea").total);  // Sunny Mart has no hours: always open
}

TEST_P(SearchTest, SortsAndDeterministicTies) {
  SearchResult r = products("", {}, SearchSort::kPriceAsc);
  ASSERT_EQ(r.total, 12);
  for (size_t i = 1; i < r.hits.size(); ++i) EXPECT_LE(*r.hits[i - 1].price, *r.hits[i].price);
  // Equal prices (1500: Oat Milk 5, Milk Tea Cups 9, Milk and Black Tea 13) come by id.
  std::vector<int64_t> at1500;
  for (const SearchHit& h : r.hits) {
    if (h.price == 1500) at1500.push_back(h.id);
  }
  EXPECT_EQ(at1500, (std::vector<int64_t>{5, 9, 13}));
  r = products("", {}, SearchSort::kPriceDesc);
  EXPECT_EQ(r.hits[0].name_en, "Glass Teapot");
  EXPECT_EQ(r.hits[1].name_en, "Red T-shirt");
  r = products("", {}, SearchSort::kRating);
  EXPECT_EQ(r.hits[0].name_en, "Espresso Beans");
  for (size_t i = 1; i < r.hits.size(); ++i) {
    EXPECT_GE(r.hits[i - 1].rating_x10, r.hits[i].rating_x10);
  }
  r = products("", {}, SearchSort::kSales);
  EXPECT_EQ(r.hits[0].name_en, "Mineral Water");
  // Without text, relevance is sales too.
  EXPECT_EQ(ids(products("")), ids(r));
  // Distance from Night Owl: Night Owl, Luna, Tea Garden, Noodle House, Cookie Corner, Sunny Mart.
  SearchQuery q{
      .kind = SearchKind::kMerchants, .sort = SearchSort::kDistance, .lat = 30.240, .lon = 120.150};
  r = run(q);
  EXPECT_EQ(ids(r),
            (std::vector<int64_t>{c_.owl, c_.luna, c_.garden, c_.noodle, c_.cookie, c_.mart}));
  EXPECT_EQ(r.hits[0].distance_m, 0);
  EXPECT_NEAR(static_cast<double>(*r.hits[1].distance_m), 1469, 3);  // 0.01° lat and lon
  // Products sorted by their seller's distance; all at Sunny Mart, so ties go by score, id.
  q = SearchQuery{.text = "tea", .sort = SearchSort::kDistance, .lat = 30.240, .lon = 120.150};
  r = run(q);
  ASSERT_FALSE(r.hits.empty());
  for (size_t i = 1; i < r.hits.size(); ++i) {
    EXPECT_TRUE(r.hits[i - 1].score > r.hits[i].score ||
                (r.hits[i - 1].score == r.hits[i].score && r.hits[i - 1].id < r.hits[i].id));
  }
  // Merchants by price: the cheapest matched item.
  r = merchants("latte", {}, SearchSort::kPriceAsc);
  EXPECT_EQ(ids(r), (std::vector<int64_t>{c_.cookie, c_.luna, c_.owl}));
  EXPECT_EQ(r.hits[0].price, 2500);
}

TEST_P(SearchTest, PagesConcatenateToTheWholeList) {
  // Small pages also exercise the bound under which name bonuses are skipped: the first k must
  // be the same as in the whole list.
  int checked = 0;
  for (SearchKind kind : {SearchKind::kProducts, SearchKind::kMerchants}) {
    for (const char* text : {"", "tea", "milk", "奶", "latte", "cafe", "milk tea", "black tea",
                             "oat latte", "奶 茶"}) {
      for (SearchSort sort : {SearchSort::kRelevance, SearchSort::kPriceAsc, SearchSort::kRating}) {
        SearchQuery q{.text = text, .kind = kind, .sort = sort, .limit = 100};
        SearchResult all = run(q);
        std::vector<int64_t> paged;
        for (int offset = 0; offset < 14; offset += 2) {
          q.limit = 2;
          q.offset = offset;
          SearchResult page = run(q);
          EXPECT_EQ(page.total, all.total);
          for (const SearchHit& h : page.hits) paged.push_back(h.id);
        }
        EXPECT_EQ(paged, ids(all))
            << text << " " << search_sort_name(sort) << " " << search_kind_name(kind);
        checked += all.total > 2;
      }
    }
  }
  EXPECT_GT(checked, 20);
  SearchQuery q{.text = "tea", .limit = 2, .offset = 100};
  SearchResult past = run(q);
  EXPECT_TRUE(past.hits.empty());
  EXPECT_GT(past.total, 0);
}

// Name bonuses are decided only for candidates that can still reach the page; on a catalog of
// names made from a few patterns (many ties) the first pages must equal the whole list's start.
TEST_P(SearchTest, PruningNeverChangesAPage) {
  const char* brands[] = {"Acme", "Zen", "Luna", "Polar"};
  const char* words[] = {"family", "size", "green", "tea", "milk", "pack", "dark", "roast"};
  const char* zh[] = {"家庭", "装", "绿", "茶", "牛奶", "包", "深", "烘焙"};
  ASSERT_TRUE(db_->transact([&](Tx& tx) -> Status {
                   int id = 1000;
                   for (int b = 0; b < 4; ++b) {
                     for (int i = 0; i < 8; ++i) {
                       for (int j = 0; j < 8; ++j) {
                         if (i == j) continue;
                         const std::string en =
                             (id % 3 == 0) ? fmt::format("{} {} {}", words[i], words[j], brands[b])
                                           : fmt::format("{} {} {}", brands[b], words[i], words[j]);
                         const std::string cn = fmt::format("{}{}{}", zh[i], zh[j], b);
                         QWL_RETURN_IF_ERROR(product(tx, id, c_.mart, 1 + id % 5, Value(), en, cn,
                                                     30 + id % 20, id % 7, {{"", 100, 1}}));
                         ++id;
                       }
                     }
                   }
                   return Status::Ok();
                 })
                  .ok());
  ASSERT_TRUE(index_->refresh().ok());
  int compared = 0;
  for (const char* text : {"family size", "green tea", "tea green", "milk tea", "dark roast pack",
                           "acme family", "size", "tea", "家庭装", "绿茶", "牛奶 茶", "zen 绿茶"}) {
    SearchQuery q{.text = text, .limit = 100};
    const std::vector<int64_t> all = ids(run(q));
    std::vector<int64_t> paged;
    for (int offset = 0; offset < 30; offset += 3) {
      q.limit = 3;
      q.offset = offset;
      for (const SearchHit& h : run(q).hits) paged.push_back(h.id);
    }
    const size_t n = std::min<size_t>(30, all.size());
    ASSERT_GE(paged.size(), n) << text;
    EXPECT_EQ(std::vector<int64_t>(paged.begin(), paged.begin() + n),
              std::vector<int64_t>(all.begin(), all.begin() + n))
        << text;
    compared += n >= 10;
  }
  EXPECT_GE(compared, 6);
}

TEST_P(SearchTest, RefreshSeesNewEditedAndDelistedRecords) {
  const SearchIndexStats before = index_->stats();
  EXPECT_EQ(before.products, 12);
  EXPECT_EQ(before.merchants, 6);
  EXPECT_EQ(before.menu_items, 11);
  // A new product, a delisted one, a price change at checkout, a renamed menu item, a new
  // merchant with a menu, changed hours.
  ASSERT_TRUE(
      db_->transact([&](Tx& tx) -> Status {
           QWL_RETURN_IF_ERROR(product(tx, 100, c_.mart, 2, 1, "Brown Sugar Boba Tea",
                                       "黑糖珍珠奶茶", 44, 0, {{"", 2200, 5}}));
           QWL_RETURN_IF_ERROR(exec(tx, "UPDATE products SET listed = FALSE WHERE id = 2"));
           QWL_RETURN_IF_ERROR(
               exec(tx, "UPDATE product_variants SET price = 999, stock = 0 WHERE product_id = 5"));
           QWL_RETURN_IF_ERROR(
               exec(tx,
                    "UPDATE menu_items SET name_en = 'Hazelnut Mocha', name_zh = '榛果摩卡' "
                    "WHERE id = ?",
                    {c_.item["Mocha"]}));
           QWL_ASSIGN_OR_RETURN(int64_t grill, merchant(tx, "restaurant", "Grill Bar", "烤肉吧",
                                                        30.2, 120.1, 40, 0));
           QWL_RETURN_IF_ERROR(
               item(tx, grill, "Grill", "烧烤", "Lamb Skewers", "羊肉串", 1000).status());
           return exec(tx,
                       "DELETE FROM poi_hours WHERE poi_id = (SELECT poi_id FROM "
                       "merchants WHERE id = ?)",
                       {c_.owl});
         })
          .ok());
  // Not yet visible.
  EXPECT_TRUE(products("boba").hits.empty());
  EXPECT_EQ(names(products("jasmine")), V{"Jasmine Green Tea Bags"});
  ASSERT_TRUE(index_->refresh().ok());
  EXPECT_EQ(names(products("boba")), V{"Brown Sugar Boba Tea"});
  V pearl = names(products("珍珠奶茶"));
  EXPECT_EQ(pearl.size(), 2u);
  EXPECT_TRUE(has(pearl, "Brown Sugar Boba Tea"));
  EXPECT_TRUE(products("jasmine").hits.empty());
  SearchResult oat = products("oat milk");
  ASSERT_EQ(oat.hits.size(), 1u);
  EXPECT_EQ(oat.hits[0].price, 999);
  EXPECT_FALSE(oat.hits[0].in_stock);
  EXPECT_TRUE(products("oat milk", SearchFilters{.in_stock = true}).hits.empty());
  EXPECT_EQ(names(merchants("hazelnut")), V{"Night Owl Cafe"});
  EXPECT_EQ(names(merchants("榛果")), V{"Night Owl Cafe"});
  EXPECT_EQ(merchants("mocha").total, 1);  // "Hazelnut Mocha" still holds mocha
  EXPECT_EQ(names(merchants("lamb skewers")), V{"Grill Bar"});
  EXPECT_EQ(names(merchants("羊肉串")), V{"Grill Bar"});
  SearchQuery q{.text = "latte",
                .kind = SearchKind::kMerchants,
                .filters = {.open_now = true},
                .now_us = monday_at(12 * 60)};
  EXPECT_EQ(run(q).total, 3);  // Night Owl without hours is always open
  const SearchIndexStats after = index_->stats();
  EXPECT_EQ(after.products, 12);
  EXPECT_EQ(after.merchants, 7);
  EXPECT_EQ(after.menu_items, 12);
  EXPECT_GT(after.last_change_id, before.last_change_id);
  EXPECT_EQ(after.builds, 1);
  // A refresh with nothing new changes nothing.
  ASSERT_TRUE(index_->refresh().ok());
  EXPECT_EQ(index_->stats().refreshes, after.refreshes);

  // A menu item taken off the menu and a category renamed.
  ASSERT_TRUE(write("UPDATE menu_items SET available = FALSE WHERE name_en = 'Lamb Skewers'").ok());
  ASSERT_TRUE(write("UPDATE categories SET name_en = 'Fine Tea' WHERE id = 2").ok());
  ASSERT_TRUE(index_->refresh().ok());
  EXPECT_TRUE(merchants("lamb").hits.empty());
  EXPECT_EQ(products("fine").total, 4);  // Tea's products (boba tea included, jasmine delisted)
}

TEST_P(SearchTest, SearchesRunBesideRefreshesAndRebuilds) {
  std::atomic<bool> stop{false};
  std::atomic<int> searches{0}, failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      const char* texts[] = {"tea", "奶茶", "oat latte", "latte"};
      while (!stop) {
        SearchQuery q{.text = texts[t],
                      .kind = t >= 2 ? SearchKind::kMerchants : SearchKind::kProducts};
        Result<SearchResult> r = index_->search(actor_, q);
        // Untouched records stay findable whatever the writer does.
        if (!r.ok() || r->total == 0) ++failures;
        ++searches;
      }
    });
  }
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(db_->transact([&](Tx& tx) -> Status {
                     QWL_RETURN_IF_ERROR(product(tx, 400 + round, c_.mart, 4, Value(),
                                                 fmt::format("Churn {}", round), "搅动", 40, 0,
                                                 {{"", 100, 1}}));
                     return exec(tx,
                                 "UPDATE product_variants SET stock = stock + 1 WHERE "
                                 "product_id = 1");
                   })
                    .ok());
    ASSERT_TRUE(index_->refresh().ok());
  }
  // A rebuild while they search.
  ASSERT_TRUE(db_->transact([&](Tx& tx) -> Status {
                   QWL_RETURN_IF_ERROR(set_search_capture(tx, false));
                   return set_search_capture(tx, true);
                 })
                  .ok());
  ASSERT_TRUE(index_->refresh().ok());
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(products("churn").total, 20);
  EXPECT_EQ(index_->stats().builds, 2);
}

TEST_P(SearchTest, BulkLoadsAndPrunedLogsRebuild) {
  // A bulk load with capture off: no log rows, but the generation tells the index to rebuild.
  ASSERT_TRUE(db_->transact([&](Tx& tx) -> Status {
                   QWL_RETURN_IF_ERROR(set_search_capture(tx, false));
                   for (int i = 0; i < 50; ++i) {
                     QWL_RETURN_IF_ERROR(product(tx, 200 + i, c_.mart, 4, Value(),
                                                 fmt::format("Bulk Snack {}", i), "散装零食", 40, i,
                                                 {{"", 100 + i, 1}}));
                   }
                   return set_search_capture(tx, true);
                 })
                  .ok());
  ASSERT_TRUE(index_->refresh().ok());
  EXPECT_EQ(index_->stats().builds, 2);
  EXPECT_EQ(products("bulk snack").total, 50);

  // A second index that falls behind a pruned log rebuilds too.
  auto lagging = SearchIndex::build(*db_, clock_);
  ASSERT_TRUE(lagging.ok());
  auto pruning = SearchIndex::build(*db_, clock_, SearchIndexOptions{.keep_changes = 5});
  ASSERT_TRUE(pruning.ok());
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(write("UPDATE products SET sales = sales + 1 WHERE id = 1").ok());
  }
  ASSERT_TRUE((*pruning)->refresh().ok());
  EXPECT_EQ((*pruning)->stats().builds, 1);
  int64_t rows = 0;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
                   QWL_ASSIGN_OR_RETURN(rows,
                                        tx.query_int64("SELECT COUNT(*) FROM search_changes"));
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_LE(rows, 5);
  ASSERT_TRUE((*lagging)->refresh().ok());
  EXPECT_EQ((*lagging)->stats().builds, 2);
  SearchResult a = (*lagging)->search(actor_, SearchQuery{.text = "pearl"}).value();
  ASSERT_EQ(a.hits.size(), 1u);
  EXPECT_EQ(a.hits[0].sales, 132);

  // Many edits make the layout stale: refresh rebuilds rather than patching forever.
  ASSERT_TRUE(write("UPDATE products SET name_en = name_en || ' v2'").ok());
  ASSERT_TRUE(index_->refresh().ok());
  EXPECT_EQ(index_->stats().builds, 3);
  EXPECT_EQ(index_->stats().dead_slots, 0);
  EXPECT_EQ(products("v2").total, 62);
}

TEST_P(SearchTest, RefusesBadQueriesNamingTheField) {
  auto error = [&](SearchQuery q) {
    Result<SearchResult> r = index_->search(actor_, q);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  };
  EXPECT_NE(error({.limit = 0}).find("limit"), std::string::npos);
  EXPECT_NE(error({.limit = kSearchMaxLimit + 1}).find("limit"), std::string::npos);
  EXPECT_NE(error({.offset = -1}).find("offset"), std::string::npos);
  EXPECT_NE(error({.offset = kSearchMaxOffset + 1}).find("offset"), std::string::npos);
  EXPECT_NE(error({.text = std::string(kSearchMaxTextBytes + 1, 'a')}).find("text"),
            std::string::npos);
  EXPECT_NE(error({.filters = {.min_price = -1}}).find("filters.min_price"), std::string::npos);
  EXPECT_NE(error({.filters = {.max_price = -5}}).find("filters.max_price"), std::string::npos);
  EXPECT_NE(error({.filters = {.min_price = 10, .max_price = 5}}).find("filters.min_price"),
            std::string::npos);
  EXPECT_NE(error({.filters = {.min_rating_x10 = 51}}).find("min_rating_x10"), std::string::npos);
  EXPECT_NE(error({.filters = {.category_id = 999}}).find("filters.category_id"),
            std::string::npos);
  EXPECT_NE(error({.filters = {.brand_id = 999}}).find("filters.brand_id"), std::string::npos);
  EXPECT_NE(error({.filters = {.merchant_id = 999}}).find("filters.merchant_id"),
            std::string::npos);
  EXPECT_NE(error({.kind = SearchKind::kMerchants, .filters = {.category_id = 1}})
                .find("filters.category_id"),
            std::string::npos);
  EXPECT_NE(error({.filters = {.merchant_kind = "cafe"}}).find("merchant_kind"), std::string::npos);
  EXPECT_NE(error({.kind = SearchKind::kMerchants, .filters = {.merchant_kind = "bar"}})
                .find("merchant_kind"),
            std::string::npos);
  EXPECT_NE(error({.filters = {.attributes = {{"colour", " "}}}}).find("filters.attributes"),
            std::string::npos);
  EXPECT_NE(error({.sort = SearchSort::kDistance}).find("distance"), std::string::npos);
  EXPECT_NE(error({.lat = 30.0}).find("lat"), std::string::npos);
  EXPECT_NE(error({.lat = 91.0, .lon = 0.0}).find("lat"), std::string::npos);
  EXPECT_NE(error({.filters = {.max_distance_m = 100}}).find("max_distance_m"), std::string::npos);
  EXPECT_NE(error({.filters = {.open_now = true}}).find("now_us"), std::string::npos);
  EXPECT_EQ(parse_search_sort("cheap").status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parse_search_sort("cheap").status().message().find("price_asc"), std::string::npos);
  EXPECT_EQ(*parse_search_sort("price_desc"), SearchSort::kPriceDesc);
  EXPECT_EQ(*parse_search_kind("merchants"), SearchKind::kMerchants);
  EXPECT_EQ(parse_search_kind("shops").status().code(), StatusCode::kInvalidArgument);
  // Odd text is not an error.
  EXPECT_TRUE(index_->search(actor_, {.text = "\xff\xfe ,,, \x01"}).ok());
}

INSTANTIATE_TEST_SUITE_P(Db, SearchTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

// The same rows and the same edits give identical results, scores included, on both databases.
TEST(SearchBothDatabases, GiveIdenticalResults) {
  struct Side {
    std::unique_ptr<Db> db;
    Corpus corpus;
    std::unique_ptr<SearchIndex> index;
  };
  ManualClock clock;
  Side sides[2];
  for (int k = 0; k < 2; ++k) {
    auto db = testing::fresh_db(k == 0 ? DbKind::kSqlite : DbKind::kPostgres);
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    sides[k].db = std::move(*db);
    auto corpus = make_corpus(*sides[k].db);
    ASSERT_TRUE(corpus.ok()) << corpus.status().to_string();
    sides[k].corpus = *corpus;
    auto index = SearchIndex::build(*sides[k].db, clock);
    ASSERT_TRUE(index.ok());
    sides[k].index = std::move(*index);
  }
  ASSERT_EQ(sides[0].corpus.luna, sides[1].corpus.luna);  // ids line up
  std::vector<SearchQuery> queries;
  for (const char* text : {"", "tea", "奶茶", "珍珠奶茶", "oat latte", "燕麦拿铁", "milk", "奶",
                           "drinks", "latet", "cafe", "咖啡", "oat 拿铁", "nongfu red"}) {
    for (SearchKind kind : {SearchKind::kProducts, SearchKind::kMerchants}) {
      for (SearchSort sort : {SearchSort::kRelevance, SearchSort::kPriceAsc, SearchSort::kPriceDesc,
                              SearchSort::kRating, SearchSort::kSales, SearchSort::kDistance}) {
        queries.push_back(SearchQuery{.text = text,
                                      .kind = kind,
                                      .sort = sort,
                                      .lat = 30.27,
                                      .lon = 120.17,
                                      .limit = 100,
                                      .now_us = monday_at(22 * 60)});
      }
    }
  }
  auto dump = [](const SearchResult& r) {
    std::string s = fmt::format("total {}\n", r.total);
    for (const SearchHit& h : r.hits) {
      s += fmt::format("{} {} {:.9g} {} {} {} {}", h.id, h.name_en, h.score, h.price.value_or(-1),
                       h.distance_m.value_or(-1), h.open_now.value_or(false), h.merchant_id);
      for (const MatchedItem& i : h.matched_items) s += fmt::format(" [{} {:.9g}]", i.id, i.score);
      s += "\n";
    }
    return s;
  };
  auto compare = [&](std::string_view when) {
    int nonempty = 0;
    for (const SearchQuery& q : queries) {
      Result<SearchResult> a = sides[0].index->search(Actor::system(), q);
      Result<SearchResult> b = sides[1].index->search(Actor::system(), q);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(dump(*a), dump(*b)) << when << ": '" << q.text << "' " << search_kind_name(q.kind)
                                    << " " << search_sort_name(q.sort);
      nonempty += !a->hits.empty();
    }
    EXPECT_GT(nonempty, static_cast<int>(queries.size()) * 3 / 4) << when;
  };
  compare("after the build");
  for (Side& s : sides) {
    ASSERT_TRUE(
        s.db->transact([&](Tx& tx) -> Status {
              QWL_RETURN_IF_ERROR(product(tx, 100, s.corpus.mart, 2, 1, "Oolong Milk Tea",
                                          "乌龙奶茶", 44, 7, {{"", 2100, 5}}));
              QWL_RETURN_IF_ERROR(exec(tx, "UPDATE products SET listed = FALSE WHERE id = 9"));
              QWL_RETURN_IF_ERROR(
                  exec(tx, "UPDATE product_variants SET price = 1700 WHERE product_id = 1"));
              return item(tx, s.corpus.garden, "Milk tea", "奶茶", "Oat Milk Tea", "燕麦奶茶", 1900)
                  .status();
            })
            .ok());
    ASSERT_TRUE(s.index->refresh().ok());
  }
  compare("after a refresh");
}

}  // namespace
}  // namespace qwl::services

namespace qwl::services {
namespace {

// PostgreSQL hands out change ids in one order and commits them in another: a refresh that has
// read a later id must still pick up an earlier one committed afterwards. (SQLite has one
// writer, so ids commit in order there.)
TEST(SearchPostgres, ChangesCommittedOutOfIdOrderAreNotMissed) {
  auto db = testing::fresh_db(DbKind::kPostgres);
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  auto corpus = make_corpus(**db);
  ASSERT_TRUE(corpus.ok()) << corpus.status().to_string();
  ManualClock clock;
  auto index = SearchIndex::build(**db, clock);
  ASSERT_TRUE(index.ok());
  auto count = [&](const char* text) {
    return (*index)->search(Actor::system(), SearchQuery{.text = text})->total;
  };

  std::mutex mu;
  std::condition_variable cv;
  bool inserted = false, release = false;
  std::thread late([&] {
    Status s = (*db)->transact([&](Tx& tx) -> Status {
      QWL_RETURN_IF_ERROR(product(tx, 500, corpus->mart, 4, Value(), "Late Bloomer", "晚开", 40, 0,
                                  {{"", 100, 1}}));
      std::unique_lock lock(mu);
      inserted = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return inserted; });
  }
  // A later transaction takes later ids and commits first.
  ASSERT_TRUE((*db)
                  ->transact([&](Tx& tx) -> Status {
                    return product(tx, 501, corpus->mart, 4, Value(), "Early Bird", "早鸟", 40, 0,
                                   {{"", 100, 1}});
                  })
                  .ok());
  ASSERT_TRUE((*index)->refresh().ok());
  EXPECT_EQ(count("early bird"), 1);
  EXPECT_EQ(count("late bloomer"), 0);
  EXPECT_GT((*index)->stats().pending_gaps, 0);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  late.join();
  ASSERT_TRUE((*index)->refresh().ok());
  EXPECT_EQ(count("late bloomer"), 1);
  EXPECT_EQ((*index)->stats().pending_gaps, 0);

  // A rolled-back transaction leaves ids that never come; they are given up after a while.
  Status s = (*db)->transact([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(
        product(tx, 502, corpus->mart, 4, Value(), "Never", "从未", 40, 0, {{"", 100, 1}}));
    return InvalidArgumentError("rolled back");
  });
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*db)
                  ->transact([&](Tx& tx) -> Status {
                    return exec(tx, "UPDATE products SET sales = 1 WHERE id = 501");
                  })
                  .ok());
  ASSERT_TRUE((*index)->refresh().ok());
  EXPECT_GT((*index)->stats().pending_gaps, 0);
  EXPECT_EQ(count("never"), 0);
  clock.advance_us(SearchIndexOptions().gap_timeout_us + 1);
  ASSERT_TRUE((*index)->refresh().ok());
  EXPECT_EQ((*index)->stats().pending_gaps, 0);
}

}  // namespace
}  // namespace qwl::services
