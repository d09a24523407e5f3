/* sources.h: where records come from and where they are kept. */
#ifndef BI_SOURCES_H
#define BI_SOURCES_H

#include "sources/demux.h"
#include "sources/docker.h"
#include "sources/k8s.h"
#include "sources/gitctx.h"
#include "sources/jenkins.h"
#include "sources/logparse.h"
#include "sources/merge.h"
#include "sources/otlp.h"
#include "sources/promapi.h"
#include "sources/db.h"
#include "sources/store.h"
#include "sources/trivy.h"

#endif
