// Splitting model output into reasoning ("<think>...</think>") and content,
// both for a finished text (split_reasoning) and incrementally for streamed
// detokenized pieces (ReasoningSplitter). Pure string functions: no
// tokenizer, no GGUF.
//
// Rules (shared by both forms; the streaming form gives byte-identical
// results for every way of cutting the input into pieces):
//  * Reasoning is open from the start when `starts_in_reasoning` is set (the
//    prompt ended with "<think>\n", as the DeepSeek-R1 template pre-fills),
//    or when the output, after optional leading whitespace, starts with
//    "<think>". With `starts_in_reasoning` a redundant leading "<think>" is
//    consumed too. A "<think>" anywhere later is ordinary text.
//  * Reasoning ends at the first "</think>"; a block that is never closed
//    ends as reasoning (finish()).
//  * Whitespace (ASCII " \t\n\v\f\r") is trimmed from both ends of the
//    reasoning, and leading whitespace of the content after "</think>" is
//    dropped. This follows llama.cpp's deepseek-r1 reasoning parser
//    (common_chat_msg_parser::try_parse_reasoning: string_strip() on the
//    reasoning, consume_spaces() after the end tag; whitespace-only
//    reasoning becomes empty). Unlike that parser (which only accepts
//    "<think>" at the very start), whitespace before the opening tag is
//    skipped, as llama.cpp's newer PEG parser does (optspace).
//  * Output without any think block (and !starts_in_reasoning) is content,
//    verbatim, leading whitespace included.
//  * The tags never appear in the output, except as ordinary text where the
//    rules above make them text (a second "</think>", a later "<think>").
//
// Streaming: a suffix that may still become a tag ("<", "</thi", ...) and
// trailing reasoning whitespace are held back until disambiguated; held
// text that turns out not to be a tag is released unchanged.
#pragma once

#include <string>
#include <string_view>

namespace r1::tokenizer {

inline constexpr std::string_view kThinkOpenTag = "<think>";
inline constexpr std::string_view kThinkCloseTag = "</think>";

// A finished split.
struct ReasoningSplit {
  std::string reasoning;
  std::string content;
};

// What one push() (or finish()) releases.
struct ReasoningDelta {
  std::string reasoning_delta;
  std::string content_delta;
  bool empty() const { return reasoning_delta.empty() && content_delta.empty(); }
};

// Non-streaming split of a complete model output.
ReasoningSplit split_reasoning(std::string_view full, bool starts_in_reasoning);

// True when a rendered prompt leaves a think block open, i.e. it ends with
// "<think>" or "<think>\n" (DeepSeek-R1 generation prompt): use it as
// `starts_in_reasoning`.
bool prompt_opens_reasoning(std::string_view prompt);

// Incremental splitter for one generation.
//
// Thread contract: not thread-safe; one instance per stream, used by one
// thread at a time. After finish() only reset() may be called.
class ReasoningSplitter {
 public:
  explicit ReasoningSplitter(bool starts_in_reasoning = false);

  // Feeds the next piece (any byte boundaries); returns what can be
  // released now.
  ReasoningDelta push(std::string_view piece);
  // Ends the stream: releases held-back text (a dangling tag prefix becomes
  // text; trailing reasoning whitespace is dropped).
  ReasoningDelta finish();
  // Starts over for a new stream.
  void reset(bool starts_in_reasoning);

  // True while text is being routed to reasoning (or may be: before the
  // start is decided, it reports `starts_in_reasoning`).
  bool in_reasoning() const;
  bool finished() const { return phase_ == Phase::kFinished; }

 private:
  enum class Phase {
    kPrefix,        // start not decided: holding whitespace / "<think" prefix
    kReasoning,     // inside the think block
    kContentLead,   // after "</think>": dropping leading whitespace
    kContent,       // verbatim content
    kFinished,
  };

  void feed(std::string_view text, ReasoningDelta& out);
  void feed_prefix(std::string_view text, ReasoningDelta& out);
  void feed_reasoning(std::string_view text, ReasoningDelta& out);
  void feed_content_lead(std::string_view text, ReasoningDelta& out);
  void emit_reasoning(std::string_view text, ReasoningDelta& out);

  bool starts_in_reasoning_ = false;
  Phase phase_ = Phase::kPrefix;
  std::string held_;            // undecided bytes (prefix or tag prefix)
  std::string held_space_;      // trailing reasoning whitespace
  bool reasoning_started_ = false;  // a non-space reasoning byte was emitted
};

}  // namespace r1::tokenizer
