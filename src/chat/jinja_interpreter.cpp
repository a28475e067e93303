// Jinja interpreter: statements, expressions, attribute and item access, calls and macros.
//
// Errors are C++ exceptions (TemplateError) inside this file and jinja_builtins.cpp only: a
// render is deep recursion over the tree, and unwinding to the one catch in chat_template.cpp
// keeps every evaluation step free of error plumbing. The public API returns Status.
//
// Python semantics that matter for byte equality with jinja2 and are easy to get wrong:
//   - "and"/"or" return an operand, not a bool ("{{ x or 'd' }}");
//   - a comparison chain "a < b == c" is (a < b) and (b == c), evaluated left to right;
//   - a missing "else" of an inline if yields Undefined (prints "");
//   - dict.attr finds methods (items, keys, values, get) before keys, dict['key'] finds keys
//     first; a missing key, index or attribute yields Undefined, but any access on Undefined
//     fails;
//   - int // and % round toward negative infinity; float // and % follow CPython's
//     float_floor_div / float_rem.
#include "chat/jinja_interpreter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace qwl::jinja {

// ---- frames and objects -----------------------------------------------------------------

const Value* Frame::find(std::string_view name) const {
  for (const Frame* f = this; f; f = f->parent_.get()) {
    for (auto it = f->vars_.rbegin(); it != f->vars_.rend(); ++it)
      if (it->first == name) return &it->second;
  }
  return nullptr;
}

void Frame::set(const std::string& name, Value v) {
  for (auto& [k, val] : vars_) {
    if (k == name) {
      val = std::move(v);
      return;
    }
  }
  vars_.emplace_back(name, std::move(v));
}

std::string NamespaceObject::describe() const {
  return "<Namespace " + py_repr(Value(attrs)) + ">";
}

std::string MacroObject::describe() const {
  return fmt::format("<Macro {}>",
                     py_repr_string(def->kind == StmtKind::kMacro ? def->name : "caller"));
}

std::string BuiltinObject::describe() const {
  return fmt::format("<built-in function {}>", name);
}

std::string MethodObject::describe() const {
  return fmt::format("<built-in method {} of {} object>", name, py_type_name(receiver));
}

std::string LoopObject::describe() const {
  return fmt::format("<LoopContext {}/{}>", index0 + 1, items->size());
}

std::string IteratorObject::describe() const {
  switch (flavor) {
    case Flavor::kGenerator:
      return fmt::format("<{} object>", name);
    case Flavor::kRange:
      if (range_step == 1) return fmt::format("range({}, {})", range_start, range_stop);
      return fmt::format("range({}, {}, {})", range_start, range_stop, range_step);
    case Flavor::kView:
      break;
  }
  std::string out = name + "([";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    py_repr_append(items[i], &out);
  }
  return out + "])";
}

List IteratorObject::take_all() {
  if (flavor != Flavor::kGenerator) return items;
  List rest(items.begin() + static_cast<std::ptrdiff_t>(pos), items.end());
  pos = items.size();
  return rest;
}

Value make_iterator(IteratorObject::Flavor flavor, std::string name, List items) {
  return Value(std::shared_ptr<Object>(
      make_object<IteratorObject>(flavor, std::move(name), std::move(items))));
}

IteratorObject* as_iterator(const Value& v) {
  if (!v.is_object() || v.object()->type() != Object::Type::kIterator) return nullptr;
  return static_cast<IteratorObject*>(v.object().get());
}

// ---- errors and limits --------------------------------------------------------------------

void Interpreter::fail(const std::string& message, TemplateError::Kind kind) const {
  throw TemplateError(message, pos_, kind);
}

void Interpreter::fail_undefined(const Value& v) const {
  std::string hint = v.is_undefined() ? v.undefined_hint() : std::string();
  fail(hint.empty() ? "value is undefined" : hint);
}

void Interpreter::count_iteration() {
  if (++iterations_ > env_.limits.max_loop_iterations)
    fail(
        fmt::format("more than {} loop iterations (render limit)", env_.limits.max_loop_iterations),
        TemplateError::Kind::kLimit);
}

void Interpreter::check_size(size_t bytes) const {
  if (bytes > env_.limits.max_output_bytes)
    fail(fmt::format("string of {} bytes exceeds the render limit of {} bytes", bytes,
                     env_.limits.max_output_bytes),
         TemplateError::Kind::kLimit);
}

void Interpreter::check_items(size_t n) const {
  if (n > env_.limits.max_list_items)
    fail(fmt::format("list of {} items exceeds the render limit of {} items", n,
                     env_.limits.max_list_items),
         TemplateError::Kind::kLimit);
}

void Interpreter::append(std::string* out, std::string_view text) {
  if (out->size() + text.size() > env_.limits.max_output_bytes)
    fail(fmt::format("output exceeds the render limit of {} bytes", env_.limits.max_output_bytes),
         TemplateError::Kind::kLimit);
  out->append(text);
}

// ---- rendering ----------------------------------------------------------------------------

std::string Interpreter::render(const Program& program, const Dict& context) {
  auto globals = std::make_shared<Frame>(nullptr);
  for (const auto& name : builtin_globals())
    globals->set(name, Value(std::shared_ptr<Object>(std::make_shared<BuiltinObject>(name))));
  auto top = std::make_shared<Frame>(globals);
  for (const auto& [k, v] : context.entries)
    if (k.is_string()) top->set(k.str(), v);
  std::string out;
  struct ClearNamespaces {
    std::vector<std::shared_ptr<NamespaceObject>>* list;
    ~ClearNamespaces() {
      for (auto& ns : *list) ns->attrs.entries.clear();
      list->clear();
    }
  } clear{&namespaces_};
  exec_body(program.body, top, &out);
  return out;
}

Interpreter::Flow Interpreter::exec_body(const Body& body, const std::shared_ptr<Frame>& frame,
                                         std::string* out) {
  for (const auto& s : body) {
    Flow f = exec(*s, frame, out);
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::exec(const Stmt& s, const std::shared_ptr<Frame>& frame,
                                    std::string* out) {
  pos_ = s.pos;
  switch (s.kind) {
    case StmtKind::kText:
      append(out, s.text);
      return Flow::kNormal;
    case StmtKind::kOutput: {
      Value v = eval(*s.expr, frame);
      if (v.is_string()) {
        append(out, v.str());
      } else {
        append(out, py_str(v));
      }
      return Flow::kNormal;
    }
    case StmtKind::kIf:
      for (const auto& [cond, body] : s.branches) {
        if (eval(*cond, frame).truthy()) return exec_body(body, frame, out);
      }
      return exec_body(s.else_body, frame, out);
    case StmtKind::kFor:
      exec_for(s, frame, out);
      return Flow::kNormal;
    case StmtKind::kSet: {
      Value v = eval(*s.expr, frame);
      pos_ = s.pos;
      assign(s.target, v, *frame);
      return Flow::kNormal;
    }
    case StmtKind::kSetBlock: {
      std::string text;
      auto inner = std::make_shared<Frame>(frame);
      exec_body(s.body, inner, &text);
      Value v(std::move(text));
      if (s.expr) {
        // The filter chain's innermost operand is null: it stands for the rendered body.
        std::vector<const Expr*> chain;
        for (const Expr* e = s.expr.get(); e; e = e->children[0].get()) chain.push_back(e);
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
          pos_ = (*it)->pos;
          v = apply_filter((*it)->name, v, eval_args((*it)->args, frame));
        }
      }
      pos_ = s.pos;
      assign(s.target, v, *frame);
      return Flow::kNormal;
    }
    case StmtKind::kMacro:
      frame->set(s.name, Value(std::shared_ptr<Object>(make_object<MacroObject>(&s, frame))));
      return Flow::kNormal;
    case StmtKind::kCallBlock: {
      const Expr& call_expr = *s.expr;
      Value callee = eval(*call_expr.children[0], frame);
      Args args = eval_args(call_expr.args, frame);
      Value caller(std::shared_ptr<Object>(make_object<MacroObject>(&s, frame)));
      args.keyword.emplace_back("caller", caller);
      pos_ = s.pos;
      Value v = call(callee, std::move(args));
      append(out, py_str(v));
      return Flow::kNormal;
    }
    case StmtKind::kFilterBlock: {
      std::string text;
      auto inner = std::make_shared<Frame>(frame);
      exec_body(s.body, inner, &text);
      Value v(std::move(text));
      std::vector<const Expr*> chain;
      for (const Expr* e = s.expr.get(); e; e = e->children[0].get()) chain.push_back(e);
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        pos_ = (*it)->pos;
        v = apply_filter((*it)->name, v, eval_args((*it)->args, frame));
      }
      append(out, py_str(v));
      return Flow::kNormal;
    }
    case StmtKind::kWith: {
      auto inner = std::make_shared<Frame>(frame);
      for (size_t i = 0; i < s.with_targets.size(); ++i) {
        Value v = eval(*s.with_values[i], frame);
        assign(s.with_targets[i], v, *inner);
      }
      return exec_body(s.body, inner, out);
    }
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
    case StmtKind::kScope: {
      auto inner = std::make_shared<Frame>(frame);
      exec_body(s.body, inner, out);
      return Flow::kNormal;
    }
  }
  return Flow::kNormal;
}

void Interpreter::exec_for(const Stmt& s, const std::shared_ptr<Frame>& frame, std::string* out) {
  Value iterable = eval(*s.expr, frame);
  pos_ = s.pos;
  List items = iterate(iterable);
  if (s.filter_test) {
    List kept;
    for (auto& item : items) {
      count_iteration();
      auto probe = std::make_shared<Frame>(frame);
      assign(s.target, item, *probe);
      if (eval(*s.filter_test, probe).truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    auto inner = std::make_shared<Frame>(frame);
    exec_body(s.else_body, inner, out);
    return;
  }
  auto loop = make_object<LoopObject>();
  loop->items = std::make_shared<const List>(std::move(items));
  Value loop_value{std::shared_ptr<Object>(loop)};
  for (size_t i = 0; i < loop->items->size(); ++i) {
    count_iteration();
    loop->index0 = i;
    auto inner = std::make_shared<Frame>(frame);
    pos_ = s.pos;
    assign(s.target, (*loop->items)[i], *inner);
    inner->set("loop", loop_value);
    Flow f = exec_body(s.body, inner, out);
    if (f == Flow::kBreak) break;
  }
}

void Interpreter::assign(const Target& t, const Value& v, Frame& frame) {
  switch (t.kind) {
    case Target::Kind::kName:
      frame.set(t.name, v);
      return;
    case Target::Kind::kTuple: {
      List parts = iterate(v);
      if (parts.size() != t.items.size()) {
        fail(parts.size() > t.items.size()
                 ? fmt::format("too many values to unpack (expected {})", t.items.size())
                 : fmt::format("not enough values to unpack (expected {}, got {})", t.items.size(),
                               parts.size()));
      }
      for (size_t i = 0; i < parts.size(); ++i) assign(t.items[i], parts[i], frame);
      return;
    }
    case Target::Kind::kNamespaceAttr: {
      const Value* ns = frame.find(t.name);
      if (!ns || !ns->is_object() || ns->object()->type() != Object::Type::kNamespace)
        fail("cannot assign attribute on non-namespace object");
      static_cast<NamespaceObject*>(ns->object().get())->attrs.set(Value(t.attr), v);
      return;
    }
  }
}

// ---- expressions --------------------------------------------------------------------------

Args Interpreter::eval_args(const CallArgs& a, const std::shared_ptr<Frame>& frame) {
  Args args;
  for (const auto& e : a.positional) args.positional.push_back(eval(*e, frame));
  for (const auto& [k, e] : a.keyword) args.keyword.emplace_back(k, eval(*e, frame));
  if (a.star) {
    Value extra = eval(*a.star, frame);
    for (auto& v : iterate(extra)) args.positional.push_back(std::move(v));
  }
  if (a.star_star) {
    Value extra = eval(*a.star_star, frame);
    if (!extra.is_dict()) fail("argument after ** must be a mapping");
    for (const auto& [k, v] : extra.dict().entries) {
      if (!k.is_string()) fail("keywords must be strings");
      args.keyword.emplace_back(k.str(), v);
    }
  }
  return args;
}

Value Interpreter::eval(const Expr& e, const std::shared_ptr<Frame>& frame) {
  pos_ = e.pos;
  switch (e.kind) {
    case ExprKind::kLiteral:
      return e.literal;
    case ExprKind::kName: {
      const Value* v = frame->find(e.name);
      if (v) return *v;
      return Value::undefined(fmt::format("'{}' is undefined", e.name));
    }
    case ExprKind::kList:
    case ExprKind::kTuple: {
      List items;
      for (const auto& c : e.children) items.push_back(eval(*c, frame));
      return e.kind == ExprKind::kList ? Value(std::move(items)) : Value::tuple(std::move(items));
    }
    case ExprKind::kDict: {
      Dict d;
      for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
        Value k = eval(*e.children[i], frame);
        Value v = eval(*e.children[i + 1], frame);
        if (k.is_list() || k.is_dict() || k.is_undefined()) {
          pos_ = e.pos;
          fail(fmt::format("unhashable type: '{}'", py_type_name(k)));
        }
        d.set(std::move(k), std::move(v));
      }
      return Value(std::move(d));
    }
    case ExprKind::kGetAttr: {
      Value obj = eval(*e.children[0], frame);
      pos_ = e.pos;
      return getattr(obj, e.name);
    }
    case ExprKind::kGetItem: {
      Value obj = eval(*e.children[0], frame);
      const Expr& key = *e.children[1];
      if (key.kind == ExprKind::kSlice) {
        Value parts[3];
        for (int i = 0; i < 3; ++i)
          parts[i] = key.children[i] ? eval(*key.children[i], frame) : Value::none();
        pos_ = e.pos;
        bool lenient = is_constant(*e.children[0]);
        for (const auto& part : key.children) lenient = lenient && (!part || is_constant(*part));
        return slice(obj, parts[0], parts[1], parts[2], lenient);
      }
      Value k = eval(key, frame);
      pos_ = e.pos;
      return getitem(obj, k);
    }
    case ExprKind::kSlice:
      fail("slice outside of a subscript");
    case ExprKind::kCall: {
      Value callee = eval(*e.children[0], frame);
      Args args = eval_args(e.args, frame);
      pos_ = e.pos;
      return call(callee, std::move(args));
    }
    case ExprKind::kFilter: {
      Value operand = eval(*e.children[0], frame);
      Args args = eval_args(e.args, frame);
      pos_ = e.pos;
      return apply_filter(e.name, operand, std::move(args));
    }
    case ExprKind::kTest: {
      Value operand = eval(*e.children[0], frame);
      Args args = eval_args(e.args, frame);
      pos_ = e.pos;
      return Value(apply_test(e.name, operand, std::move(args)));
    }
    case ExprKind::kUnary: {
      Value v = eval(*e.children[0], frame);
      pos_ = e.pos;
      if (v.is_undefined()) fail_undefined(v);
      if (!v.is_number())
        fail(fmt::format("bad operand type for unary {}: '{}'",
                         e.unary_op == UnaryOp::kNeg ? "-" : "+", py_type_name(v)));
      if (e.unary_op == UnaryOp::kPos) return v.is_bool() ? Value(int64_t{v.as_bool()}) : v;
      if (v.is_float()) return Value(-v.as_float());
      int64_t i = v.is_bool() ? int64_t{v.as_bool()} : v.as_int();
      if (i == std::numeric_limits<int64_t>::min())
        fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
      return Value(-i);
    }
    case ExprKind::kBinary: {
      Value a = eval(*e.children[0], frame);
      Value b = eval(*e.children[1], frame);
      pos_ = e.pos;
      return eval_binary(e, a, b);
    }
    case ExprKind::kCompare: {
      Value left = eval(*e.children[0], frame);
      for (size_t i = 0; i < e.cmp_ops.size(); ++i) {
        Value right = eval(*e.children[i + 1], frame);
        pos_ = e.pos;
        if (!eval_compare(e.cmp_ops[i], left, right)) return Value(false);
        left = std::move(right);
      }
      return Value(true);
    }
    case ExprKind::kAnd: {
      Value a = eval(*e.children[0], frame);
      if (!a.truthy()) return a;
      return eval(*e.children[1], frame);
    }
    case ExprKind::kOr: {
      Value a = eval(*e.children[0], frame);
      if (a.truthy()) return a;
      return eval(*e.children[1], frame);
    }
    case ExprKind::kNot:
      return Value(!eval(*e.children[0], frame).truthy());
    case ExprKind::kCondExpr: {
      if (eval(*e.children[0], frame).truthy()) return eval(*e.children[1], frame);
      if (e.children[2]) return eval(*e.children[2], frame);
      return Value::undefined(
          "the inline if expression on evaluated to false and no else section was defined.");
    }
    case ExprKind::kConcat: {
      std::string s;
      for (const auto& c : e.children) {
        Value v = eval(*c, frame);
        if (v.is_string()) {
          s += v.str();
        } else {
          s += py_str(v);
        }
        pos_ = e.pos;
        check_size(s.size());
      }
      return Value(std::move(s));
    }
  }
  fail("unknown expression");
}

namespace {

int64_t as_int_value(const Value& v) {
  return v.is_bool() ? int64_t{v.as_bool()} : v.as_int();
}

const char* op_text(BinOp op) {
  switch (op) {
    case BinOp::kAdd:
      return "+";
    case BinOp::kSub:
      return "-";
    case BinOp::kMul:
      return "*";
    case BinOp::kDiv:
      return "/";
    case BinOp::kFloorDiv:
      return "//";
    case BinOp::kMod:
      return "%";
    case BinOp::kPow:
      return "** or pow()";
  }
  return "?";
}

// CPython's float floor division and remainder (floatobject.c: float_divmod).
void float_divmod(double vx, double wx, double* floordiv, double* mod) {
  double m = std::fmod(vx, wx);
  double div = (vx - m) / wx;
  if (m != 0.0) {
    if ((wx < 0) != (m < 0)) {
      m += wx;
      div -= 1.0;
    }
  } else {
    m = std::copysign(0.0, wx);
  }
  double fd;
  if (div != 0.0) {
    fd = std::floor(div);
    if (div - fd > 0.5) fd += 1.0;
  } else {
    fd = std::copysign(0.0, vx / wx);
  }
  *floordiv = fd;
  *mod = m;
}

}  // namespace

// The TypeError Python raises for a binary operator on unsupported operand types.
[[noreturn]] void Interpreter::binary_type_error(BinOp op, const Value& a, const Value& b) const {
  if (op == BinOp::kAdd && (a.is_string() || a.is_list() || a.is_tuple()))
    fail(fmt::format("can only concatenate {} (not \"{}\") to {}", py_type_name(a), py_type_name(b),
                     py_type_name(a)));
  if (op == BinOp::kMul &&
      (a.is_string() || a.is_sequence_like() || b.is_string() || b.is_sequence_like()))
    fail(fmt::format("can't multiply sequence by non-int of type '{}'",
                     py_type_name(a.is_string() || a.is_sequence_like() ? b : a)));
  fail(fmt::format("unsupported operand type(s) for {}: '{}' and '{}'", op_text(op),
                   py_type_name(a), py_type_name(b)));
}

Value Interpreter::eval_binary(const Expr& e, const Value& a, const Value& b) {
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  BinOp op = e.bin_op;
  auto type_error = [&]() { binary_type_error(op, a, b); };
  const bool numbers = a.is_number() && b.is_number();
  const bool ints = numbers && !a.is_float() && !b.is_float();
  switch (op) {
    case BinOp::kAdd:
      if (ints) {
        int64_t r;
        if (__builtin_add_overflow(as_int_value(a), as_int_value(b), &r))
          fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
        return Value(r);
      }
      if (numbers) return Value(a.to_double() + b.to_double());
      if (a.is_string() && b.is_string()) {
        if (a.is_markup() || b.is_markup()) {
          // markupsafe: the plain operand is HTML-escaped, the result is Markup.
          std::string r = (a.is_markup() ? a.str() : html_escape(a.str())) +
                          (b.is_markup() ? b.str() : html_escape(b.str()));
          check_size(r.size());
          return Value::markup(std::move(r));
        }
        check_size(a.str().size() + b.str().size());
        return Value(a.str() + b.str());
      }
      if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
        check_items(a.items().size() + b.items().size());
        List r = a.items();
        r.insert(r.end(), b.items().begin(), b.items().end());
        return a.is_list() ? Value(std::move(r)) : Value::tuple(std::move(r));
      }
      binary_type_error(op, a, b);
    case BinOp::kSub:
      if (ints) {
        int64_t r;
        if (__builtin_sub_overflow(as_int_value(a), as_int_value(b), &r))
          fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
        return Value(r);
      }
      if (numbers) return Value(a.to_double() - b.to_double());
      binary_type_error(op, a, b);
    case BinOp::kMul: {
      if (ints) {
        int64_t r;
        if (__builtin_mul_overflow(as_int_value(a), as_int_value(b), &r))
          fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
        return Value(r);
      }
      if (numbers) return Value(a.to_double() * b.to_double());
      const Value* seq = nullptr;
      const Value* count = nullptr;
      if ((a.is_string() || a.is_sequence_like()) && (b.is_int() || b.is_bool())) {
        seq = &a;
        count = &b;
      } else if ((b.is_string() || b.is_sequence_like()) && (a.is_int() || a.is_bool())) {
        seq = &b;
        count = &a;
      }
      if (!seq) type_error();
      int64_t n = std::max<int64_t>(0, as_int_value(*count));
      if (seq->is_string()) {
        const std::string& s = seq->str();
        if (!s.empty())
          check_size(static_cast<size_t>(n) > env_.limits.max_output_bytes / s.size()
                         ? env_.limits.max_output_bytes + 1
                         : s.size() * static_cast<size_t>(n));
        std::string r;
        r.reserve(s.size() * static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) r += s;
        return seq->is_markup() ? Value::markup(std::move(r)) : Value(std::move(r));
      }
      const List& items = seq->items();
      if (!items.empty())
        check_items(static_cast<size_t>(n) > env_.limits.max_list_items
                        ? env_.limits.max_list_items + 1
                        : items.size() * static_cast<size_t>(n));
      List r;
      for (int64_t i = 0; i < n; ++i) r.insert(r.end(), items.begin(), items.end());
      return seq->is_list() ? Value(std::move(r)) : Value::tuple(std::move(r));
    }
    case BinOp::kDiv:
      if (!numbers) type_error();
      if (b.to_double() == 0.0) fail(ints ? "division by zero" : "float division by zero");
      return Value(a.to_double() / b.to_double());
    case BinOp::kFloorDiv:
    case BinOp::kMod:
      if (op == BinOp::kMod && a.is_string()) {
        if (a.is_markup()) return Value::markup(printf_format(*this, a.str(), b, true));
        return Value(printf_format(*this, a.str(), b, false));
      }
      if (!numbers) type_error();
      if (ints) {
        int64_t x = as_int_value(a);
        int64_t y = as_int_value(b);
        if (y == 0) fail("integer division or modulo by zero");
        if (x == std::numeric_limits<int64_t>::min() && y == -1) {
          if (op == BinOp::kMod) return Value(int64_t{0});
          fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
        }
        int64_t q = x / y;
        int64_t r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) {
          q -= 1;
          r += y;
        }
        return op == BinOp::kFloorDiv ? Value(q) : Value(r);
      } else {
        double x = a.to_double();
        double y = b.to_double();
        if (y == 0.0) fail(op == BinOp::kMod ? "float modulo" : "float floor division by zero");
        double fd, m;
        float_divmod(x, y, &fd, &m);
        return op == BinOp::kFloorDiv ? Value(fd) : Value(m);
      }
    case BinOp::kPow: {
      if (!numbers) type_error();
      if (ints && as_int_value(b) >= 0) {
        int64_t base = as_int_value(a);
        int64_t exp = as_int_value(b);
        int64_t r = 1;
        while (exp > 0) {
          if (exp & 1) {
            if (__builtin_mul_overflow(r, base, &r))
              fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
          }
          exp >>= 1;
          if (exp > 0 && __builtin_mul_overflow(base, base, &base))
            fail("integer overflow (ints are 64-bit here)", TemplateError::Kind::kUnsupported);
        }
        return Value(r);
      }
      double x = a.to_double();
      double y = b.to_double();
      if (x == 0.0 && y < 0) fail("0.0 cannot be raised to a negative power");
      if (x < 0 && y != std::floor(y)) fail("a negative number to a fractional power is complex");
      return Value(std::pow(x, y));
    }
  }
  binary_type_error(op, a, b);
}

bool Interpreter::eval_compare(CmpOp op, const Value& a, const Value& b) {
  switch (op) {
    case CmpOp::kEq:
      return py_equal(a, b);
    case CmpOp::kNe:
      return !py_equal(a, b);
    case CmpOp::kIn:
    case CmpOp::kNotIn: {
      bool found = false;
      if (b.is_string()) {
        if (a.is_undefined()) fail_undefined(a);
        if (!a.is_string())
          fail(fmt::format("'in <string>' requires string as left operand, not {}",
                           py_type_name(a)));
        found = b.str().find(a.str()) != std::string::npos;
      } else if (b.is_sequence_like()) {
        for (const auto& x : b.items())
          if (py_equal(x, a)) {
            found = true;
            break;
          }
      } else if (b.is_dict()) {
        if (a.is_list() || a.is_dict()) fail(fmt::format("unhashable type: '{}'", py_type_name(a)));
        found = b.dict().find(a) != nullptr;
      } else if (b.is_undefined()) {
        found = false;
      } else if (IteratorObject* it = as_iterator(b)) {
        // A generator is consumed up to the item found, as Python's "in" does.
        size_t start = it->flavor == IteratorObject::Flavor::kGenerator ? it->pos : 0;
        for (size_t i = start; i < it->items.size(); ++i) {
          if (py_equal(it->items[i], a)) {
            found = true;
            if (it->flavor == IteratorObject::Flavor::kGenerator) it->pos = i + 1;
            break;
          }
        }
        if (!found && it->flavor == IteratorObject::Flavor::kGenerator) it->pos = it->items.size();
      } else if (b.is_object() && b.object()->type() == Object::Type::kNamespace) {
        fail("argument of type 'Namespace' is not iterable");
      } else {
        fail(fmt::format("argument of type '{}' is not iterable", py_type_name(b)));
      }
      return op == CmpOp::kIn ? found : !found;
    }
    default:
      break;
  }
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  const char* sym = op == CmpOp::kLt   ? "<"
                    : op == CmpOp::kLe ? "<="
                    : op == CmpOp::kGt ? ">"
                                       : ">=";
  auto less = [&](const Value& x, const Value& y) {
    auto r = py_less(x, y);
    if (!r)
      fail(fmt::format("'{}' not supported between instances of '{}' and '{}'", sym,
                       py_type_name(a), py_type_name(b)));
    return *r;
  };
  switch (op) {
    case CmpOp::kLt:
      return less(a, b);
    case CmpOp::kLe:
      return less(a, b) || py_equal(a, b);
    case CmpOp::kGt:
      return less(b, a);
    case CmpOp::kGe:
      return less(b, a) || py_equal(a, b);
    default:
      return false;
  }
}

// ---- attribute and item access ------------------------------------------------------------

namespace {

std::string object_type_repr(const Value& v) {
  if (v.is_none()) return "None";
  return std::string(py_type_name(v)) + " object";
}

Value missing_attribute(const Value& obj, const std::string& name) {
  return Value::undefined(fmt::format("'{}' has no attribute '{}'", object_type_repr(obj), name));
}

Value missing_element(const Value& obj, const Value& key) {
  if (key.is_string()) return missing_attribute(obj, key.str());
  return Value::undefined(
      fmt::format("'{}' object has no element {}", object_type_repr(obj), py_repr(key)));
}

Value make_method(const Value& receiver, const std::string& name) {
  return Value(std::shared_ptr<Object>(make_object<MethodObject>(receiver, name)));
}

}  // namespace

Value Interpreter::getattr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (obj.is_dict()) {
    if (has_method(obj, name)) return make_method(obj, name);
    if (const Value* v = obj.dict().find(std::string_view(name))) return *v;
    return missing_attribute(obj, name);
  }
  if (obj.is_object()) {
    Object* o = obj.object().get();
    switch (o->type()) {
      case Object::Type::kNamespace: {
        const Value* v = static_cast<NamespaceObject*>(o)->attrs.find(std::string_view(name));
        if (v) return *v;
        return missing_attribute(obj, name);
      }
      case Object::Type::kLoop: {
        auto* loop = static_cast<LoopObject*>(o);
        size_t n = loop->items->size();
        size_t i = loop->index0;
        if (name == "index0") return Value(static_cast<int64_t>(i));
        if (name == "index") return Value(static_cast<int64_t>(i + 1));
        if (name == "revindex0") return Value(static_cast<int64_t>(n - i - 1));
        if (name == "revindex") return Value(static_cast<int64_t>(n - i));
        if (name == "first") return Value(i == 0);
        if (name == "last") return Value(i + 1 == n);
        if (name == "length") return Value(static_cast<int64_t>(n));
        if (name == "depth") return Value(int64_t{1});
        if (name == "depth0") return Value(int64_t{0});
        if (name == "previtem") {
          if (i == 0) return Value::undefined("there is no previous item");
          return (*loop->items)[i - 1];
        }
        if (name == "nextitem") {
          if (i + 1 >= n) return Value::undefined("there is no next item");
          return (*loop->items)[i + 1];
        }
        if (name == "cycle" || name == "changed") return make_method(obj, name);
        return missing_attribute(obj, name);
      }
      case Object::Type::kCycler: {
        auto* c = static_cast<CyclerObject*>(o);
        if (name == "current") return c->items[c->pos];
        if (name == "next" || name == "reset") return make_method(obj, name);
        return missing_attribute(obj, name);
      }
      case Object::Type::kMacro: {
        auto* m = static_cast<MacroObject*>(o);
        if (name == "name")
          return Value(m->def->kind == StmtKind::kMacro ? m->def->name : std::string("caller"));
        return missing_attribute(obj, name);
      }
      default:
        return missing_attribute(obj, name);
    }
  }
  if (has_method(obj, name)) return make_method(obj, name);
  return missing_attribute(obj, name);
}

Value Interpreter::getitem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (obj.is_dict()) {
    if (!key.is_list() && !key.is_dict()) {
      if (const Value* v = obj.dict().find(key)) return *v;
    }
    if (key.is_string()) return getattr(obj, key.str());
    return missing_element(obj, key);
  }
  if (IteratorObject* it = as_iterator(obj);
      it && it->flavor == IteratorObject::Flavor::kRange && (key.is_int() || key.is_bool())) {
    int64_t i = as_int_value(key);
    int64_t n = static_cast<int64_t>(it->items.size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) return missing_element(obj, key);
    return it->items[static_cast<size_t>(i)];
  }
  if (obj.is_sequence_like() || obj.is_string()) {
    if (key.is_int() || key.is_bool()) {
      int64_t i = as_int_value(key);
      if (obj.is_string()) {
        std::vector<size_t> off = utf8_offsets(obj.str());
        int64_t n = static_cast<int64_t>(off.size()) - 1;
        if (i < 0) i += n;
        if (i < 0 || i >= n) return missing_element(obj, key);
        std::string ch = obj.str().substr(off[i], off[i + 1] - off[i]);
        return obj.is_markup() ? Value::markup(std::move(ch)) : Value(std::move(ch));
      }
      const List& items = obj.items();
      int64_t n = static_cast<int64_t>(items.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) return missing_element(obj, key);
      return items[static_cast<size_t>(i)];
    }
    if (key.is_string()) return getattr(obj, key.str());
    return missing_element(obj, key);
  }
  if (key.is_string()) return getattr(obj, key.str());
  return missing_element(obj, key);
}

Value Interpreter::get_attribute_path(const Value& obj, const Value& attribute) {
  // jinja2's make_attrgetter: "a.b.0" walks environment.getitem with ints for digit parts.
  if (!attribute.is_string()) return getitem(obj, attribute);
  Value cur = obj;
  const std::string& path = attribute.str();
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
    if (digits && part.size() < 18) {
      cur = getitem(cur, Value(static_cast<int64_t>(std::stoll(part))));
    } else {
      cur = getitem(cur, Value(part));
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

Value Interpreter::slice(const Value& obj, const Value& start, const Value& stop, const Value& step,
                         bool lenient) {
  if (obj.is_undefined()) fail_undefined(obj);
  auto type_error = [&](std::string message) -> Value {
    if (lenient) return Value::undefined(std::move(message));
    fail(message);
  };
  if (IteratorObject* it = as_iterator(obj); it && it->flavor == IteratorObject::Flavor::kRange)
    return slice(Value(it->items), start, stop, step, lenient);  // Python gives a range
  if (!obj.is_string() && !obj.is_sequence_like()) {
    if (obj.is_dict()) return type_error("unhashable type: 'slice'");
    return type_error(fmt::format("'{}' object is not subscriptable", py_type_name(obj)));
  }
  for (const Value* v : {&start, &stop, &step}) {
    if (!v->is_none() && !v->is_int() && !v->is_bool())
      return type_error("slice indices must be integers or None or have an __index__ method");
  }
  auto index_of = [&](const Value& v) -> std::optional<int64_t> {
    if (v.is_none()) return std::nullopt;
    return as_int_value(v);
  };
  std::optional<int64_t> a = index_of(start);
  std::optional<int64_t> b = index_of(stop);
  std::optional<int64_t> c = index_of(step);
  int64_t st = c.value_or(1);
  if (st == 0) fail("slice step cannot be zero");
  std::vector<size_t> off;
  int64_t n;
  if (obj.is_string()) {
    off = utf8_offsets(obj.str());
    n = static_cast<int64_t>(off.size()) - 1;
  } else {
    n = static_cast<int64_t>(obj.items().size());
  }
  // PySlice_AdjustIndices.
  auto adjust = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v;
    if (x < 0) {
      x += n;
      if (x < 0) x = st < 0 ? -1 : 0;
    } else if (x >= n) {
      x = st < 0 ? n - 1 : n;
    }
    return x;
  };
  int64_t lo = adjust(a, st < 0 ? n - 1 : 0);
  int64_t hi = adjust(b, st < 0 ? -1 : n);
  std::vector<int64_t> idx;
  if (st > 0) {
    for (int64_t i = lo; i < hi; i += st) idx.push_back(i);
  } else {
    for (int64_t i = lo; i > hi; i += st) idx.push_back(i);
  }
  if (obj.is_string()) {
    const std::string& s = obj.str();
    std::string r;
    if (st == 1 && !idx.empty()) {
      r = s.substr(off[lo], off[hi] - off[lo]);
    } else {
      for (int64_t i : idx) r.append(s, off[i], off[i + 1] - off[i]);
    }
    return obj.is_markup() ? Value::markup(std::move(r)) : Value(std::move(r));
  }
  List r;
  for (int64_t i : idx) r.push_back(obj.items()[static_cast<size_t>(i)]);
  return obj.is_list() ? Value(std::move(r)) : Value::tuple(std::move(r));
}

List Interpreter::iterate(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return {};
    case Kind::kList:
    case Kind::kTuple:
      return v.items();
    case Kind::kDict: {
      List keys;
      for (const auto& [k, val] : v.dict().entries) keys.push_back(k);
      return keys;
    }
    case Kind::kString: {
      List chars;
      const std::string& s = v.str();
      size_t pos = 0;
      while (pos < s.size()) {
        size_t start = pos;
        utf8_next(s, &pos);
        chars.push_back(Value(s.substr(start, pos - start)));
      }
      return chars;
    }
    default:
      if (IteratorObject* it = as_iterator(v)) return it->take_all();
      fail(fmt::format("'{}' object is not iterable", py_type_name(v)));
  }
}

// ---- calls --------------------------------------------------------------------------------

bool Interpreter::is_constant(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return true;
    case ExprKind::kList:
    case ExprKind::kTuple:
    case ExprKind::kDict:
    case ExprKind::kUnary:
    case ExprKind::kBinary:
    case ExprKind::kConcat:
    case ExprKind::kNot:
    case ExprKind::kAnd:
    case ExprKind::kOr:
    case ExprKind::kCompare:
      for (const auto& c : e.children)
        if (!c || !is_constant(*c)) return false;
      return true;
    default:
      return false;
  }
}

std::vector<std::optional<Value>> Interpreter::bind(const Signature& sig, Args& args) {
  std::vector<std::optional<Value>> slots(sig.names.size());
  if (args.positional.size() > sig.names.size())
    fail(fmt::format("{}() takes at most {} positional argument(s) ({} given)", sig.function,
                     sig.names.size(), args.positional.size()));
  for (size_t i = 0; i < args.positional.size(); ++i) slots[i] = std::move(args.positional[i]);
  for (auto& [k, v] : args.keyword) {
    auto it = std::find(sig.names.begin(), sig.names.end(), k);
    if (it == sig.names.end())
      fail(fmt::format("{}() got an unexpected keyword argument '{}'", sig.function, k));
    size_t i = static_cast<size_t>(it - sig.names.begin());
    if (slots[i]) fail(fmt::format("{}() got multiple values for argument '{}'", sig.function, k));
    slots[i] = std::move(v);
  }
  return slots;
}

Value Interpreter::call(const Value& callee, Args args) {
  if (callee.is_undefined()) fail_undefined(callee);
  if (!callee.is_object()) fail(fmt::format("'{}' object is not callable", py_type_name(callee)));
  Object* o = callee.object().get();
  switch (o->type()) {
    case Object::Type::kMacro: {
      auto* m = static_cast<MacroObject*>(o);
      std::shared_ptr<Frame> closure = m->closure.lock();
      if (!closure) fail("the scope this macro was defined in has ended");
      return call_macro(*m->def, closure, std::move(args));
    }
    case Object::Type::kBuiltin:
      return call_builtin(*this, static_cast<BuiltinObject*>(o)->name, args);
    case Object::Type::kMethod: {
      auto* m = static_cast<MethodObject*>(o);
      return call_method(*this, m->receiver, m->name, args);
    }
    case Object::Type::kJoiner: {
      auto* j = static_cast<JoinerObject*>(o);
      if (!j->used) {
        j->used = true;
        return Value(std::string());
      }
      return Value(j->sep);
    }
    case Object::Type::kLoop:
      fail("recursive loops are not supported", TemplateError::Kind::kUnsupported);
    default:
      fail(fmt::format("'{}' object is not callable", py_type_name(callee)));
  }
}

Value Interpreter::call_macro(const Stmt& def, const std::shared_ptr<Frame>& closure, Args args) {
  const std::string name = def.kind == StmtKind::kMacro ? def.name : "caller";
  if (call_depth_ >= env_.limits.max_call_depth)
    fail(
        fmt::format("macro calls nested deeper than {} (render limit)", env_.limits.max_call_depth),
        TemplateError::Kind::kLimit);
  // jinja2's Macro.__call__: positionals fill the parameters in order, the remaining
  // parameters are taken from the keywords, and what is left over must be caught by varargs /
  // kwargs in the body.
  const size_t n_params = def.params.size();
  std::vector<std::optional<Value>> values(n_params);
  size_t n_pos = std::min(args.positional.size(), n_params);
  for (size_t i = 0; i < n_pos; ++i) values[i] = args.positional[i];
  auto take_keyword = [&](const std::string& key) -> std::optional<Value> {
    for (auto it = args.keyword.begin(); it != args.keyword.end(); ++it) {
      if (it->first == key) {
        Value v = std::move(it->second);
        args.keyword.erase(it);
        return v;
      }
    }
    return std::nullopt;
  };
  bool found_caller = false;
  for (size_t i = n_pos; i < n_params; ++i) {
    values[i] = take_keyword(def.params[i]);
    if (def.params[i] == "caller") found_caller = true;
  }
  std::optional<Value> caller;
  if (def.uses_caller && !found_caller) caller = take_keyword("caller");
  Dict kwargs;
  if (def.catch_kwargs) {
    for (auto& [k, v] : args.keyword) kwargs.set(Value(k), std::move(v));
  } else if (!args.keyword.empty()) {
    if (args.keyword.front().first == "caller")
      fail(fmt::format("macro '{}' was invoked with two values for the special caller argument",
                       name));
    fail(
        fmt::format("macro '{}' takes no keyword argument '{}'", name, args.keyword.front().first));
  }
  List varargs;
  if (args.positional.size() > n_params) {
    if (!def.catch_varargs)
      fail(fmt::format("macro '{}' takes not more than {} argument(s)", name, n_params));
    varargs.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(n_params),
                   args.positional.end());
  }

  auto frame = std::make_shared<Frame>(closure);
  const size_t first_default = n_params - def.defaults.size();
  ++call_depth_;
  for (size_t i = 0; i < n_params; ++i) {
    if (values[i]) {
      frame->set(def.params[i], std::move(*values[i]));
    } else if (i >= first_default) {
      // Defaults are evaluated at call time in the macro's scope (they may use earlier params).
      frame->set(def.params[i], eval(*def.defaults[i - first_default], frame));
    } else {
      frame->set(def.params[i],
                 Value::undefined(fmt::format("parameter '{}' was not provided", def.params[i])));
    }
  }
  if (def.uses_caller && !found_caller)
    frame->set("caller", caller ? *caller : Value::undefined("No caller defined"));
  if (def.catch_kwargs) frame->set("kwargs", Value(std::move(kwargs)));
  if (def.catch_varargs) frame->set("varargs", Value::tuple(std::move(varargs)));
  std::string out;
  exec_body(def.body, frame, &out);
  --call_depth_;
  return Value(std::move(out));
}

Value Interpreter::apply_filter(const std::string& name, const Value& operand, Args args) {
  bool found = false;
  Value v = builtin_filter(*this, name, operand, args, &found);
  if (!found) fail(fmt::format("No filter named '{}'.", name));
  return v;
}

bool Interpreter::apply_test(const std::string& name, const Value& operand, Args args) {
  bool found = false;
  bool r = builtin_test(*this, name, operand, args, &found);
  if (!found) fail(fmt::format("No test named '{}'.", name));
  return r;
}

}  // namespace qwl::jinja
