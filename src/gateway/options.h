// Config sections -> component options.
//
// Thread contract: pure functions.
#pragma once

#include "gateway/breaker.h"
#include "gateway/config.h"
#include "gateway/health.h"
#include "gateway/outlier.h"
#include "gateway/supervisor.h"

namespace r1::gateway {

BreakerOptions breaker_options(const BreakerConfig& c);
OutlierOptions outlier_options(const OutlierConfig& c);
HealthOptions health_options(const HealthConfig& c);
SupervisorOptions supervisor_options(const SupervisorConfig& c);

}  // namespace r1::gateway
