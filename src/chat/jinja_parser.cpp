// Jinja parser: a recursive-descent parser with the same productions as jinja2's Parser
// (parse_condexpr -> or -> and -> not -> compare -> math1 (+ -) -> concat (~) -> math2
// (* / // %) -> pow -> unary -> primary + postfix + filters/tests), so that precedence and
// the odd corners (a test's argument without parentheses, "not" before "in", a for-loop's
// "if" filter, an if-test that cannot be an inline if) parse as jinja2 parses them.
#include "chat/jinja_parser.h"

#include <fmt/format.h>

#include <initializer_list>

namespace qwl::jinja {
namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  std::unique_ptr<Program> run() {
    auto program = std::make_unique<Program>();
    program->body = subparse({});
    return program;
  }

 private:
  // Guards recursion depth in expressions and nested blocks.
  struct DepthGuard {
    explicit DepthGuard(Parser* p) : p(p) {
      if (++p->depth_ > kMaxNesting)
        throw TemplateError(fmt::format("template nested deeper than {} levels", kMaxNesting),
                            p->cur().pos, TemplateError::Kind::kLimit);
    }
    ~DepthGuard() { --p->depth_; }
    Parser* p;
  };

  // A left-leaning chain ("a + b + c ...", "x|f|g ...", "a.b.c ...") builds a tree as deep as
  // it is long: each link counts as one level of nesting until the chain's expression ends.
  struct ChainGuard {
    explicit ChainGuard(Parser* p) : p(p) {}
    void link() {
      ++n;
      if (++p->depth_ > kMaxNesting)
        throw TemplateError(fmt::format("expression nested deeper than {} levels", kMaxNesting),
                            p->cur().pos, TemplateError::Kind::kLimit);
    }
    ~ChainGuard() { p->depth_ -= n; }
    Parser* p;
    int n = 0;
  };

  const Token& cur() const { return toks_[i_]; }
  const Token& look() const { return toks_[i_ + 1 < toks_.size() ? i_ + 1 : i_]; }
  const Token& next() {
    const Token& t = toks_[i_];
    if (i_ + 1 < toks_.size()) ++i_;
    return t;
  }
  bool at_eof() const { return cur().type == TokenType::kEof; }

  [[noreturn]] void fail(const std::string& message, SourcePos pos) const {
    throw TemplateError(message, pos);
  }
  [[noreturn]] void fail(const std::string& message) const { fail(message, cur().pos); }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case TokenType::kEof:
        return "end of template";
      case TokenType::kBlockEnd:
        return "end of statement block";
      case TokenType::kVariableEnd:
        return "end of print statement";
      case TokenType::kBlockBegin:
        return "begin of statement block";
      case TokenType::kVariableBegin:
        return "begin of print statement";
      case TokenType::kData:
        return "template data";
      case TokenType::kString:
        return "string";
      case TokenType::kInteger:
        return "integer";
      case TokenType::kFloat:
        return "float";
      default:
        return t.text;
    }
  }

  bool is_op(std::string_view op) const { return cur().is_op(op); }
  bool is_name(std::string_view n) const { return cur().is_name(n); }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view n) {
    if (!is_name(n)) return false;
    next();
    return true;
  }
  const Token& expect_op(std::string_view op) {
    if (!is_op(op)) fail(fmt::format("expected token '{}', got '{}'", op, describe(cur())));
    return next();
  }
  const Token& expect_name() {
    if (cur().type != TokenType::kName)
      fail(fmt::format("expected token 'name', got '{}'", describe(cur())));
    return next();
  }
  void expect_name(std::string_view n) {
    if (!is_name(n)) fail(fmt::format("expected token '{}', got '{}'", n, describe(cur())));
    next();
  }
  void expect_type(TokenType type, std::string_view what) {
    if (cur().type != type)
      fail(fmt::format("expected token '{}', got '{}'", what, describe(cur())));
    next();
  }
  void expect_block_end() { expect_type(TokenType::kBlockEnd, "end of statement block"); }

  static ExprPtr make(ExprKind kind, SourcePos pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }

  // ---- statements -------------------------------------------------------------------------

  bool at_end_token(const std::vector<std::string_view>& end_names) const {
    for (auto n : end_names)
      if (cur().is_name(n)) return true;
    return false;
  }

  Body subparse(const std::vector<std::string_view>& end_names) {
    DepthGuard guard(this);
    Body body;
    while (!at_eof()) {
      const Token& t = cur();
      if (t.type == TokenType::kData) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::kText;
        s->pos = t.pos;
        s->text = t.text;
        body.push_back(std::move(s));
        next();
      } else if (t.type == TokenType::kVariableBegin) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::kOutput;
        s->pos = t.pos;
        next();
        s->expr = parse_tuple(false, true, {}, false);
        expect_type(TokenType::kVariableEnd, "end of print statement");
        body.push_back(std::move(s));
      } else if (t.type == TokenType::kBlockBegin) {
        next();
        if (!end_names.empty() && at_end_token(end_names)) return body;
        parse_statement(&body);
        expect_block_end();
      } else {
        fail(fmt::format("unexpected '{}'", describe(t)));
      }
    }
    return body;
  }

  void fail_eof(const std::vector<std::string_view>& end_names, SourcePos open_pos) const {
    std::string looking;
    for (size_t k = 0; k < end_names.size(); ++k) {
      if (k) looking += " or ";
      looking += fmt::format("'{}'", end_names[k]);
    }
    fail(fmt::format("Unexpected end of template. Jinja was looking for the following tags: {}. "
                     "The innermost block that needs to be closed starts here.",
                     looking),
         open_pos);
  }

  Body parse_statements(const std::vector<std::string_view>& end_names, bool drop_needle,
                        SourcePos open_pos) {
    skip_op(":");
    expect_block_end();
    Body body = subparse(end_names);
    if (at_eof()) fail_eof(end_names, open_pos);
    if (drop_needle) next();
    return body;
  }

  void parse_statement(Body* out) {
    const Token& t = cur();
    if (t.type != TokenType::kName) fail("tag name expected");
    std::string tag = t.text;
    SourcePos pos = t.pos;
    auto stmt = std::make_unique<Stmt>();
    stmt->pos = pos;
    if (tag == "if") {
      parse_if(stmt.get());
    } else if (tag == "for") {
      parse_for(stmt.get());
    } else if (tag == "set") {
      parse_set(stmt.get());
    } else if (tag == "macro") {
      parse_macro(stmt.get());
    } else if (tag == "call") {
      parse_call_block(stmt.get());
    } else if (tag == "filter") {
      next();
      stmt->kind = StmtKind::kFilterBlock;
      stmt->expr = parse_filter(nullptr, true);
      stmt->body = parse_statements({"endfilter"}, true, pos);
    } else if (tag == "with") {
      parse_with(stmt.get());
    } else if (tag == "print") {
      next();
      // {% print a, b %} outputs each expression.
      bool first = true;
      while (cur().type != TokenType::kBlockEnd) {
        if (!first) expect_op(",");
        first = false;
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::kOutput;
        s->pos = cur().pos;
        s->expr = parse_expression(true);
        out->push_back(std::move(s));
      }
      return;
    } else if (tag == "break" || tag == "continue") {
      next();
      if (loop_depth_ == 0) fail(fmt::format("'{}' outside of a loop", tag), pos);
      stmt->kind = tag == "break" ? StmtKind::kBreak : StmtKind::kContinue;
    } else if (tag == "generation") {
      next();
      stmt->kind = StmtKind::kScope;
      stmt->body = parse_statements({"endgeneration"}, true, pos);
    } else if (tag == "extends" || tag == "include" || tag == "import" || tag == "from" ||
               tag == "block" || tag == "autoescape") {
      throw TemplateError(fmt::format("tag '{}' is not supported in chat templates", tag), pos,
                          TemplateError::Kind::kUnsupported);
    } else {
      fail(fmt::format("Encountered unknown tag '{}'.", tag), pos);
    }
    out->push_back(std::move(stmt));
  }

  void parse_if(Stmt* s) {
    s->kind = StmtKind::kIf;
    SourcePos pos = cur().pos;
    next();  // if
    while (true) {
      ExprPtr test = parse_tuple(false, false, {}, false);
      Body body = parse_statements({"elif", "else", "endif"}, false, pos);
      s->branches.emplace_back(std::move(test), std::move(body));
      const Token& t = next();
      if (t.is_name("elif")) continue;
      if (t.is_name("else")) s->else_body = parse_statements({"endif"}, true, pos);
      break;
    }
  }

  void parse_for(Stmt* s) {
    s->kind = StmtKind::kFor;
    SourcePos pos = cur().pos;
    next();  // for
    s->target = parse_assign_target(true, false, {"in"}, false);
    expect_name("in");
    s->expr = parse_tuple(false, false, {"recursive"}, false);
    if (skip_name("if")) s->filter_test = parse_expression(true);
    if (is_name("recursive"))
      throw TemplateError("recursive for loops are not supported", cur().pos,
                          TemplateError::Kind::kUnsupported);
    ++loop_depth_;
    s->body = parse_statements({"endfor", "else"}, false, pos);
    --loop_depth_;
    if (next().is_name("else")) {
      // jinja2 compiles the else branch outside the loop: break/continue there are errors.
      int saved = loop_depth_;
      loop_depth_ = 0;
      s->else_body = parse_statements({"endfor"}, true, pos);
      loop_depth_ = saved;
    }
  }

  void parse_set(Stmt* s) {
    SourcePos pos = cur().pos;
    next();  // set
    s->target = parse_assign_target(true, false, {}, true);
    if (skip_op("=")) {
      s->kind = StmtKind::kSet;
      s->expr = parse_tuple(false, true, {}, false);
      return;
    }
    s->kind = StmtKind::kSetBlock;
    if (is_op("|")) s->expr = parse_filter(nullptr, false);
    s->body = parse_statements({"endset"}, true, pos);
  }

  void parse_signature(Stmt* s) {
    expect_op("(");
    while (!is_op(")")) {
      if (!s->params.empty()) expect_op(",");
      const Token& name = expect_name();
      s->params.push_back(name.text);
      if (skip_op("=")) {
        s->defaults.push_back(parse_expression(true));
      } else if (!s->defaults.empty()) {
        fail("non-default argument follows default argument");
      }
    }
    expect_op(")");
  }

  void parse_macro(Stmt* s) {
    s->kind = StmtKind::kMacro;
    SourcePos pos = cur().pos;
    next();  // macro
    s->name = expect_name().text;
    parse_signature(s);
    int saved = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_statements({"endmacro"}, true, pos);
    loop_depth_ = saved;
    scan_body(s->body, s);
  }

  void parse_call_block(Stmt* s) {
    s->kind = StmtKind::kCallBlock;
    SourcePos pos = cur().pos;
    next();  // call
    if (is_op("(")) parse_signature(s);
    s->expr = parse_expression(true);
    if (s->expr->kind != ExprKind::kCall) fail("expected call", pos);
    int saved = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_statements({"endcall"}, true, pos);
    loop_depth_ = saved;
    scan_body(s->body, s);
  }

  void parse_with(Stmt* s) {
    s->kind = StmtKind::kWith;
    SourcePos pos = cur().pos;
    next();  // with
    while (cur().type != TokenType::kBlockEnd) {
      if (!s->with_targets.empty()) expect_op(",");
      s->with_targets.push_back(parse_assign_target(true, false, {}, false));
      expect_op("=");
      s->with_values.push_back(parse_expression(true));
    }
    s->body = parse_statements({"endwith"}, true, pos);
  }

  Target parse_assign_target(bool with_tuple, bool name_only,
                             const std::vector<std::string_view>& extra_end, bool with_namespace) {
    Target t;
    t.pos = cur().pos;
    if (with_namespace && cur().type == TokenType::kName && look().is_op(".")) {
      t.kind = Target::Kind::kNamespaceAttr;
      t.name = next().text;
      next();  // .
      t.attr = expect_name().text;
      return t;
    }
    if (name_only || !with_tuple) {
      t.kind = Target::Kind::kName;
      t.name = expect_name().text;
      return t;
    }
    // parse_tuple(simplified=True): names only (anything else cannot be assigned to).
    std::vector<Target> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      Target item;
      item.pos = cur().pos;
      if (cur().type != TokenType::kName || is_keyword_const(cur().text)) {
        fail(fmt::format("can't assign to '{}'", describe(cur())));
      }
      item.name = next().text;
      items.push_back(std::move(item));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (items.empty()) fail("Expected an expression, got '" + describe(cur()) + "'");
    if (!is_tuple) return std::move(items[0]);
    t.kind = Target::Kind::kTuple;
    t.items = std::move(items);
    return t;
  }

  static bool is_keyword_const(const std::string& n) {
    return n == "true" || n == "false" || n == "True" || n == "False" || n == "none" || n == "None";
  }

  // ---- expressions ------------------------------------------------------------------------

  bool is_tuple_end(const std::vector<std::string_view>& extra_end) const {
    TokenType t = cur().type;
    if (t == TokenType::kVariableEnd || t == TokenType::kBlockEnd || is_op(")")) return true;
    for (auto n : extra_end)
      if (cur().is_name(n)) return true;
    return false;
  }

  ExprPtr parse_tuple(bool simplified, bool with_condexpr,
                      const std::vector<std::string_view>& extra_end, bool explicit_parens) {
    SourcePos pos = cur().pos;
    std::vector<ExprPtr> args;
    bool is_tuple = false;
    while (true) {
      if (!args.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      args.push_back(simplified ? parse_primary() : parse_expression(with_condexpr));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!args.empty()) return std::move(args[0]);
      if (!explicit_parens) fail("Expected an expression, got '" + describe(cur()) + "'");
    }
    auto e = make(ExprKind::kTuple, pos);
    e->children = std::move(args);
    return e;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(this);
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  ExprPtr parse_condexpr() {
    ChainGuard chain(this);
    SourcePos pos = cur().pos;
    ExprPtr expr1 = parse_or();
    while (skip_name("if")) {
      chain.link();
      ExprPtr expr2 = parse_or();
      ExprPtr expr3;
      if (skip_name("else")) expr3 = parse_condexpr();
      auto e = make(ExprKind::kCondExpr, pos);
      e->children.push_back(std::move(expr2));
      e->children.push_back(std::move(expr1));
      e->children.push_back(std::move(expr3));
      expr1 = std::move(e);
      pos = cur().pos;
    }
    return expr1;
  }

  ExprPtr parse_or() {
    ChainGuard chain(this);
    SourcePos pos = cur().pos;
    ExprPtr left = parse_and();
    while (skip_name("or")) {
      chain.link();
      auto e = make(ExprKind::kOr, pos);
      e->children.push_back(std::move(left));
      e->children.push_back(parse_and());
      left = std::move(e);
      pos = cur().pos;
    }
    return left;
  }

  ExprPtr parse_and() {
    ChainGuard chain(this);
    SourcePos pos = cur().pos;
    ExprPtr left = parse_not();
    while (skip_name("and")) {
      chain.link();
      auto e = make(ExprKind::kAnd, pos);
      e->children.push_back(std::move(left));
      e->children.push_back(parse_not());
      left = std::move(e);
      pos = cur().pos;
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(this);
      SourcePos pos = next().pos;
      auto e = make(ExprKind::kNot, pos);
      e->children.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    SourcePos pos = cur().pos;
    ExprPtr expr = parse_math1();
    std::vector<CmpOp> ops;
    std::vector<ExprPtr> operands;
    while (true) {
      std::optional<CmpOp> op;
      if (is_op("==")) {
        op = CmpOp::kEq;
      } else if (is_op("!=")) {
        op = CmpOp::kNe;
      } else if (is_op("<")) {
        op = CmpOp::kLt;
      } else if (is_op("<=")) {
        op = CmpOp::kLe;
      } else if (is_op(">")) {
        op = CmpOp::kGt;
      } else if (is_op(">=")) {
        op = CmpOp::kGe;
      }
      if (op) {
        next();
      } else if (is_name("in")) {
        next();
        op = CmpOp::kIn;
      } else if (is_name("not") && look().is_name("in")) {
        next();
        next();
        op = CmpOp::kNotIn;
      } else {
        break;
      }
      ops.push_back(*op);
      operands.push_back(parse_math1());
    }
    if (ops.empty()) return expr;
    auto e = make(ExprKind::kCompare, pos);
    e->children.push_back(std::move(expr));
    for (auto& o : operands) e->children.push_back(std::move(o));
    e->cmp_ops = std::move(ops);
    return e;
  }

  ExprPtr binary(BinOp op, ExprPtr left, ExprPtr right, SourcePos pos) {
    auto e = make(ExprKind::kBinary, pos);
    e->bin_op = op;
    e->children.push_back(std::move(left));
    e->children.push_back(std::move(right));
    return e;
  }

  ExprPtr parse_math1() {
    ChainGuard chain(this);
    SourcePos pos = cur().pos;
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      chain.link();
      BinOp op = next().text == "+" ? BinOp::kAdd : BinOp::kSub;
      left = binary(op, std::move(left), parse_concat(), pos);
      pos = cur().pos;
    }
    return left;
  }

  ExprPtr parse_concat() {
    SourcePos pos = cur().pos;
    ExprPtr first = parse_math2();
    if (!is_op("~")) return first;
    auto e = make(ExprKind::kConcat, pos);
    e->children.push_back(std::move(first));
    while (skip_op("~")) e->children.push_back(parse_math2());
    return e;
  }

  ExprPtr parse_math2() {
    ChainGuard chain(this);
    SourcePos pos = cur().pos;
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      chain.link();
      const std::string& t = next().text;
      BinOp op = t == "*"    ? BinOp::kMul
                 : t == "/"  ? BinOp::kDiv
                 : t == "//" ? BinOp::kFloorDiv
                             : BinOp::kMod;
      left = binary(op, std::move(left), parse_pow(), pos);
      pos = cur().pos;
    }
    return left;
  }

  ExprPtr parse_pow() {
    ChainGuard chain(this);
    SourcePos pos = cur().pos;
    ExprPtr left = parse_unary(true);
    while (skip_op("**")) {
      chain.link();
      left = binary(BinOp::kPow, std::move(left), parse_unary(true), pos);
      pos = cur().pos;
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(this);
    SourcePos pos = cur().pos;
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      UnaryOp op = next().text == "-" ? UnaryOp::kNeg : UnaryOp::kPos;
      node = make(ExprKind::kUnary, pos);
      node->unary_op = op;
      node->children.push_back(parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    DepthGuard guard(this);
    const Token& t = cur();
    SourcePos pos = t.pos;
    if (t.type == TokenType::kName) {
      ExprPtr e;
      if (t.text == "true" || t.text == "True" || t.text == "false" || t.text == "False") {
        e = make(ExprKind::kLiteral, pos);
        e->literal = Value(t.text == "true" || t.text == "True");
      } else if (t.text == "none" || t.text == "None") {
        e = make(ExprKind::kLiteral, pos);
        e->literal = Value::none();
      } else {
        e = make(ExprKind::kName, pos);
        e->name = t.text;
      }
      next();
      return e;
    }
    if (t.type == TokenType::kString) {
      std::string s;
      while (cur().type == TokenType::kString) s += next().text;  // adjacent literals join
      auto e = make(ExprKind::kLiteral, pos);
      e->literal = Value(std::move(s));
      return e;
    }
    if (t.type == TokenType::kInteger || t.type == TokenType::kFloat) {
      auto e = make(ExprKind::kLiteral, pos);
      e->literal = t.type == TokenType::kInteger ? Value(t.int_value) : Value(t.float_value);
      next();
      return e;
    }
    if (t.is_op("(")) {
      next();
      ExprPtr e = parse_tuple(false, true, {}, true);
      expect_op(")");
      return e;
    }
    if (t.is_op("[")) return parse_list();
    if (t.is_op("{")) return parse_dict();
    fail(fmt::format("unexpected '{}'", describe(t)));
  }

  ExprPtr parse_list() {
    SourcePos pos = expect_op("[").pos;
    auto e = make(ExprKind::kList, pos);
    while (!is_op("]")) {
      if (!e->children.empty()) expect_op(",");
      if (is_op("]")) break;
      e->children.push_back(parse_expression(true));
    }
    expect_op("]");
    return e;
  }

  ExprPtr parse_dict() {
    SourcePos pos = expect_op("{").pos;
    auto e = make(ExprKind::kDict, pos);
    while (!is_op("}")) {
      if (!e->children.empty()) expect_op(",");
      if (is_op("}")) break;
      e->children.push_back(parse_expression(true));
      expect_op(":");
      e->children.push_back(parse_expression(true));
    }
    expect_op("}");
    return e;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    ChainGuard chain(this);
    while (true) {
      if (is_op(".") || is_op("[") || is_op("(")) chain.link();
      if (is_op(".") || is_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        break;
      }
    }
    return node;
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    ChainGuard chain(this);
    while (true) {
      if (is_op("|") || is_name("is") || is_op("(")) chain.link();
      if (is_op("|")) {
        node = parse_filter(std::move(node), false);
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        break;
      }
    }
    return node;
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const Token& t = next();
    SourcePos pos = t.pos;
    if (t.is_op(".")) {
      const Token& attr = next();
      if (attr.type == TokenType::kName) {
        auto e = make(ExprKind::kGetAttr, pos);
        e->name = attr.text;
        e->children.push_back(std::move(node));
        return e;
      }
      if (attr.type != TokenType::kInteger) fail("expected name or number", attr.pos);
      auto key = make(ExprKind::kLiteral, attr.pos);
      key->literal = Value(attr.int_value);
      auto e = make(ExprKind::kGetItem, pos);
      e->children.push_back(std::move(node));
      e->children.push_back(std::move(key));
      return e;
    }
    // "[" subscripts "]"
    std::vector<ExprPtr> args;
    while (!is_op("]")) {
      if (!args.empty()) expect_op(",");
      args.push_back(parse_subscribed());
    }
    expect_op("]");
    auto e = make(ExprKind::kGetItem, pos);
    e->children.push_back(std::move(node));
    if (args.size() == 1) {
      e->children.push_back(std::move(args[0]));
    } else {
      auto tuple = make(ExprKind::kTuple, pos);
      tuple->children = std::move(args);
      e->children.push_back(std::move(tuple));
    }
    return e;
  }

  ExprPtr parse_subscribed() {
    SourcePos pos = cur().pos;
    std::vector<ExprPtr> parts;
    if (is_op(":")) {
      next();
      parts.push_back(nullptr);
    } else {
      ExprPtr node = parse_expression(true);
      if (!is_op(":")) return node;
      next();
      parts.push_back(std::move(node));
    }
    if (is_op(":")) {
      parts.push_back(nullptr);
    } else if (!is_op("]") && !is_op(",")) {
      parts.push_back(parse_expression(true));
    } else {
      parts.push_back(nullptr);
    }
    if (is_op(":")) {
      next();
      if (!is_op("]") && !is_op(",")) {
        parts.push_back(parse_expression(true));
      } else {
        parts.push_back(nullptr);
      }
    } else {
      parts.push_back(nullptr);
    }
    auto e = make(ExprKind::kSlice, pos);
    e->children = std::move(parts);
    return e;
  }

  void parse_call_args(CallArgs* args) {
    SourcePos pos = expect_op("(").pos;
    bool require_comma = false;
    auto ensure = [&](bool ok) {
      if (!ok) fail("invalid syntax for function call expression", pos);
    };
    while (!is_op(")")) {
      if (require_comma) {
        expect_op(",");
        if (is_op(")")) break;
      }
      if (is_op("*")) {
        ensure(!args->star && !args->star_star);
        next();
        args->star = parse_expression(true);
      } else if (is_op("**")) {
        ensure(!args->star_star);
        next();
        args->star_star = parse_expression(true);
      } else if (cur().type == TokenType::kName && look().is_op("=")) {
        ensure(!args->star_star);
        std::string key = next().text;
        next();  // =
        args->keyword.emplace_back(std::move(key), parse_expression(true));
      } else {
        ensure(!args->star && !args->star_star && args->keyword.empty());
        args->positional.push_back(parse_expression(true));
      }
      require_comma = true;
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr node) {
    auto e = make(ExprKind::kCall, cur().pos);
    parse_call_args(&e->args);
    e->children.push_back(std::move(node));
    return e;
  }

  ExprPtr parse_filter(ExprPtr node, bool start_inline) {
    ChainGuard chain(this);
    while (is_op("|") || start_inline) {
      chain.link();
      if (!start_inline) next();
      const Token& name_tok = expect_name();
      auto e = make(ExprKind::kFilter, name_tok.pos);
      e->name = name_tok.text;
      while (is_op(".")) {
        next();
        e->name += "." + expect_name().text;
      }
      if (is_op("(")) parse_call_args(&e->args);
      e->children.push_back(std::move(node));
      node = std::move(e);
      start_inline = false;
    }
    return node;
  }

  ExprPtr parse_test(ExprPtr node) {
    SourcePos pos = next().pos;  // is
    bool negated = skip_name("not");
    const Token& name_tok = expect_name();
    auto e = make(ExprKind::kTest, pos);
    e->name = name_tok.text;
    while (is_op(".")) {
      next();
      e->name += "." + expect_name().text;
    }
    const Token& t = cur();
    if (t.is_op("(")) {
      parse_call_args(&e->args);
    } else if ((t.type == TokenType::kName || t.type == TokenType::kString ||
                t.type == TokenType::kInteger || t.type == TokenType::kFloat || t.is_op("[") ||
                t.is_op("{")) &&
               !t.is_name("else") && !t.is_name("or") && !t.is_name("and")) {
      // A single argument without parentheses: "x is divisibleby 3", "x is in [1, 2]".
      if (t.is_name("is")) fail("You cannot chain multiple tests with is");
      ExprPtr arg = parse_postfix(parse_primary());
      e->args.positional.push_back(std::move(arg));
    }
    e->children.push_back(std::move(node));
    if (!negated) return e;
    auto n = make(ExprKind::kNot, pos);
    n->children.push_back(std::move(e));
    return n;
  }

  // Which of varargs / kwargs / caller a macro body reads (nested macros included, as in
  // jinja2's find_undeclared over the body).
  static void scan_names(const Expr* e, Stmt* m) {
    if (!e) return;
    if (e->kind == ExprKind::kName) {
      if (e->name == "varargs") m->catch_varargs = true;
      if (e->name == "kwargs") m->catch_kwargs = true;
      if (e->name == "caller") m->uses_caller = true;
    }
    for (const auto& c : e->children) scan_names(c.get(), m);
    for (const auto& c : e->args.positional) scan_names(c.get(), m);
    for (const auto& [k, c] : e->args.keyword) scan_names(c.get(), m);
    scan_names(e->args.star.get(), m);
    scan_names(e->args.star_star.get(), m);
  }
  static void scan_body(const Body& body, Stmt* m) {
    for (const auto& s : body) {
      scan_names(s->expr.get(), m);
      scan_names(s->filter_test.get(), m);
      for (const auto& [cond, b] : s->branches) {
        scan_names(cond.get(), m);
        scan_body(b, m);
      }
      for (const auto& d : s->defaults) scan_names(d.get(), m);
      for (const auto& v : s->with_values) scan_names(v.get(), m);
      scan_body(s->body, m);
      scan_body(s->else_body, m);
    }
  }

  std::vector<Token> toks_;
  size_t i_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

std::unique_ptr<Program> parse_template(std::string_view source) {
  return Parser(tokenize(source)).run();
}

}  // namespace qwl::jinja
