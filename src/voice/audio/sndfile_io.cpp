// libsndfile virtual I/O callbacks over memory; see sndfile_io.h.
#include "voice/audio/sndfile_io.h"

#include <algorithm>
#include <cstring>

namespace r1::voice {
namespace {

sf_count_t seek_to(sf_count_t pos, sf_count_t offset, int whence, sf_count_t length) {
  sf_count_t target = offset;
  if (whence == SEEK_CUR) target = pos + offset;
  if (whence == SEEK_END) target = length + offset;
  return target < 0 ? -1 : target;
}

sf_count_t view_length(void* user) { return static_cast<sf_count_t>(static_cast<MemoryView*>(user)->data.size()); }

sf_count_t view_seek(sf_count_t offset, int whence, void* user) {
  auto* v = static_cast<MemoryView*>(user);
  const sf_count_t target = seek_to(v->pos, offset, whence, static_cast<sf_count_t>(v->data.size()));
  if (target < 0) return -1;
  v->pos = target;
  return target;
}

sf_count_t view_read(void* ptr, sf_count_t count, void* user) {
  auto* v = static_cast<MemoryView*>(user);
  const auto size = static_cast<sf_count_t>(v->data.size());
  if (count <= 0 || v->pos >= size) return 0;
  const sf_count_t n = std::min(count, size - v->pos);
  std::memcpy(ptr, v->data.data() + v->pos, static_cast<size_t>(n));
  v->pos += n;
  return n;
}

sf_count_t view_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t view_tell(void* user) { return static_cast<MemoryView*>(user)->pos; }

sf_count_t file_length(void* user) { return static_cast<MemoryFile*>(user)->length(); }

sf_count_t file_seek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const sf_count_t target = seek_to(f->pos, offset, whence, f->length());
  if (target < 0) return -1;
  f->pos = target;
  return target;
}

// Reads see only bytes still held (libsndfile's writers here do not read).
sf_count_t file_read(void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  if (count <= 0 || f->pos < f->taken || f->pos >= f->length()) return 0;
  const sf_count_t n = std::min(count, f->length() - f->pos);
  std::memcpy(ptr, f->pending.data() + (f->pos - f->taken), static_cast<size_t>(n));
  f->pos += n;
  return n;
}

sf_count_t file_write(const void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  if (count <= 0) return 0;
  const char* bytes = static_cast<const char*>(ptr);
  sf_count_t skip = 0;
  if (f->pos < f->taken) {  // a patch to bytes already handed out
    skip = std::min(count, f->taken - f->pos);
    f->dropped += skip;
  }
  const sf_count_t at = f->pos + skip - f->taken;  // offset into pending
  const sf_count_t n = count - skip;
  if (n > 0) {
    if (static_cast<size_t>(at) > f->pending.size()) f->pending.resize(static_cast<size_t>(at), '\0');
    const size_t end = static_cast<size_t>(at + n);
    if (end > f->pending.size()) f->pending.resize(end);
    std::memcpy(f->pending.data() + at, bytes + skip, static_cast<size_t>(n));
  }
  f->pos += count;
  return count;
}

sf_count_t file_tell(void* user) { return static_cast<MemoryFile*>(user)->pos; }

SF_VIRTUAL_IO view_io() { return {view_length, view_seek, view_read, view_write, view_tell}; }
SF_VIRTUAL_IO file_io() { return {file_length, file_seek, file_read, file_write, file_tell}; }

}  // namespace

std::string MemoryFile::take() {
  std::string out;
  out.swap(pending);
  taken += static_cast<sf_count_t>(out.size());
  return out;
}

Result<SndfileReader> SndfileReader::open(std::string_view bytes) {
  SndfileReader r;
  r.view_ = std::make_unique<MemoryView>(MemoryView{bytes, 0});
  r.info_ = std::make_unique<SF_INFO>();
  SF_VIRTUAL_IO io = view_io();
  r.file_.reset(sf_open_virtual(&io, SFM_READ, r.info_.get(), r.view_.get()));
  if (!r.file_) {
    return make_error(ErrorCode::kCorrupt, std::string("cannot decode audio: ") + sf_strerror(nullptr));
  }
  return r;
}

Result<SndfileWriter> SndfileWriter::open(int format, int sample_rate, bool streaming) {
  SndfileWriter w;
  w.sink_ = std::make_unique<MemoryFile>();
  w.sink_->streaming = streaming;
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = format;
  SF_VIRTUAL_IO io = file_io();
  w.file_.reset(sf_open_virtual(&io, SFM_WRITE, &info, w.sink_.get()));
  if (!w.file_) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("cannot encode audio at ") + std::to_string(sample_rate) + " Hz: " + sf_strerror(nullptr));
  }
  return w;
}

}  // namespace r1::voice
