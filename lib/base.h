/* base.h: the base layer: no knowledge of Docker or of what records mean. */
#ifndef BI_BASE_H
#define BI_BASE_H

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "base/http.h"
#include "base/httpresp.h"
#include "base/addr.h"
#include "base/stats.h"
#include "base/tmpl.h"
#include "base/fmt.h"

#endif
