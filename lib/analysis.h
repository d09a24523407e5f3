/* analysis.h: what the records mean: templates, root causes, knowledge, the LLM. */
#ifndef BI_ANALYSIS_H
#define BI_ANALYSIS_H

#include "analysis/drain.h"
#include "analysis/pattern.h"
#include "analysis/kb.h"
#include "analysis/advice.h"
#include "analysis/score.h"
#include "analysis/symptom.h"
#include "analysis/culprit.h"
#include "analysis/rca.h"
#include "analysis/context.h"
#include "analysis/llm.h"
#include "analysis/offline.h"
#include "analysis/canary.h"
#include "analysis/canaryrun.h"
#include "analysis/agenttool.h"
#include "analysis/agentgit.h"
#include "analysis/agent.h"
#include "analysis/agentdb.h"
#include "analysis/agentwatch.h"
#include "analysis/agentwork.h"
#include "analysis/agentfmt.h"

#endif
