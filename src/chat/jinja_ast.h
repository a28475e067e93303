// Syntax tree of a parsed Jinja template (internal to the chat layer). The parser
// (jinja_parser.h) builds it once; the interpreter (jinja_interpreter.h) walks it for every
// render without changing it, so one tree may be rendered from several threads at once.
//
// Node shapes mirror jinja2's nodes.py where the semantics depend on them: a filter or a test
// binds tighter than arithmetic ("messages|length - 1" is (messages|length) - 1), a chained
// comparison is one Compare node with several operators, "a if b else c" keeps a missing else.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja_lexer.h"
#include "chat/jinja_value.h"

namespace qwl::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class ExprKind : uint8_t {
  kLiteral,   // literal
  kName,      // name
  kList,      // children: items
  kTuple,     // children: items
  kDict,      // children: key0, value0, key1, value1, ...
  kGetAttr,   // children[0] . name
  kGetItem,   // children[0] [ children[1] ]
  kSlice,     // children: start, stop, step (each may be null); only as a GetItem key
  kCall,      // children[0] ( args )
  kFilter,    // children[0] | name ( args ); children[0] is null in filter blocks
  kTest,      // children[0] is name ( args )
  kUnary,     // unary_op children[0]
  kBinary,    // children[0] bin_op children[1]
  kCompare,   // children[0] cmp_ops[0] children[1] cmp_ops[1] children[2] ...
  kAnd,       // children[0] and children[1]
  kOr,        // children[0] or children[1]
  kNot,       // not children[0]
  kCondExpr,  // children: test, if-true, if-false (may be null)
  kConcat,    // children joined with ~
};

enum class BinOp : uint8_t { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow };
enum class UnaryOp : uint8_t { kNeg, kPos };
enum class CmpOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

struct CallArgs {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
  ExprPtr star;       // *args
  ExprPtr star_star;  // **kwargs
};

struct Expr {
  ExprKind kind;
  SourcePos pos;
  Value literal;
  std::string name;
  std::vector<ExprPtr> children;
  CallArgs args;
  BinOp bin_op = BinOp::kAdd;
  UnaryOp unary_op = UnaryOp::kNeg;
  std::vector<CmpOp> cmp_ops;
};

// Where a set / for / with stores: a name, a tuple of targets, or a namespace attribute
// ("ns.attr", only in set).
struct Target {
  enum class Kind : uint8_t { kName, kTuple, kNamespaceAttr };
  Kind kind = Kind::kName;
  std::string name;  // kName, kNamespaceAttr (the namespace variable)
  std::string attr;  // kNamespaceAttr
  std::vector<Target> items;
  SourcePos pos;
};

enum class StmtKind : uint8_t {
  kText,         // text
  kOutput,       // {{ expr }}
  kIf,           // branches, else_body
  kFor,          // for target in expr [if filter_test] body [else else_body]
  kSet,          // set target = expr
  kSetBlock,     // set target [| filters in expr] body endset
  kMacro,        // macro name(params = defaults) body
  kCallBlock,    // call(params) expr body endcall
  kFilterBlock,  // filter expr(filter chain with a null operand) body
  kWith,         // with targets = values body
  kBreak,
  kContinue,
  kScope,  // body rendered in a child scope ({% generation %})
};

struct Stmt {
  StmtKind kind;
  SourcePos pos;
  std::string text;
  ExprPtr expr;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  Target target;
  ExprPtr filter_test;
  bool recursive = false;
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // for the last defaults.size() params
  // Macro and call-block bodies: whether they read varargs, kwargs or caller (jinja2 accepts
  // extra positional / keyword arguments, or a caller, only then).
  bool catch_varargs = false;
  bool catch_kwargs = false;
  bool uses_caller = false;
  std::vector<Target> with_targets;
  std::vector<ExprPtr> with_values;
};

struct Program {
  Body body;
};

}  // namespace qwl::jinja
