// Jinja interpreter (internal to the chat layer): renders a parsed template over a context of
// Values, with the semantics of jinja2's ImmutableSandboxedEnvironment as transformers
// configures it (see chat_template.h for the environment).
//
// Scoping follows what jinja2's compiled code does: each for-loop iteration, macro call,
// call/with/generation body and set-block body gets a fresh scope whose parent is the scope
// it was written in (a macro's: the scope that defined it); "set" writes to the innermost
// scope, so a set inside a loop is gone after the iteration (namespace() is the way out), while
// if/elif/else open no scope. Undefined follows jinja2's default Undefined.
//
// Limits (RenderLimits) bound output size, total loop iterations, macro call depth and the
// size of built strings and lists, so a hostile template ends with an error, not a hang or
// an out-of-memory. Errors throw TemplateError with the position of the node being evaluated;
// chat_template.cpp catches them at the public boundary.
// Thread-safety: an Interpreter is one render; several may walk the same Program at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chat/jinja_ast.h"
#include "chat/jinja_value.h"

namespace qwl::jinja {

struct Limits {
  size_t max_output_bytes = size_t{64} << 20;  // also the largest string a template may build
  int64_t max_loop_iterations = 10'000'000;    // over the whole render, filters included
  size_t max_list_items = 1'000'000;           // largest list a template may build
  int max_call_depth = 200;                    // nested macro calls
};

struct Environment {
  Limits limits;
  // strftime_now(format): the current time formatted like Python's datetime.strftime.
  std::function<std::string(const std::string& format)> strftime_now;
};

// Positional and keyword arguments of a call, already evaluated.
struct Args {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

class Frame;
class NamespaceObject;

// A Python-style signature for Interpreter::bind: the function's name (for messages) and its
// parameter names in order.
struct Signature {
  std::string_view function;
  std::vector<std::string_view> names;
};

class Interpreter {
 public:
  explicit Interpreter(const Environment& env) : env_(env) {}

  // Renders `program` with `context` as the top-level variables.
  std::string render(const Program& program, const Dict& context);

  // ---- used by the builtins (jinja_builtins.cpp) ----
  [[noreturn]] void fail(const std::string& message,
                         TemplateError::Kind kind = TemplateError::Kind::kError) const;
  [[noreturn]] void fail_undefined(const Value& v) const;
  Value getattr(const Value& obj, const std::string& name);
  Value getitem(const Value& obj, const Value& key);
  // environment.getitem/getattr for a filter's "attribute" argument: dotted path, integer parts
  // index.
  Value get_attribute_path(const Value& obj, const Value& attribute);
  Value call(const Value& callee, Args args);
  Value apply_filter(const std::string& name, const Value& operand, Args args);
  bool apply_test(const std::string& name, const Value& operand, Args args);
  // The items a for loop or a filter iterates: list/tuple items, dict keys, string characters;
  // nothing for Undefined. Throws for values that are not iterable.
  List iterate(const Value& v);
  // One more unit of loop work; throws past the limit.
  void count_iteration();
  // Checks a built string or list against the limits.
  void check_size(size_t bytes) const;
  void check_items(size_t n) const;
  // Binds `args` to `sig`: one slot per name, unset where not given. Throws on unknown keywords,
  // repeated arguments or too many positionals.
  std::vector<std::optional<Value>> bind(const Signature& sig, Args& args);
  const Environment& env() const { return env_; }
  // Namespaces are the only mutable values, so the only way to a reference cycle
  // ("set ns.self = ns"); the render empties every namespace at its end to free such cycles.
  void track_namespace(std::shared_ptr<NamespaceObject> ns) {
    namespaces_.push_back(std::move(ns));
  }

 private:
  friend struct MacroCall;
  enum class Flow { kNormal, kBreak, kContinue };

  Flow exec_body(const Body& body, const std::shared_ptr<Frame>& frame, std::string* out);
  Flow exec(const Stmt& s, const std::shared_ptr<Frame>& frame, std::string* out);
  void exec_for(const Stmt& s, const std::shared_ptr<Frame>& frame, std::string* out);
  void assign(const Target& t, const Value& v, Frame& frame);
  Value eval(const Expr& e, const std::shared_ptr<Frame>& frame);
  Value eval_binary(const Expr& e, const Value& a, const Value& b);
  [[noreturn]] void binary_type_error(BinOp op, const Value& a, const Value& b) const;
  bool eval_compare(CmpOp op, const Value& a, const Value& b);
  Args eval_args(const CallArgs& a, const std::shared_ptr<Frame>& frame);
  // obj[start:stop:step]. `lenient`: the subscript is made of constants, which jinja2 folds at
  // compile time through its getitem (a TypeError gives Undefined); otherwise it is a plain
  // Python subscript and a TypeError is an error.
  Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step,
              bool lenient);
  void append(std::string* out, std::string_view text);
  // Whether jinja2 would fold `e` to a constant at compile time (literals and operators on
  // literals).
  static bool is_constant(const Expr& e);

 public:
  // Calls a macro (or a call block's caller) with bound arguments; renders its body.
  Value call_macro(const Stmt& def, const std::shared_ptr<Frame>& closure, Args args);

 private:
  const Environment& env_;
  SourcePos pos_;  // position of the node being evaluated, for errors
  int64_t iterations_ = 0;
  int call_depth_ = 0;
  std::vector<std::shared_ptr<NamespaceObject>> namespaces_;
};

// Scopes: a chain of frames, innermost first.
class Frame {
 public:
  explicit Frame(std::shared_ptr<Frame> parent) : parent_(std::move(parent)) {}
  const Value* find(std::string_view name) const;
  void set(const std::string& name, Value v);

 private:
  std::shared_ptr<Frame> parent_;
  std::vector<std::pair<std::string, Value>> vars_;
};

// Objects of the interpreter (jinja_value.h's Object kinds).
class NamespaceObject : public Object {
 public:
  Type type() const override { return Type::kNamespace; }
  std::string describe() const override;
  Dict attrs;
};

class MacroObject : public Object {
 public:
  MacroObject(const Stmt* def, const std::shared_ptr<Frame>& closure)
      : def(def), closure(closure) {}
  Type type() const override { return Type::kMacro; }
  std::string describe() const override;
  const Stmt* def;  // kMacro or kCallBlock statement; lives in the Program
  // The scope the macro was defined in. Weak: that scope holds the macro, and a strong pointer
  // would make a cycle that outlives the render.
  std::weak_ptr<Frame> closure;
};

class BuiltinObject : public Object {
 public:
  explicit BuiltinObject(std::string name) : name(std::move(name)) {}
  Type type() const override { return Type::kBuiltin; }
  std::string describe() const override;
  std::string name;
};

class MethodObject : public Object {
 public:
  MethodObject(Value receiver, std::string name)
      : receiver(std::move(receiver)), name(std::move(name)) {}
  Type type() const override { return Type::kMethod; }
  std::string describe() const override;
  Value receiver;
  std::string name;
};

class LoopObject : public Object {
 public:
  Type type() const override { return Type::kLoop; }
  std::string describe() const override;
  std::shared_ptr<const List> items;
  size_t index0 = 0;
  int depth0 = 0;
  bool has_changed_value = false;
  Value last_changed;
};

// Python iterables that are not lists: generators returned by filters (map, select, unique,
// batch, reverse, ...: iterated once, no length, always true), dict views (items(), keys(),
// values(): a length, not subscriptable, reusable) and range objects (a length, subscriptable).
class IteratorObject : public Object {
 public:
  enum class Flavor { kGenerator, kView, kRange };
  IteratorObject(Flavor flavor, std::string name, List items)
      : flavor(flavor), name(std::move(name)), items(std::move(items)) {}
  Type type() const override { return Type::kIterator; }
  std::string describe() const override;
  bool truthy() const override { return flavor == Flavor::kGenerator || !items.empty(); }
  std::string_view type_name() const override { return name; }
  bool has_length() const { return flavor != Flavor::kGenerator; }
  // The items not yet consumed (a generator's are consumed once iterated).
  List take_all();
  Flavor flavor;
  std::string name;  // "generator", "list_reverseiterator", "dict_items", "range", ...
  List items;
  size_t pos = 0;
  int64_t range_start = 0, range_stop = 0, range_step = 1;  // kRange, for describe()
};

Value make_iterator(IteratorObject::Flavor flavor, std::string name, List items);
// The IteratorObject in `v`, or null.
IteratorObject* as_iterator(const Value& v);

class CyclerObject : public Object {
 public:
  Type type() const override { return Type::kCycler; }
  std::string describe() const override { return "<Cycler>"; }
  List items;
  size_t pos = 0;
};

class JoinerObject : public Object {
 public:
  Type type() const override { return Type::kJoiner; }
  std::string describe() const override { return "<Joiner>"; }
  std::string sep;
  bool used = false;
};

// Builtins (jinja_builtins.cpp).
Value builtin_filter(Interpreter& in, const std::string& name, const Value& v, Args& args,
                     bool* found);
bool builtin_test(Interpreter& in, const std::string& name, const Value& v, Args& args,
                  bool* found);
// Whether `name` is a method of a str, list, tuple or dict value.
bool has_method(const Value& receiver, const std::string& name);
Value call_method(Interpreter& in, const Value& receiver, const std::string& name, Args& args);
Value call_builtin(Interpreter& in, const std::string& name, Args& args);
// The names of the global functions (range, dict, namespace, cycler, joiner, raise_exception,
// strftime_now).
const std::vector<std::string>& builtin_globals();

// Python's str % args and the format filter; with escape_args (Markup % args), string
// conversions of the arguments are HTML-escaped.
std::string printf_format(Interpreter& in, const std::string& fmt, const Value& args,
                          bool escape_args);
// markupsafe's escape(): & < > ' " as HTML entities.
std::string html_escape(std::string_view s);

}  // namespace qwl::jinja
