// StreamDecoder: incremental detokenizer for streamed generation. push(id)
// returns only complete UTF-8: bytes of a code point split across tokens
// (byte-level BPE pieces, SPM <0xNN> byte tokens) are held until the code
// point is complete. Output is always valid UTF-8; byte sequences that can
// never become valid are emitted as U+FFFD. flush() releases what is held
// (an unfinished sequence becomes U+FFFD).
//
// For valid text the concatenation of push() results plus flush() equals
// Tokenizer::decode() of the same ids (with the same skip_special; for SPM
// set strip_prefix_space to mirror decode()'s removal of the first token's
// prefix space; generation after a prompt normally keeps it).
//
// Thread contract: single-threaded (one per stream); the Tokenizer must
// outlive it.
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"

namespace r1::tokenizer {

struct StreamDecoderOptions {
  bool skip_special = false;        // drop CONTROL/UNKNOWN tokens (EOS, <｜User｜>)
  bool strip_prefix_space = false;  // SPM: drop the first token's leading space
};

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, StreamDecoderOptions opts = {});

  std::string push(int32_t id);
  std::string flush();
  void reset();

  // Bytes held back waiting for the rest of a code point.
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer& tok_;
  StreamDecoderOptions opts_;
  bool first_ = true;
  std::string pending_;
};

}  // namespace r1::tokenizer
