// libsndfile virtual I/O over memory (internal to voice/audio): a reader
// over a read-only byte view, and a growable in-memory file for writing
// that can hand out its bytes as they are written (streaming) and then
// drops libsndfile's later seek-back patches to bytes already handed out.
//
// Thread contract: one owner per object; not shared between threads.
#pragma once

#include <sndfile.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace r1::voice {

// A read position over bytes the caller keeps alive.
struct MemoryView {
  std::string_view data;
  sf_count_t pos = 0;
};

class SndfileReader {
 public:
  // Opens bytes for reading; bytes must outlive the reader.
  static Result<SndfileReader> open(std::string_view bytes);

  SNDFILE* file() const { return file_.get(); }
  const SF_INFO& info() const { return *info_; }

 private:
  struct Closer {
    void operator()(SNDFILE* f) const { sf_close(f); }
  };
  std::unique_ptr<MemoryView> view_;  // stable address for libsndfile
  std::unique_ptr<SF_INFO> info_;
  std::unique_ptr<SNDFILE, Closer> file_;
};

// The in-memory file libsndfile writes into. In keep-all mode it is the
// whole file, patches included. In streaming mode take() returns the bytes
// written since the last take() and forgets them; a later write below that
// point (a header fix-up at close) is dropped and counted.
struct MemoryFile {
  bool streaming = false;
  std::string pending;       // bytes [taken, taken + pending.size())
  sf_count_t taken = 0;      // bytes already handed out (streaming)
  sf_count_t pos = 0;        // libsndfile's write position
  sf_count_t dropped = 0;    // patch bytes dropped (streaming)

  sf_count_t length() const { return taken + static_cast<sf_count_t>(pending.size()); }
  std::string take();
};

class SndfileWriter {
 public:
  // Opens a writer for `format` (SF_FORMAT_* major | subtype), mono.
  static Result<SndfileWriter> open(int format, int sample_rate, bool streaming);

  SNDFILE* file() const { return file_.get(); }
  MemoryFile& sink() { return *sink_; }
  // Closes the libsndfile handle (flushes and fixes headers).
  void close() { file_.reset(); }

 private:
  struct Closer {
    void operator()(SNDFILE* f) const { sf_close(f); }
  };
  std::unique_ptr<MemoryFile> sink_;
  std::unique_ptr<SNDFILE, Closer> file_;
};

}  // namespace r1::voice
