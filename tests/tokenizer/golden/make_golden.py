#!/usr/bin/env python3
"""Regenerates the chat-template golden files. Run by hand, NOT in CI:

    python3 tests/tokenizer/golden/make_golden.py

Renders every template below with jinja2 the way HF transformers does
(sandboxed environment, trim_blocks, lstrip_blocks, loopcontrols,
raise_exception, tojson) for a fixed set of conversations, and writes

    cases.json           the inputs: template name, template file, messages,
                         options, expected-output file
    <template>/<case>.txt  the rendered prompt, byte for byte (no newline added)

chat_template_test.cpp renders each case with the native C++ renderer and
asserts byte equality. Templates come from ../shared/fixtures/templates (the
published originals) and from templates/ here (llama3.jinja: the standard
Meta-Llama-3-Instruct template, written from the well-known original since no
fixture ships one; chatml.jinja: HF's default ChatML template).

Conventions mirrored by the C++ side: every render gets add_generation_prompt
and enable_thinking (booleans) and bos_token / eos_token; a message's
reasoning_content key is only present when non-empty (empty == not given).
"""
import json
import os

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "../../../../shared/fixtures/templates"))

DS_TOKENS = ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>")
QWEN_TOKENS = ("<|endoftext|>", "<|im_end|>")
LLAMA3_TOKENS = ("<|begin_of_text|>", "<|eot_id|>")

# name -> (template path relative to the repo root or fixtures, tokens)
TEMPLATES = {
    "deepseek-r1": ("fixtures:deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", DS_TOKENS),
    "deepseek-r1-llamacpp": ("fixtures:deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", DS_TOKENS),
    "qwen2.5": ("fixtures:Qwen-Qwen2.5-7B-Instruct.jinja", QWEN_TOKENS),
    "chatml": ("golden:templates/chatml.jinja", QWEN_TOKENS),
    "qwen3": ("fixtures:Qwen-Qwen3-0.6B.jinja", QWEN_TOKENS),
    "llama3": ("golden:templates/llama3.jinja", LLAMA3_TOKENS),
}


def msg(role, content, reasoning=None):
    m = {"role": role, "content": content}
    if reasoning:
        m["reasoning_content"] = reasoning
    return m


THINK_ANSWER = "<think>\nLet me add 2 and 2.\nThat is 4.\n</think>\n\nThe answer is 4."

# name -> (messages, add_generation_prompt, enable_thinking)
CONVERSATIONS = {
    "single_turn": ([msg("user", "Hello!")], True, True),
    "single_turn_no_gen": ([msg("user", "Hello!")], False, True),
    "multi_turn_system": ([
        msg("system", "You are a careful math tutor."),
        msg("user", "What is 2+2?"),
        msg("assistant", "4"),
        msg("user", "And 3+3?"),
    ], True, True),
    "no_system_multi_turn": ([
        msg("user", "Hi"),
        msg("assistant", "Hello! How can I help?"),
        msg("user", "Tell me a joke."),
    ], True, True),
    "think_in_history": ([
        msg("system", "Be brief."),
        msg("user", "What is 2+2?"),
        msg("assistant", THINK_ANSWER),
        msg("user", "Double it."),
        msg("assistant", "<think>\n4 * 2 = 8\n</think>\n\n8"),
        msg("user", "Thanks"),
    ], True, True),
    "think_last_no_gen": ([
        msg("user", "What is 2+2?"),
        msg("assistant", THINK_ANSWER),
    ], False, True),
    "think_no_open_tag": ([
        msg("user", "Q1"),
        msg("assistant", "prefilled reasoning\n</think>\nA1"),
        msg("user", "Q2"),
        msg("assistant", "\n\nsecond reasoning</think>A2"),
    ], False, True),
    "think_multiple_tags": ([
        msg("user", "Q"),
        msg("assistant", "<think>a</think>b<think>c\n</think>\n\nd"),
        msg("user", "Q again"),
    ], True, True),
    "reasoning_content_field": ([
        msg("user", "Q1"),
        msg("assistant", "A1", "thought one"),
        msg("user", "Q2"),
        msg("assistant", "\nA2", "\n\nthought two\n"),
    ], False, True),
    "unicode": ([
        msg("system", "Réponds en français. 中文也可以。"),
        msg("user", "\u3000 héllo 世界 🌍 ｜ <｜fake｜>\u00a0\n"),
        msg("assistant", "<think>\n思考中…\n</think>\n\nこんにちは 👋"),
        msg("user", "\u2003ümlaut — “quotes” \u2028"),
    ], True, True),
    "whitespace_content": ([
        msg("user", "  \n padded \t\n"),
        msg("assistant", "\n\n  spaced answer  \n"),
        msg("user", ""),
    ], True, True),
    "empty_assistant": ([
        msg("user", "Say nothing."),
        msg("assistant", ""),
        msg("user", "Ok."),
    ], True, True),
    "two_systems": ([
        msg("system", "First system."),
        msg("user", "Hi"),
        msg("system", "Second system."),
        msg("user", "Again"),
    ], True, True),
    "thinking_disabled": ([
        msg("system", "sys"),
        msg("user", "Quick answer please."),
    ], True, False),
    "thinking_disabled_no_gen": ([msg("user", "Quick answer please.")], False, False),
    "tool_results": ([
        msg("user", "What's the weather?"),
        msg("assistant", "Let me check."),
        msg("tool", "{\"temp\": 21}"),
        msg("tool", "{\"wind\": 5}"),
        msg("assistant", "21 degrees, light wind."),
        msg("user", "Thanks"),
        msg("tool", "late result"),
    ], True, True),
    "assistant_last_plain": ([
        msg("user", "Q"),
        msg("assistant", "Plain answer."),
    ], False, True),
    "system_only": ([msg("system", "Only a system prompt.")], True, True),
    "tool_first": ([
        msg("tool", "orphan result"),
        msg("user", "Use it."),
    ], True, False),
    "qwen3_tool_response_user": ([
        msg("user", "Real question"),
        msg("assistant", "<think>\nplan\n</think>\n\ncalling"),
        msg("user", "<tool_response>\n42\n</tool_response>"),
        msg("assistant", "<think>\ngot 42\n</think>\n\nIt is 42."),
    ], True, True),
}


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def template_path(spec):
    where, rel = spec.split(":", 1)
    return os.path.join(FIXTURES if where == "fixtures" else HERE, rel)


def main():
    env = make_env()
    cases = []
    for tname, (spec, (bos, eos)) in TEMPLATES.items():
        with open(template_path(spec), encoding="utf-8") as f:
            template = env.from_string(f.read())
        os.makedirs(os.path.join(HERE, tname), exist_ok=True)
        for cname, (messages, gen, thinking) in CONVERSATIONS.items():
            out = template.render(messages=messages, add_generation_prompt=gen,
                                  enable_thinking=thinking, bos_token=bos,
                                  eos_token=eos)
            rel = f"{tname}/{cname}.txt"
            with open(os.path.join(HERE, rel), "w", encoding="utf-8", newline="") as f:
                f.write(out)
            cases.append({
                "name": f"{tname}/{cname}", "template": tname,
                "template_file": spec, "messages": messages,
                "options": {"add_generation_prompt": gen, "enable_thinking": thinking,
                            "bos_token": bos, "eos_token": eos},
                "expected_file": rel,
            })
    with open(os.path.join(HERE, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases")


if __name__ == "__main__":
    main()
