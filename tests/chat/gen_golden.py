#!/usr/bin/python3
"""Golden data for the chat layer's Jinja interpreter, rendered by the reference.

The reference is Debian's python3-jinja2 configured as Hugging Face transformers configures it
for chat templates (DESIGN.md "Fixed choices"):
  ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                extensions=[<generation tag>, jinja2.ext.loopcontrols])
  tojson = json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
  globals: raise_exception(message), strftime_now(format)
strftime_now formats a fixed instant (kFixedTime below, local time) so that the C++ test, which
gives the renderer a clock stopped at the same instant, gets the same text.

Writes (next to this script):
  golden/constructs.json     one small template per Jinja construct, rendered over a context
  golden/conversations.json  generated conversations rendered through every template in
                             templates/ (real chat templates; see templates/SOURCES.md)
Each case holds the expected text, or the Python exception when jinja2 raises (the C++ side
must then fail too).

Run: /usr/bin/python3 tests/chat/gen_golden.py   (deterministic; rerun after editing)
"""

import datetime
import json
import os
import random
import sys

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED_TIME = 1735732800  # 2025-01-01 12:00:00 UTC; the C++ test uses the same instant


class GenerationTag(Extension):
    """transformers' AssistantTracker without the mask bookkeeping: renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.datetime.fromtimestamp(FIXED_TIME).strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


ENV = make_env()


def render(source, context):
    try:
        return {"expected": ENV.from_string(source).render(**context)}
    except Exception as e:  # noqa: BLE001 - any failure of the reference is an expected error
        return {"error": "%s: %s" % (type(e).__name__, e)}


# ---- constructs ------------------------------------------------------------------------------

# (template, context) pairs, one construct or corner each. The context is JSON (what the C++
# side receives); CTX adds a few variables every construct may use.
CTX = {
    "s": "Hello, World",
    "n": 7,
    "f": 2.5,
    "items": [3, 1, 2],
    "words": ["b", "A", "c", "a"],
    "d": {"b": 1, "a": 2, "items": "X"},
    "users": [{"name": "ann", "age": 30, "tags": ["x"]}, {"name": "bob", "age": 25},
              {"name": "Cid", "age": 30}],
    "empty": [],
    "none_value": None,
    "text": "  line one\nline two  \n\nline four ",
    "zh": "你好，世界 😀 emoji",
}

CONSTRUCTS = [
    # whitespace control, trim_blocks, lstrip_blocks
    "  {% if true %}\n  x\n  {% endif %}\n  {{ 'v' }}  \n{# c #}\n  {#- c2 #}  y\n{%+ if true %}z{% endif %}\n",
    "a  {%- if true -%}  b  {%- endif -%}  c\n{{- ' d ' -}}\n e",
    "{% raw %}  {{ x }}\n{% endraw %}\nq  {%- raw -%}  r  {%- endraw -%}  s",
    "line\n    {% for i in [1,2] %}\n    {{ i }}\n    {% endfor %}\nend\n",
    "\u3000{% if true %}x{% endif %}\n\u3000{%- if true %}y{% endif %}",
    "{{ 'a' }}\n  {% if true %}b{% endif %}",
    "x {# comment #}\ny",
    "{% if true %}\r\nwin\r\n{% endif %}\r\n",
    "a\n\n",
    "a\n",
    "\n",
    "{{ 'x' }}\n{{ 'y' }}\n",
    "\t{% if true %}\t\n\tA{% endif +%}\nB{%+ if true -%}\n C {%- endif %}\n",
    "{#- only a comment -#}\n  text  {#+ keep #}\n",
    "{%- for i in items -%}\n  [{{- i -}}]\n{%- endfor -%}\n",
    "{% for i in items %}\n  {%- if i > 1 %}\n    {{ i }}\n  {% endif %}\n{% endfor %}",
    "  {% raw %}\n  {% endraw %}  \n",
    "{{ '{{' }} {{ '}}' }} {% raw %}{%{% endraw %}",
    "{{ {'a': {'b': 1}}['a']['b'] }}{{ {'k': 'v'}|tojson }}",
    # literals
    "{{ none }}{{ true }}{{ True }}{{ false }}{{ 1.0 }}{{ [1,'a',none, 1.5, {'k': 'v\"'}] }}",
    "{{ 1.0e0 }}{{ 1_000 }}{{ 0x10 }}{{ 0o17 }}{{ 0b11 }}{{ 1e3 }}{{ 2E-2 }}",
    "{{ 'a\\'b' }}{{ \"a\\\"b\" }}{{ 'tab\\there' }}{{ '\\x41\\u00e9\\U0001F600' }}{{ '\\d' }}{{ '\\101' }}",
    "{{ 'adjacent' 'strings' \"joined\" }}",
    "{{ (1,) }}{{ () }}{{ (1,2)|list }}{{ [(1, 'a')] }}{{ (1, 2) }}",
    "{{ {'a': none, 'b': true, 'c': 1.0} }}{{ {1: 'a', none: 2, true: 3} }}",
    "{{ 1e20 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1.5e-7 }} {{ 123456789.123 }}",
    "{{ 0.1 + 0.2 }} {{ 1/3 }} {{ 2**0.5 }} {{ -0.0 }} {{ 1e300*1e10 }} {{ -1e300*1e10 }}",
    # arithmetic
    "{{ 7 // 2 }} {{ 7 / 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 4 / 2 }} {{ 7 % -3 }}",
    "{{ 1 + 1.5 }}{{ 2 ** -1 }}{{ 10 % 3.5 }}{{ -7 // 2.0 }}{{ 7.5 // 2 }}{{ 0.0 / 1 }}{{ -7.5 % 2 }}",
    "{{ 'a' * 3 }}{{ [1] * 2 }}{{ 3 * 'ab' }}{{ 'a' * -1 }}|{{ true * 'a' }}{{ (1,) * 2 }}",
    "{{ [1,2] + [3] }}{{ 'ab' ~ 1 ~ true ~ none }}{{ 3 - 1.5 }}{{ 10 / 4 }}{{ 1 + true }}{{ -n }}{{ +n }}{{ -f }}",
    "{{ 10 // 0 }}",
    "{{ 1 / 0 }}",
    "{{ 5 % 0 }}",
    "{{ 5.0 % 0 }}",
    "{{ 'x' + 1 }}",
    "{{ 1 + 'x' }}",
    "{{ [1] + (2,) }}",
    "{{ -'a' }}",
    "{{ 'a' - 'b' }}",
    "{{ 'a' * 'b' }}",
    "{{ 2 ** 62 }}{{ -(2 ** 62) }}",
    # comparisons and logic
    "{{ 1 == 1.0 }}{{ true == 1 }}{{ 1 < 2 < 3 }}{{ 1 < 2 > 3 }}{{ 1 < 2 == 2 }}{{ (1 < 2) == 2 }}",
    "{{ not 1 }}{{ 1 and 'x' }}{{ 0 or 'y' }}{{ none or 0 }}{{ true and none }}|{{ [] or 'e' }}",
    "{{ 'a' < 'b' }}{{ [1,2] == [1,2] }}{{ {'a':1} == {'a':1} }}{{ [1,2] < [1,3] }}{{ 'é' > 'z' }}{{ (1,2) == [1,2] }}",
    "{{ 1 < 'a' }}",
    "{{ 'a' < 1 }}",
    "{{ 'a' in 'abc' }}{{ 'x' not in 'abc' }}{{ 1 in [1, 2] }}{{ 'a' in {'a': 1} }}{{ 3 not in items }}{{ 1.0 in [1] }}",
    "{{ 'a' in none }}",
    "{{ 1 in 'abc' }}",
    "{{ x in [1] }}{{ 'a' in x }}{{ x == x }}{{ x != 1 }}{{ x == none }}",
    "{{ 'a' if false }}|{{ 'a' if true else 'b' }}|{{ 1 if 0 else 2 if 0 else 3 }}|{{ (1 if n > 5 else 0) + 1 }}",
    # undefined
    "{{ x }}|{{ x|length }}|{{ x is defined }}|{{ x is undefined }}|{{ none.foo }}|{{ d.missing }}|{{ [1][5] }}|{{ 'abc'.nope }}",
    "{{ x.y }}",
    "{{ x['y'] }}",
    "{{ x[0] }}",
    "{{ none.foo.bar }}",
    "{{ x + 1 }}",
    "{{ x < 1 }}",
    "{{ x() }}",
    "{{ none() }}",
    "{{ x ~ 'a' }}|{{ [x] }}|{{ not x }}{{ x or 'd' }}{{ x and 1 }}|",
    "{% for a in x %}{{ a }}{% endfor %}ok",
    "{% for a in none %}{% endfor %}",
    "{% for a in 5 %}{% endfor %}",
    # attribute and item access
    "{{ d.b }}{{ d['a'] }}{{ d.items is callable }}{{ d['items'] }}{{ users[0].name }}{{ users[1]['age'] }}{{ users.0.name }}",
    "{{ {'a': 1}[[1]] }}|{{ [1,2][1.0] }}|{{ [1,2]['a'] }}|{{ none[1:2] }}|{{ {'a':1}[0:1] }}|{{ 3[0] }}|{{ none['x'] }}|",
    "{{ s[0] }}{{ s[-1] }}{{ s[100] }}|{{ s[2:5] }}{{ s[::-1] }}{{ s[::2] }}{{ s[-3:] }}{{ zh[::-1] }}{{ zh[1:3] }}",
    "{{ [1,2,3][-5:10] }}{{ [1,2,3][::-2] }}{{ [1,2,3][2:0:-1] }}{{ 'abcdef'[-2::-2] }}{{ items[1:] }}{{ items[:-1] }}{{ (1,2,3)[1:] }}",
    "{{ 'abc'[::0] }}",
    "{{ none_value[1:2] }}",
    "{{ d[0:1] }}",
    "{{ n[0:1] }}",
    "{{ s[1.5:] }}",
    "{{ (none)[1:2] }}|{{ 5[0:1] }}|{{ [1, 2][1:'a'] }}|{{ ('ab'|safe)[1:] }}",
    "{{ 'abc'['a':] }}|{{ [1, 2][x:] }}|{{ [1, 2][1.5:] }}|",
    # loops
    "{% for a in [1,2] %}{{ loop.index }}{{ loop.revindex }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.length }}{{ loop.first }}{{ loop.last }}{{ loop.index0 }}{{ loop.revindex0 }}{{ loop.depth }}{{ loop.depth0 }}{% endfor %}",
    "{% for a in [] %}x{% else %}empty{% endfor %}{% for a in [1] %}y{% else %}no{% endfor %}",
    "{% for a in [1,2,3] if a > 1 %}{{ loop.length }}{{ loop.index0 }}{% endfor %}",
    "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}",
    "{% for a, b in [[1,2],[3,4]] %}{{ a }}{{ b }}{% endfor %}",
    "{% for a, b in [[1,2,3]] %}{{ a }}{% endfor %}",
    "{% for x in 'ab' %}{{ x }}{% endfor %}{% for c in zh %}[{{ c }}]{% endfor %}",
    "{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}",
    "{% for i in [1,2] %}{% for j in [3,4] %}{{ loop.index }}{{ i }}{{ j }}{% endfor %}{{ loop.index }}{% endfor %}",
    "{% for a in [1,2,3] %}{{ loop.cycle('x','y') }}{% endfor %}{% for i in [1,1,2] %}{{ loop.changed(i) }}{% endfor %}",
    "{{ loop }}|{{ loop is undefined }}",
    "{% for i in [1,2] %}{% else %}{{ i }}{% endfor %}|{% for i in [] %}{% else %}{{ loop }}{% endfor %}",
    "{% for i in users|sort(attribute='age') %}{{ i.name }}{% endfor %}",
    "{% for m in users[::-1] %}{{ (users|length - 1) - loop.index0 }}{{ m.name }}{% endfor %}",
    # scoping
    "{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = i*10 %}{{ x }}{% endfor %}|{{ x }}",
    "{% for i in [1,2] %}{% if i == 2 %}{{ y }}{% endif %}{% set y = i %}{% endfor %}",
    "{% if true %}{% set z = 5 %}{% endif %}{{ z }}",
    "{% set i = 'o' %}{% for i in [1,2] %}{{ i }}{% endfor %}{{ i }}",
    "{% for i in [1,2] %}{% for j in [3] %}{% set k = j %}{% endfor %}{{ k }}{% endfor %}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = 1, 2 %}{{ c }}",
    "{% set x %}inner {{ 1 }}{% endset %}[{{ x }}]{% set y | upper %}inner{% endset %}[{{ y }}]",
    "{% set x %}{% set y = 1 %}{% endset %}{{ y }}|",
    "{% filter upper %}abc {{ s }}{% endfilter %}{% filter trim|replace('a', 'b') %}  aa  {% endfilter %}",
    "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}",
    "{% generation %}{% set g = 1 %}gen{% endgeneration %}{{ g }}",
    "{% set messages = messages[1:] %}{{ messages|length }}",
    "{% set ns = namespace(a=1) %}{% set ns.a = ns.a + 1 %}{{ ns.a }}{{ ns }}{% for i in [1,2] %}{% set ns.a = ns.a * 10 %}{% endfor %}{{ ns.a }}",
    "{% set ns = namespace() %}{% set ns.x = 1 %}{{ ns.x }}{{ ns['x'] }}{{ ns.y }}|",
    "{% set x = 5 %}{% set ns = namespace(x=x) %}{{ ns }}{{ namespace({'a': 1}, b=2) }}",
    "{% set ns = 3 %}{% set ns.x = 1 %}",
    "{% set ns = namespace(found=false) %}{% for u in users %}{% if u.age == 25 %}{% set ns.found = u.name %}{% endif %}{% endfor %}{{ ns.found }}",
    # macros
    "{% macro m(a, b='d', c=none) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1) }}{{ m(1, 2, 3) }}{{ m(1, c=5) }}{{ m(a=7) }}",
    "{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1,2,x=3) }}",
    "{% macro m(a, b) %}[{{ a }}|{{ b }}|{{ b is defined }}]{% endmacro %}{{ m(1) }}",
    "{% macro m(a, b=a) %}[{{ b }}]{% endmacro %}{{ m(1) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, a=2) }}",
    "{% macro m() %}[{{ a }}]{% endmacro %}{% set a = 3 %}{{ m() }}",
    "{% macro m() %}[{{ b }}]{% endmacro %}{% for i in [1] %}{% set b = 4 %}{{ m() }}{% endfor %}",
    "{% for i in [1] %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}",
    "{% macro m(a) %}{{ a }}{{ caller() }}{% endmacro %}{% call m(1) %}body{% endcall %}",
    "{% macro m() %}{{ caller(5) }}{% endmacro %}{% call(x) m() %}[{{ x }}]{% endcall %}",
    "{% macro rec(n) %}{{ n }}{% if n > 0 %}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(5) }}",
    "{% macro m() %}x{% endmacro %}{{ m }}{{ m.name }}{{ m() ~ m() }}{{ m()|length }}",
    "{% macro t(c) %}{%- if c is string %}{{- c }}{%- else %}{%- for p in c %}{{- p.text }}{%- endfor %}{%- endif %}{% endmacro %}{{ t('a')|trim }}|{{ t([{'text': ' b '}])|trim }}|",
    # filters
    "{{ items|length }}{{ s|count }}{{ d|length }}{{ zh|length }}{{ items|first }}{{ items|last }}{{ s|first }}{{ s|last }}{{ d|first }}{{ d|last }}{{ empty|first }}|",
    "{{ x|upper }}|{{ x|lower }}|{{ x|capitalize }}|{{ x|replace('a','b') }}|{{ x|join }}|{{ x|first }}|{{ x|list }}|{{ x|sort }}|{{ x|reverse|list }}|{{ x|last }}|",
    "{{ x|int }}",
    "{{ x|float }}",
    "{{ x|abs }}",
    "{{ x|trim }}|{{ x|title }}|{{ x|center(3) }}|{{ x|wordcount }}|",
    "{{ x|indent }}",
    "{{ x|truncate }}|{{ x|e }}|{{ x|safe }}|{{ x|string }}|{{ x|length }}|{{ x|batch(2)|list }}|{{ x|slice(2)|list }}|",
    "{{ x|items|list }}{{ x|selectattr('a')|list }}{{ x|map('upper')|list }}{{ x|sum }}{{ x|min }}{{ x|unique|list }}",
    "{{ x|dictsort }}",
    "{{ none|trim }}|{{ none|string }}|{{ 1.5|trim }}|{{ [1]|trim }}|{{ none|e }}|{{ none|safe }}|{{ none|title }}|{{ none|upper }}",
    "{{ none|length }}",
    "{{ 5|length }}",
    "{{ x|default('d') }}{{ none|default('d') }}{{ ''|default('d') }}{{ ''|default('d', true) }}{{ x|d }}|{{ none|d('q', true) }}",
    "{{ 'Hello World'|upper }}{{ 'hello world'|title }}{{ 'hELLO'|capitalize }}{{ '  x  '|trim }}|{{ 'xxaxx'|trim('x') }}|{{ 'hello-world foo(bar'|title }}|{{ \"they're bill's\"|title }}",
    "{{ text|trim }}|{{ text|wordcount }}|{{ text|indent(2) }}|{{ text|indent(2, true, true) }}|{{ text|indent('> ', first=true) }}",
    "{{ 'a\\n\\nb'|indent(2, first=true, blank=true) }}|{{ 'a\\n\\nb'|indent(2) }}|{{ 'a\\n'|indent(2) }}|{{ 'x'|indent('--', true) }}|{{ 'a\\rb\\x0bc\\x0cd\\x1ce\\u2028f'|indent(1) }}",
    "{{ [1,2,3]|join }}{{ [1,2,3]|join(', ') }}{{ users|join(',', attribute='name') }}{{ [1,2]|join(none) }}{{ range(3)|join('-') }}",
    "{{ [3,1,2]|sort }}{{ [3,1,2]|sort(reverse=true) }}{{ words|sort }}{{ words|sort(case_sensitive=true) }}{{ [1,2]|reverse|list }}{{ 'abc'|reverse }}{{ zh|reverse }}",
    "{{ users|sort(attribute='age')|map(attribute='name')|join }}{{ users|sort(attribute='age,name')|map(attribute='name')|join }}{{ users|sort(attribute='age', reverse=true)|map(attribute='name')|join }}",
    "{{ [1,'a']|sort }}",
    "{{ d|sort }}{{ d|dictsort }}{{ d|dictsort(by='value') }}{{ d|dictsort(reverse=true) }}{{ {'b':1,'A':2}|dictsort }}{{ {'b':1,'A':2}|dictsort(true) }}",
    "{{ d|items|list }}{{ d|list }}{{ d.keys()|list }}{{ d.values()|list }}{{ d.get('a') }}{{ d.get('z') }}{{ d.get('z', 5) }}{{ d.items()|list }}",
    "{{ [1]|items|list }}",
    "{{ 'a,b,,c'.split(',') }}{{ ' a  b '.split() }}{{ 'a b c'.split(' ', 1) }}{{ 'abc'.replace('b', 'X') }}{{ 'aaa'.replace('a','b',2) }}{{ 'abc'.replace('', '-') }}",
    "{{ 'abc'.startswith(('x','a')) }}{{ 'abc'.endswith('bc') }}{{ 'abc'.find('c') }}{{ 'abcb'.count('b') }}{{ 'abc'.startswith('b', 1) }}{{ 'abc'.endswith('b', 0, 2) }}",
    "{{ '\\n x \\n'.strip() }}|{{ 'xyx'.strip('x') }}|{{ 'abc'.lstrip('a') }}|{{ 'abc'.rstrip('c') }}|{{ '\\n\\nx\\n'.lstrip('\\n') }}|{{ text.rstrip() }}|",
    "{{ ''.split(',') }}{{ ''.split() }}{{ 'a,b'.rsplit(',', 1) }}{{ 'a\\nb\\r\\nc'.splitlines() }}{{ 'a\\u00a0b'.split() }}{{ 'a  b c'.split(None, 1) }}{{ '  a b  '.split(None, 1) }}{{ ' a b '.rsplit(None, 1) }}{{ 'a,,b'.split(',', 1) }}",
    "{{ 'a'.split('') }}",
    "{{ 'a=b=c'.partition('=') }}{{ 'a=b=c'.rpartition('=') }}{{ 'abc'.partition('x') }}{{ 'aXbXc'.swapcase() }}{{ 'abcabc'.rfind('b') }}{{ 'abc'.count('') }}{{ 'aaa'.count('aa') }}{{ 'abc'.find('b', 2) }}",
    "{{ 'aé😀'.find('😀') }}{{ 'x'.join(['a','b']) }}{{ 'abc'.index('c') }}{{ zh.find('世') }}",
    "{{ 'abc'.index('z') }}",
    "{{ ', '.join([1,2]) }}",
    "{{ 'abc'|center(2) }}|{{ 'ab'|center(5) }}|{{ 'ab'.center(5, '*') }}|{{ 'a'.ljust(3) }}|{{ 'a'.rjust(3,'0') }}|{{ '5'.zfill(3) }}|{{ '-5'.zfill(4) }}|{{ 'x'|center(4) }}|{{ 'abc'|center(6) }}",
    "{{ 'abc'.isalpha() }}{{ '12'.isdigit() }}{{ ''.isdigit() }}{{ 'Ab'.islower() }}{{ 'AB'.isupper() }}{{ ' '.isspace() }}{{ 'a1'.isalnum() }}{{ 'A1'.isupper() }}",
    "{{ 'abc'.upper() }}{{ 'ABC'.lower() }}{{ 'abc def'.title() }}{{ \"they're bill's\".title() }}{{ 'ab'.capitalize() }}{{ 'a b'.split(none) }}{{ 'Éa'.lower() }}{{ 'éa'.upper() }}",
    "{{ '{0}{1}{0}'.format('a', 'b') }}{{ '{x!r}'.format(x='q') }}{{ '{a}-{0}'.format('x', a='y') }}{{ '{{}}{}'.format(1) }}{{ '{0[a]}{0.b}'.format({'a': 1, 'b': 2}) }}",
    "{{ '{:5d}|{:<5}|{:^5}|{:.2f}|{:+d}|{:,}|{:x}|{:08.3f}|{:e}|{:.1%}|{:g}|{:>5}'.format(42, 'ab', 'cd', 3.14159, 5, 1234567, 255, 3.14159, 12345.678, 0.256, 0.0001, 'a') }}",
    "{{ '%5.2f|%-4s|%04d|%x|%r|%%|%s' % (3.14159, 'a', 7, 255, 'q', none) }}{{ '%s' % 'x' }}{{ '%(a)s' % {'a': 1} }}",
    "{{ '%d %i %5s %-5s| %.3s %c %o %X %e %g %G %+d % d %#x %%' % (1.9, 2, 'ab', 'cd', 'abcdef', 65, 8, 255, 1234.5, 0.00001234, 1e20, 3, 4, 255) }}",
    "{{ '%s %s' % ('a',) }}",
    "{{ '%s' % ('a', 'b') }}",
    "{{ '%s' % [1, 2] }}{{ '%s' % none }}{{ '%r' % 'x' }}{{ '%5.1f%%' % 99.44 }}{{ '%(a)s %(b)05d' % {'a': 'x', 'b': 7} }}{{ 'x' % () }}",
    "{{ 'x' % 1 }}",
    "{{ '%d' % 'a' }}",
    "{{ '%.2f'|format(1.005) }}{{ '%s-%s'|format(1, 2) }}{{ '%(a)s'|format(a=3) }}",
    "{{ 3.7|int }}{{ '42'|int }}{{ 'x'|int }}{{ '3.5'|float }}{{ 2|float }}{{ -3|abs }}{{ 2.567|round(2) }}{{ 2.5|round }}{{ 3.5|round }}{{ 7|round }}",
    "{{ '12abc'|int }}|{{ '-3'|int }}|{{ '+3'|int }}|{{ '1.9'|int }}|{{ '-1.9'|int }}|{{ ' 0b101 '|int(base=0) }}|{{ '101'|int(base=2) }}|{{ 'nan'|int }}|{{ 3.99|int }}|{{ -3.99|int }}|{{ '0x1A'|int(base=16) }}|{{ '1e3'|int }}|{{ ' 12 '|int }}|{{ '1_0'|int }}|{{ none|int }}|{{ true|int }}|{{ 'abc'|int(7) }}",
    "{{ 'inf'|int }}",
    "{{ ' 1.5 '|float }}|{{ '1_000.5'|float }}|{{ 'Infinity'|float }}|{{ '-nan'|float }}|{{ '1e400'|float }}|{{ '0x10'|float }}|{{ true|float }}|{{ none|float }}|{{ [1]|float(5) }}|{{ 'abc'|float }}|{{ '1e3'|float }}",
    "{{ 2.675|round(2) }}{{ 2.5|round(0, 'ceil') }}{{ 2.5|round(0, 'floor') }}{{ -2.5|round }}{{ 1234.5678|round(-2) }}{{ 15|round(-1) }}{{ 25|round(-1) }}{{ 7|round(2) }}{{ 0.125|round(2) }}{{ 1e20|round(2) }}{{ 3|round(1, 'ceil') }}",
    "{{ '1'|round }}",
    "{{ 'abc'|wordcount }}{{ 'a b'|replace(' ', '') }}{{ 'aaa'|replace('a', 'b', 2) }}{{ 5|string }}{{ 5|string|length }}{{ 'Hello  World\\tx'|wordcount }}{{ 'a_b c-d'|wordcount }}{{ 'é中文 x1'|wordcount }}",
    "{{ 'a<b>&\"\\''|e }}{{ 'a<b'|safe }}{{ 'a<b'|escape|length }}{{ 'a<b'|forceescape }}",
    "{{ 'hello world'|truncate(5) }}|{{ 'hello world'|truncate(9, true) }}|{{ 'hello world foo bar baz'|truncate(11) }}|{{ 'hello'|truncate(3, leeway=0) }}|{{ 'a b c d e'|truncate(7, false, '..', 0) }}",
    "{{ 'abc'|truncate(2) }}",
    "{{ [1,2,3,4,5]|batch(2)|list }}{{ [1,2,3,4,5]|slice(2)|list }}{{ [1,2,3]|batch(2, 'x')|list }}{{ [1,2,3]|slice(2, 0)|list }}{{ [1,2,3,4]|batch(3)|list }}{{ [1,2,3,4,5,6,7]|slice(3)|list }}{{ []|slice(2)|list }}",
    "{{ [1,2,3]|select('odd')|list }}{{ [1,2,3]|reject('odd')|list }}{{ [{'a':true},{'a':false}]|rejectattr('a')|list }}{{ [1,2]|map('string')|list }}{{ [1,none]|select|list }}",
    "{{ [{'a':1},{'a':2}]|selectattr('a', 'equalto', 2)|list }}{{ [{'a':1},{'b':2}]|selectattr('a', 'defined')|list }}{{ [1,2,3]|select('>', 1)|list }}{{ [1,2,3]|select('in', [1,3])|list }}",
    "{{ [{'a': 'x'}, {'a': 'y'}]|selectattr('a', 'in', ['x'])|map(attribute='a')|list }}{{ [{'a': 'x'}, {'a': 'y'}]|rejectattr('a', '==', 'x')|list }}{{ ['a', 'B']|select('upper')|list }}{{ [1, 'a']|select('string')|list }}{{ [1, 'a']|reject('number')|list }}{{ {'a':1}|selectattr('x')|list }}",
    "{{ [1,2,3]|map('tojson')|join(',') }}{{ [[1,2]]|map('first')|list }}{{ ['a']|map('upper')|list }}{{ [1.5]|map('int')|list }}{{ ['x']|map('replace', 'x', 'y')|list }}",
    "{{ [{'a': {'b': 1}}]|map(attribute='a.b')|list }}{{ [[1,2]]|map(attribute='1')|list }}{{ [{'a': 1}, {}]|map(attribute='a', default='z')|list }}{{ [{'a': 1}]|map(attribute='b')|list }}{{ [{'a': none}]|map(attribute='a', default='d')|list }}",
    "{{ [1,2]|map('default', 'x')|list }}{{ [none, 1]|map('default', 'x', true)|list }}{{ ['a', 'b']|map('center', width=3)|list }}{{ [[1,2],[3]]|map('length')|list }}{{ [[1,2],[3]]|map('join', ',')|list }}",
    "{{ ['a b']|map('split')|list }}",
    "{{ [1.5, 2]|sum }}{{ [[1],[2]]|sum(start=[]) }}{{ users|sum(attribute='age') }}{{ [1,2,3]|sum(start=10) }}{{ [0.1,0.2]|sum }}{{ [true, true]|sum }}",
    "{{ ['a','b']|sum }}",
    "{{ users|min(attribute='age') }}{{ users|max(attribute='age') }}{{ ['b','A']|max(case_sensitive=true) }}{{ ['B','a']|max }}{{ ['B','a']|min }}{{ []|max }}|{{ [1,5,3]|max }}{{ [1,5,3]|min }}",
    "{{ [1,2,2,3]|unique|list }}{{ ['a','A','b']|unique|list }}{{ ['a','A','b']|unique(true)|list }}{{ users|unique(attribute='age')|map(attribute='name')|list }}",
    "{{ range(3)|list }}{{ range(1,7,2)|list }}{{ range(5,0,-2)|list }}{{ range(0)|list }}{{ range(10, 0)|list }}",
    "{{ dict(a=1, b='x') }}{{ dict({'z': 1}, y=2) }}{{ dict([['k', 'v']]) }}",
    "{{ 'x'|tojson }}{{ 'é\"\\\\\\n\\t\\u0001\\u007f\\u2028'|tojson }}{{ 1.0|tojson }}{{ [1, 2.5, true, none]|tojson }}{{ {'a': {'b': []}}|tojson(indent=2) }}",
    "{{ [1,2]|tojson(indent=none) }}{{ [1,{'a':2}]|tojson(indent=1) }}{{ {'b':1,'a':2}|tojson(sort_keys=true) }}{{ 'é'|tojson(ensure_ascii=true) }}{{ '😀'|tojson(ensure_ascii=true) }}{{ [1,2]|tojson(separators=(',',':')) }}",
    "{{ {1: 2, 1.5: 3, true: 4, none: 5}|tojson }}{{ (1,'a')|tojson }}{{ {'a': (1,2)}|tojson }}{{ users|tojson }}{{ d|tojson }}{{ zh|tojson }}",
    "{{ [1,2]|tojson(2) }}|{{ [1,2]|tojson(false, 2) }}|{{ {'a': [1, {}]}|tojson(indent='\\t') }}|{{ []|tojson(indent=2) }}{{ {}|tojson(indent=2) }}|{{ [1]|tojson(indent=0) }}",
    "{{ 1e16|tojson }}{{ -0.0|tojson }}{{ (0.1+0.2)|tojson }}{{ 1e-7|tojson }}{{ 100.0|tojson }}{{ 123456789012345678.0|tojson }}{{ (1e300*1e10)|tojson }}",
    "{{ '\\x7f\\x80\\u00ad\\u200d\\ufeff\\U0001F600'|tojson }}{{ ['\\x7f\\x80\\u00ad\\u200d\\ufeff\\U0001F600\\ud7ff\\ue000\\U000e0001\\u0378\\u3000\\xa0'] }}{{ '<>&'|tojson }}",
    "{{ x|tojson }}",
    "{{ ['it\\'s', 'a\"b', 'both\\'\"', '\\n', 'é', '\\u200b', '\\x00', '\\\\'] }}{{ {'k\\'': 'v'} }}",
    "{{ 'a'|attr('upper') is callable }}{{ {'a': 1}|attr('a') }}|{{ {'a': 1}|attr('items') is callable }}",
    "{{ x|nope }}",
    "{% if false %}{{ x|nope }}{% endif %}ok",
    # Markup (|safe, |e) and Python iterators (generators from filters, dict views, range)
    "{{ 'a<'|safe + '<b>' }}|{{ '<b>' + 'a<'|safe }}|{{ ('<'|safe) ~ '<' }}|{{ '<'|e }}|{{ ('<'|e) + '<' }}|{{ '<'|forceescape|forceescape }}|{{ ('<'|e)|e }}",
    "{{ ('<x>'|safe) * 2 }}|{{ ('%s<'|safe) % '<b>' }}|{{ ('%s'|safe)|format('<') }}|{{ ('<a>'|safe).upper() + '<' }}|{{ ('a'|safe).replace('a', '<') }}",
    "{{ ['<'|safe, 'x'] }}|{{ '<'|safe is escaped }}|{{ '<' is escaped }}|{{ ('a b'|safe).split() }}|{{ ('<'|safe)|string + '<' }}|{{ ('<'|safe)|trim + '<' }}",
    "{{ (', '|safe).join(['<', '>']) }}|{{ ('{}'|safe).format('<') }}|{{ ('<a>'|safe)[0] + '<' }}|{{ ('ab'|safe)[::-1] + '<' }}|{{ ('ab'|safe)|reverse + '<' }}",
    "{{ ('<'|safe)|upper + '<' }}|{{ ('<'|safe)|title + '<' }}|{{ ('<'|safe)|replace('x','y') + '<' }}|{{ ('<'|safe)|join + '<' }}|{{ ('<'|safe)|center(3) + '<' }}|{{ ('<'|safe)|indent + '<' }}|{{ ('<'|safe)|truncate(300) + '<' }}|{{ ('<'|safe)|first + '<' }}|{{ ('<'|safe)|last + '<' }}|{{ ('<'|safe)|default('x') + '<' }}",
    "{{ ('<'|safe)|list }}|{{ ('<'|safe)|tojson }}|{{ ('<'|safe) == '<' }}|{{ {('a'|safe): 1}['a'] }}|{{ 1|safe + '<' }}|{{ none|safe + '<' }}",
    "{% macro m() %}<{% endmacro %}{{ m() + '<' }}|{% set x %}<{% endset %}{{ x + '<' }}",
    "{{ ('a'|safe).strip() + '<' }}|{{ ('a'|safe).capitalize() + '<' }}|{{ ('a'|safe) ~ 1 }}|{{ ('<'|safe).startswith('<') }}|{{ ('a'|safe).center(3) + '<' }}|{{ ('a<b'|safe).partition('<') }}",
    "{{ '&amp;'|e }}|{{ '&amp;'|safe|e }}|{{ ('x'|safe)|e + '<' }}|{{ '\"\\''|e }}|{{ ('%r'|safe) % '<' }}|{{ ('{:>3}'|safe).format('<') }}",
    "{% set x = [1,2]|map('string') %}{{ x|list }}{{ x|list }}|{% set y = [1,2,3]|select %}{{ y|first }}{{ y|list }}|{{ [1]|select is iterable }}{{ [1]|select is sequence }}",
    "{{ ([]|select) is true }}{% if []|select %}T{% else %}F{% endif %}{% if []|select|list %}T{% else %}F{% endif %}{% if {}|items %}T{% endif %}{% if users|map(attribute='x') %}T{% endif %}",
    "{{ [1,2]|map('string')|length }}",
    "{{ [1,2]|reverse|length }}",
    "{{ [1,2]|select|last }}",
    "{{ ([1,2]|select)[0] }}|{{ ([1,2]|select)[0:1] }}|",
    "{{ [1]|select|tojson }}",
    "{{ d.items()|tojson }}",
    "{{ range(3)|tojson }}",
    "{% set g = [1,2,3]|select %}{{ 2 in g }}{{ g|list }}|{{ 1 in [1,2]|select }}{{ [1,2]|select|join(',') }}{{ ([1,2]|reverse)|list }}{{ {'a':1}|items|list }}{{ [1,2]|batch(1)|list }}",
    "{{ {'a':1}.items()|length }}{{ ({'a':1}.items())[0] }}|{% if {}.items() %}T{% else %}F{% endif %}{{ d.keys() }}{{ d.values() }}{{ d.items() }}{{ d.items()|last }}",
    "{{ range(3)[1] }}{{ range(3)|length }}{% if range(0) %}T{% else %}F{% endif %}{{ range(5)[1:3]|list }}{{ range(3) }}{{ range(1, 9, 3) }}{{ range(3) is sequence }}{{ range(3)|last }}{{ range(4)|reverse|list }}",
    "{% set g = users|selectattr('age', 'gt', 26) %}{% for u in g %}{{ u.name }}{% endfor %}{% for u in g %}{{ u.name }}{% endfor %}|{{ (users|map(attribute='name')|sort)[0] }}",
    "{{ [1,2]|select|reverse }}",
    "{{ d.items()|reverse|list }}{{ items|reverse|reverse }}",
    # tests
    "{{ 'abc' is string }}{{ 1 is number }}{{ 1.5 is number }}{{ true is number }}{{ [1] is sequence }}{{ 'a' is sequence }}{{ {} is mapping }}{{ {} is sequence }}{{ none is none }}{{ true is true }}{{ 1 is true }}{{ {} is iterable }}{{ 'a' is iterable }}{{ 1 is iterable }}",
    "{{ 1 is integer }}{{ true is integer }}{{ 1.0 is float }}{{ true is boolean }}{{ 3 is odd }}{{ 4 is even }}{{ 6 is divisibleby 3 }}{{ 'ab' is lower }}{{ 1 is in [1,2] }}{{ 'a' is eq 'a' }}{{ 1 is ne 2 }}",
    "{{ x is sequence }}{{ x is iterable }}{{ x is mapping }}{{ x is string }}{{ x is number }}{{ x is none }}{{ x is callable }}{{ none is sequence }}",
    "{{ 1 is sameas 1 }}{{ 1000 is sameas 1000 }}{{ none is sameas none }}{{ x is sameas none }}{{ items is sameas items }}",
    "{{ x is lower }}{{ 'A1' is upper }}{{ '' is lower }}{{ 1 is odd }}{{ 3 is divisibleby(3) }}{{ 'a' is in 'abc' }}{{ 1 is lt 2 }}{{ 2 is ge 2 }}{{ 2 is greaterthan 1 }}{{ 2 is le 1 }}{{ 3 is gt 4 }}",
    "{{ 'abc' is callable }}{{ range is callable }}{{ 'upper' is filter }}{{ 'odd' is test }}{{ 'zz' is filter }}{{ 'a' is escaped }}{{ n is not none }}{{ none_value is not none }}{{ n is not string }}",
    "{{ x is nope }}",
    "{{ 'a' is odd }}",
    # globals
    "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }}{% set j = joiner('|') %}{{ j() }}a{{ j() }}b",
    "{{ raise_exception('boom') }}",
    "{% if n > 5 %}{{ raise_exception('n is ' ~ n) }}{% endif %}",
    "{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%A %B %j') }}",
    "{{ range(1000000)|length }}",
    # sandbox
    "{{ [1].append(2) }}",
    "{{ {'a':1}.update({}) }}",
    "{{ {'a':1}.pop('a') }}",
    "{{ ''.__class__ }}|{{ d.__len__ }}|",
    # syntax errors
    "{% if %}",
    "{% if true %}",
    "{% for %}",
    "{% endif %}",
    "{{ 1 + }}",
    "{{ 'unterminated }}",
    "{{ (1 }}",
    "{% unknowntag %}",
    "{% include 'x' %}",
    "{# never closed",
    "{{ a.1 }}|{{ [[1,2]].0.1 }}",
    "{% set %}",
    "{% macro m(a=1, b) %}{% endmacro %}",
    "{{ 1 is }}",
    "{% break %}",
    "{{ '\\xZZ' }}",
]

# ---- conversations ---------------------------------------------------------------------------

TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "City name, e.g. 北京 or Paris"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "search_products",
        "description": "Search the catalog. Supports \"quoted phrases\" and filters.",
        "parameters": {"type": "object", "properties": {
            "query": {"type": "string"},
            "max_price": {"type": "number", "minimum": 0, "maximum": 9999.5},
            "tags": {"type": "array", "items": {"type": "string"}},
            "filters": {"type": "object", "properties": {
                "in_stock": {"type": "boolean"}, "rating": {"type": "integer"}},
                "additionalProperties": False}},
            "required": ["query"]}}},
    {"type": "function", "function": {
        "name": "place_order",
        "description": "Place an order (irreversible; asks the user to confirm).",
        "parameters": {"type": "object", "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "sku": {"type": "string"}, "qty": {"type": "integer"}}}},
            "coupon": {"type": ["string", "null"]},
            "note": {"type": "string", "description": "Free text, may contain 中文 and emoji 🍵"}},
            "required": ["items"]}}},
    {"type": "function", "function": {
        "name": "route",
        "description": "Route between two points.\nReturns distance in km.",
        "parameters": {"type": "object", "properties": {
            "from": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
            "to": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
            "mode": {"type": "string", "enum": ["walk", "drive", "transit"], "default": "walk"}}}}},
]

SYSTEM_PROMPTS = [
    "You are a helpful assistant.",
    "你是一个乐于助人的助手。请用中文回答。",
    "Answer briefly. Use \"double quotes\" and 'single quotes' as needed; backslash \\ too.",
    "",
    "  Leading and trailing spaces  \n",
    "Rules:\n1. Be kind.\n2. <b>No HTML</b> & no {{ jinja }} {% tags %}.",
]

USER_TEXTS = [
    "What's the weather in Paris?",
    "北京明天天气怎么样？",
    "Order two oat lattes to my office ☕☕",
    "",
    "Find me headphones under $100 with \"noise cancelling\".",
    "Line one\nLine two\n\nLine four",
    "Emoji test: 😀🎉👍🏽 and combining é (e\u0301)",
    "<tool_response>\nnot really a tool response\n</tool_response>",
    "Tabs\tand\r\nwindows newlines",
    "Quote: \"{\\\"json\\\": true}\" and backslash \\n literal",
    "/no_think Just say hi.",
    "/think Explain why 0.1 + 0.2 != 0.3",
    "  spaced  ",
    "Use the tools please. <|im_end|> should be plain text here.",
]

ASSISTANT_TEXTS = [
    "The weather in Paris is 18°C and sunny.",
    "好的，我来帮你查一下。",
    "",
    "Sure! Here is a list:\n- one\n- two",
    "I'll check that for you.",
    "\n\nLeading newlines kept?",
    "Answer with trailing newline\n",
    "<think>\nInline reasoning in content.\n</think>\n\nThe final answer is 42.",
    "<think>Short thought</think>Direct answer.",
    "Text with </think> in the middle and more.",
]

REASONINGS = [
    "The user wants the weather; I should call get_weather.",
    "\nLet me think step by step.\n1. Parse the request.\n2. Call the tool.\n",
    "用户想要点两杯燕麦拿铁。",
    "",
    "Reasoning with \"quotes\" and <tags> and emoji 🤔",
]

TOOL_RESULTS = [
    '{"temperature": 18, "condition": "sunny", "unit": "celsius"}',
    '{"results": [{"sku": "HP-1", "name": "静音耳机", "price": 89.99}]}',
    "Order placed: #A-1024 ✅",
    "",
    "Error: city not found\nTry again.",
    '{"distance_km": 3.2, "eta": "00:12"}',
]


def tool_call(rng, i):
    choices = [
        ("get_weather", {"city": rng.choice(["Paris", "北京", "São Paulo", "New \"York\""]),
                         "unit": rng.choice(["celsius", "fahrenheit"])}),
        ("search_products", {"query": rng.choice(["headphones", "燕麦拿铁", "a \\ backslash"]),
                             "max_price": rng.choice([100, 99.5, 0.1, 1e-7, 1e16]),
                             "tags": ["audio", "wireless"][: rng.randint(0, 2)],
                             "filters": {"in_stock": rng.choice([True, False]), "rating": 4}}),
        ("place_order", {"items": [{"sku": "LATTE-OAT", "qty": 2}], "coupon": rng.choice([None, "SAVE5"]),
                         "note": rng.choice(["到公司前台", "leave at door 🚪", "line1\nline2"])}),
        ("route", {"from": {"lat": 39.9042, "lon": 116.4074}, "to": {"lat": -33.8688, "lon": 151.2093},
                   "mode": "transit"}),
        ("get_weather", {}),
    ]
    name, args = rng.choice(choices)
    call = {"type": "function", "function": {"name": name, "arguments": args}}
    if rng.random() < 0.6:
        call = {"id": "call_%d_%d" % (i, rng.randint(0, 999)), **call}
    return call


def make_conversation(rng, i):
    messages = []
    if rng.random() < 0.6:
        messages.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
    n_turns = rng.randint(1, 4)
    for turn in range(n_turns):
        messages.append({"role": "user", "content": rng.choice(USER_TEXTS)})
        last_turn = turn == n_turns - 1
        if last_turn and rng.random() < 0.4:
            break  # conversation ends with the user: the generation prompt follows
        # Zero or more tool rounds, then a final answer.
        rounds = rng.choice([0, 0, 1, 1, 2])
        for _ in range(rounds):
            calls = [tool_call(rng, i) for _ in range(rng.choice([1, 1, 2, 3]))]
            msg = {"role": "assistant", "content": rng.choice(["", "", "Let me check.", "我查一下。"])}
            if rng.random() < 0.02:
                msg["content"] = None
            if rng.random() < 0.5:
                msg["reasoning_content"] = rng.choice(REASONINGS)
            msg["tool_calls"] = calls
            messages.append(msg)
            for c in calls:
                result = {"role": "tool", "content": rng.choice(TOOL_RESULTS)}
                if "id" in c and rng.random() < 0.7:
                    result["tool_call_id"] = c["id"]
                if rng.random() < 0.3:
                    result["name"] = c["function"]["name"]
                messages.append(result)
        if last_turn and rng.random() < 0.3:
            break  # ends after tool results
        answer = {"role": "assistant", "content": rng.choice(ASSISTANT_TEXTS)}
        if rng.random() < 0.35:
            answer["reasoning_content"] = rng.choice(REASONINGS)
        messages.append(answer)
    context = {"messages": messages}
    r = rng.random()
    if r < 0.45:
        context["tools"] = rng.sample(TOOLS, rng.randint(1, len(TOOLS)))
    else:
        context["tools"] = None
    context["add_generation_prompt"] = messages[-1]["role"] != "assistant" or rng.random() < 0.2
    e = rng.random()
    if e < 0.3:
        context["enable_thinking"] = False
    elif e < 0.5:
        context["enable_thinking"] = True
    if rng.random() < 0.2:
        context["bos_token"] = "<|endoftext|>"
        context["eos_token"] = "<|im_end|>"
    return context


def fixed_conversations():
    """Hand-written conversations for named situations."""
    weather = TOOLS[0]
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}
    return [
        {"messages": [{"role": "user", "content": "Hi"}], "tools": None, "add_generation_prompt": True},
        {"messages": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}],
         "tools": None, "add_generation_prompt": True, "enable_thinking": False},
        {"messages": [{"role": "user", "content": "Weather?"},
                      {"role": "assistant", "content": "", "tool_calls": [call]},
                      {"role": "tool", "content": "{\"t\": 18}", "tool_call_id": "call_1"}],
         "tools": [weather], "add_generation_prompt": True},
        # Several calls in one turn, arguments given as a JSON string (passed through by Qwen3).
        {"messages": [{"role": "user", "content": "Two cities"},
                      {"role": "assistant", "content": "Checking both.", "tool_calls": [
                          call, {"type": "function", "function": {"name": "get_weather",
                                                                 "arguments": "{\"city\": \"北京\"}"}}]},
                      {"role": "tool", "content": "18"}, {"role": "tool", "content": "25"},
                      {"role": "assistant", "content": "Paris 18, 北京 25."}],
         "tools": [weather], "add_generation_prompt": False},
        # Multi-turn with earlier reasoning: only the last turn keeps <think>.
        {"messages": [{"role": "user", "content": "Q1"},
                      {"role": "assistant", "content": "A1", "reasoning_content": "R1"},
                      {"role": "user", "content": "Q2"},
                      {"role": "assistant", "content": "A2", "reasoning_content": "R2"}],
         "tools": None, "add_generation_prompt": False},
        # Multi-step tool loop after the last user query keeps reasoning of every step.
        {"messages": [{"role": "user", "content": "Plan a route"},
                      {"role": "assistant", "content": "", "reasoning_content": "step 1", "tool_calls": [call]},
                      {"role": "tool", "content": "ok"},
                      {"role": "assistant", "content": "", "reasoning_content": "step 2", "tool_calls": [call]},
                      {"role": "tool", "content": "ok2"}],
         "tools": [weather], "add_generation_prompt": True, "enable_thinking": True},
        # Content that is a list of parts (multimodal templates).
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "Describe"},
                                                   {"type": "image"}]}],
         "tools": None, "add_generation_prompt": True},
        # No messages: templates index messages[0].
        {"messages": [], "tools": None, "add_generation_prompt": True},
        # Assistant content None with tool calls.
        {"messages": [{"role": "user", "content": "x"},
                      {"role": "assistant", "content": None, "tool_calls": [call]}],
         "tools": [weather], "add_generation_prompt": False},
        # System message not first.
        {"messages": [{"role": "user", "content": "x"}, {"role": "system", "content": "late"}],
         "tools": None, "add_generation_prompt": True},
        # An unknown role.
        {"messages": [{"role": "user", "content": "x"}, {"role": "critic", "content": "meh"}],
         "tools": None, "add_generation_prompt": True},
        # The city app agent's system prompt (the default model's template writes it compactly):
        # saved places, a location and a pending action, in English and in Chinese.
        {"messages": [{"role": "system", "content": CITY_SYSTEM_EN}, {"role": "user", "content": "Weather?"},
                      {"role": "assistant", "content": "", "tool_calls": [call]},
                      {"role": "tool", "content": "{\"t\": 18}", "tool_call_id": "call_1"}],
         "tools": [weather], "add_generation_prompt": True},
        {"messages": [{"role": "system", "content": CITY_SYSTEM_ZH}, {"role": "user", "content": "改成大杯"}],
         "tools": [weather], "add_generation_prompt": True},
    ]


CITY_RULES = (
    "Rules:\n"
    "- Look things up with the tools; never invent ids, prices, times or availability.\n"
    "- Keep answers short.\n")
CITY_SYSTEM_EN = (
    "You are Qwen, the assistant of the city app. You act for Alice Chen (user 1) through the tools.\n"
    "Now: 2026-01-06 (Tuesday) 11:30, city time (UTC+8).\n"
    "Language: answer in English.\n"
    "Saved places (use the label as a place argument): home: Room 2703, Building 1, 27 Pearl Road "
    "(default delivery address); office: 10F, Lakeside Tower, 41 Sunrise Road;\n"
    "Current location: 30.24184, 120.15257.\n" + CITY_RULES)
CITY_SYSTEM_ZH = (
    "You are Qwen, the assistant of the city app. You act for 王芳 (user 2) through the tools.\n"
    "Now: 2026-01-05 (Monday) 12:10, city time (UTC+8).\n"
    "Language: answer in Chinese (用中文回答).\n"
    "Saved places (use the label as a place argument): home: 老城区明珠路27号 (default delivery address); "
    "gym: 北门区: 健身房;\n" + CITY_RULES +
    "Pending action awaiting the user's confirmation: 2 x 珍珠奶茶（中杯），云朵茶饮 -> home；¥36 (tool checkout). "
    "To change it, call checkout again with the new details.\n")


def main():
    templates = sorted(f for f in os.listdir(os.path.join(HERE, "templates")) if f.endswith(".jinja"))
    sources = {}
    for name in templates:
        with open(os.path.join(HERE, "templates", name), encoding="utf-8") as fh:
            sources[name] = fh.read()

    out_dir = os.path.join(HERE, "golden")
    os.makedirs(out_dir, exist_ok=True)

    constructs = []
    for src in CONSTRUCTS:
        case = {"template": src, "context": CTX}
        case.update(render(src, {**CTX, "messages": [{"role": "user", "content": "a"},
                                                    {"role": "user", "content": "b"}]}))
        constructs.append(case)
    with open(os.path.join(out_dir, "constructs.json"), "w", encoding="utf-8") as fh:
        json.dump({"generator": "tests/chat/gen_golden.py", "jinja2": jinja2.__version__,
                   "fixed_time": FIXED_TIME,
                   "extra_context": {"messages": [{"role": "user", "content": "a"},
                                                  {"role": "user", "content": "b"}]},
                   "cases": constructs}, fh, ensure_ascii=False, indent=1)

    rng = random.Random(20240601)
    contexts = fixed_conversations() + [make_conversation(rng, i) for i in range(240)]
    conversations = []
    counts = {name: {"ok": 0, "error": 0} for name in templates}
    for i, context in enumerate(contexts):
        results = {}
        for name in templates:
            r = render(sources[name], context)
            counts[name]["ok" if "expected" in r else "error"] += 1
            results[name] = r
        conversations.append({"id": i, "context": context, "results": results})
    with open(os.path.join(out_dir, "conversations.json"), "w", encoding="utf-8") as fh:
        json.dump({"generator": "tests/chat/gen_golden.py", "jinja2": jinja2.__version__,
                   "fixed_time": FIXED_TIME, "templates": templates,
                   "conversations": conversations}, fh, ensure_ascii=False, indent=None,
                  separators=(",", ":"))
        fh.write("\n")
    print("constructs: %d (%d raise)" % (len(constructs), sum("error" in c for c in constructs)))
    print("conversations: %d" % len(contexts))
    for name in templates:
        print("  %-55s ok %4d  error %4d" % (name, counts[name]["ok"], counts[name]["error"]))


if __name__ == "__main__":
    sys.exit(main())
