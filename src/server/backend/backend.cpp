#include "server/backend/backend.h"

namespace r1::server {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kDeadline: return "length";
    case FinishReason::kCancelled: return "stop";
  }
  return "stop";
}

}  // namespace r1::server
