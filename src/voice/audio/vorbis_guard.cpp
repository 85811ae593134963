// Ogg Vorbis header pre-check; see vorbis_guard.h for why.
#include "voice/audio/vorbis_guard.h"

#include <ogg/ogg.h>
#include <vorbis/codec.h>

#include <cstring>

namespace r1::voice {
namespace {

// Owns the libogg/libvorbis state for one check.
struct OggVorbisState {
  ogg_sync_state sync{};
  ogg_stream_state stream{};
  vorbis_info info{};
  vorbis_comment comment{};
  bool stream_init = false;

  OggVorbisState() {
    ogg_sync_init(&sync);
    vorbis_info_init(&info);
    vorbis_comment_init(&comment);
  }
  ~OggVorbisState() {
    vorbis_comment_clear(&comment);
    vorbis_info_clear(&info);
    if (stream_init) ogg_stream_clear(&stream);
    ogg_sync_clear(&sync);
  }
  OggVorbisState(const OggVorbisState&) = delete;
  OggVorbisState& operator=(const OggVorbisState&) = delete;
};

Error corrupt(const char* what) {
  return make_error(ErrorCode::kCorrupt, std::string("Ogg Vorbis stream: ") + what);
}

bool is_vorbis_id(const ogg_packet& p) {
  return p.bytes >= 7 && p.packet[0] == 0x01 && std::memcmp(p.packet + 1, "vorbis", 6) == 0;
}

// The next whole page, skipping bytes that are out of sync (-1), as
// libsndfile's reader does.
bool next_page(ogg_sync_state& sync, ogg_page& page) {
  int got = 0;
  while ((got = ogg_sync_pageout(&sync, &page)) < 0) {
  }
  return got == 1;
}

}  // namespace

Status check_ogg_vorbis_headers(std::string_view bytes) {
  OggVorbisState st;
  char* buffer = ogg_sync_buffer(&st.sync, static_cast<long>(bytes.size()));
  if (buffer == nullptr) return {};
  std::memcpy(buffer, bytes.data(), bytes.size());
  ogg_sync_wrote(&st.sync, static_cast<long>(bytes.size()));
  ogg_page page;
  if (!next_page(st.sync, page)) return {};  // libsndfile fails before Vorbis
  ogg_stream_init(&st.stream, ogg_page_serialno(&page));
  st.stream_init = true;
  ogg_packet packet;
  if (ogg_stream_pagein(&st.stream, &page) != 0 || ogg_stream_packetout(&st.stream, &packet) != 1) return {};
  if (!is_vorbis_id(packet)) return {};
  if (vorbis_synthesis_headerin(&st.info, &st.comment, &packet) < 0) return corrupt("bad identification header");
  for (int headers = 1; headers < 3;) {
    const int got = ogg_stream_packetout(&st.stream, &packet);
    if (got < 0) return corrupt("corrupt or missing header page");
    if (got == 1) {
      if (vorbis_synthesis_headerin(&st.info, &st.comment, &packet) < 0) return corrupt("bad comment or setup header");
      ++headers;
      continue;
    }
    if (!next_page(st.sync, page)) return corrupt("the file ends before its three headers");
    ogg_stream_pagein(&st.stream, &page);
  }
  return {};
}

}  // namespace r1::voice
