#include "tokenizer/stream_decoder.h"

#include "tokenizer/text/unicode.h"

namespace r1::tokenizer {

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, StreamDecoderOptions opts)
    : tok_(tokenizer), opts_(opts) {}

std::string StreamDecoder::push(int32_t id) {
  const bool first = first_;
  first_ = false;
  if (opts_.skip_special && tok_.is_special(id)) return std::string();
  std::string_view piece = tok_.token_to_piece(id);
  if (first && opts_.strip_prefix_space && tok_.add_space_prefix() && !piece.empty() &&
      piece.front() == ' ') {
    piece.remove_prefix(1);
  }
  pending_.append(piece);
  const size_t keep = utf8_incomplete_tail(pending_);
  const size_t ready = pending_.size() - keep;
  if (ready == 0) return std::string();
  std::string out = utf8_replace_invalid(std::string_view(pending_).substr(0, ready));
  pending_.erase(0, ready);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = utf8_replace_invalid(pending_);
  pending_.clear();
  return out;
}

void StreamDecoder::reset() {
  pending_.clear();
  first_ = true;
}

}  // namespace r1::tokenizer
