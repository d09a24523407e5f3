/*
 * bi.h: the whole library of blissful-infra, for a program that wants all
 * of it. Tools include the module headers they use instead.
 *
 * The library is four layers, each a folder with one header and one .c per
 * module; a module uses only its own layer and those below it (HACKING.md):
 *
 *   base/      util time jsonl config http httpresp addr stats tmpl fmt:
 *              no knowledge of Docker or of what records mean
 *   sources/   demux docker k8s gitctx logparse merge store trivy: where records
 *              come from and where they are kept
 *   engines/   hist load threshold prom metrics proxy relay chaos endpoint
 *              faultload reach experiment notify supervise: things that run
 *   analysis/  drain pattern kb advice score symptom rca context llm offline:
 *              what the records mean
 *
 * Public names start with bi_. Unless a comment says otherwise, functions
 * that take a jv consume it (as libjq's own do), and functions returning
 * char * return memory the caller frees.
 */
#ifndef BI_H
#define BI_H

#include "base.h"
#include "sources.h"
#include "engines.h"
#include "analysis.h"

#endif
