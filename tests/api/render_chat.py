#!/usr/bin/python3
"""Renders a chat the way Hugging Face transformers' apply_chat_template does: the oracle for the
prompt the server builds (the API tests compare prompt_tokens with the token count of this text).

Reads one JSON object from stdin: {"template_config": PATH to tokenizer_config.json,
"messages": [...], "tools": [...] or null, "enable_thinking": bool or absent}. Writes the rendered
prompt (add_generation_prompt=True) to stdout. The Jinja environment is transformers' own:
trim_blocks, lstrip_blocks, a tojson that keeps non-ASCII characters and does not escape HTML,
raise_exception. Tool-call arguments given as JSON text are parsed into objects first, as the
server documents it does (openai_request.h: normalize_openai_input).

Uses Debian's python3-jinja2, so it runs under /usr/bin/python3.
"""
import json
import sys

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment


def main():
    req = json.load(sys.stdin)
    with open(req["template_config"], encoding="utf-8") as f:
        template = json.load(f)["chat_template"]

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception

    messages = []
    for m in req["messages"]:
        m = dict(m)
        if m.get("role") == "assistant" and m.get("content") is None:
            m["content"] = ""
        if m.get("tool_calls"):
            calls = []
            for c in m["tool_calls"]:
                c = json.loads(json.dumps(c))
                fn = c.get("function", c)
                if isinstance(fn.get("arguments"), str):
                    fn["arguments"] = json.loads(fn["arguments"])
                calls.append(c)
            m["tool_calls"] = calls
        messages.append(m)

    kwargs = {"messages": messages, "add_generation_prompt": True}
    if req.get("tools"):
        kwargs["tools"] = req["tools"]
    if "enable_thinking" in req:
        kwargs["enable_thinking"] = req["enable_thinking"]
    sys.stdout.write(env.from_string(template).render(**kwargs))


if __name__ == "__main__":
    main()
