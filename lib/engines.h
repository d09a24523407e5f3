/* engines.h: things that run: load, proxies, chaos, metric history. */
#ifndef BI_ENGINES_H
#define BI_ENGINES_H

#include "engines/hist.h"
#include "engines/load.h"
#include "engines/threshold.h"
#include "engines/prom.h"
#include "engines/metrics.h"
#include "engines/proxy.h"
#include "engines/relay.h"
#include "engines/chaos.h"
#include "engines/endpoint.h"
#include "engines/faultload.h"
#include "engines/reach.h"
#include "engines/experiment.h"
#include "engines/notify.h"
#include "engines/supervise.h"
#include "engines/rollout.h"
#include "engines/serve.h"
#include "engines/scrape.h"

#endif
