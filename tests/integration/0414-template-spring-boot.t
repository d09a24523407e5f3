#!/bin/sh
# spring-boot template: rendered by bi-scaffold for every database choice, with
# and without Kafka, and checked statically. Maven Central cannot be reached
# here, so the Kotlin is neither compiled nor run (and kotlinc is not needed):
# no "{{" is left, every YAML and XML file parses, every .kt file has balanced
# brackets and a package line that matches its directory, and the Postgres,
# Redis and Kafka parts (files, Maven dependencies, application.yml) appear
# exactly when chosen.
. "$(dirname "$0")/../lib.sh"

CHOICES="none postgres redis both"
# Per rendering: scaffold, leftovers, parsing, Kotlin, files, configuration.
plan $((8 * 6 + 4))
diag "verified statically only: the generated Kotlin is not compiled here"

# Debian's python3 has python3-yaml (scripts/deps.sh); a pyenv one may not.
PY=/usr/bin/python3
CHECK=$TMP/check.py
cat >"$CHECK" <<'EOF'
"""Static checks of a rendered spring-boot project: check.py WHAT DIR [DATABASE KAFKA]."""
import os
import re
import sys
import xml.etree.ElementTree as ET

import yaml

what, root = sys.argv[1], sys.argv[2]
problems = []


def files(suffixes=None):
    for d, _, names in os.walk(root):
        for n in sorted(names):
            if suffixes is None or n.endswith(suffixes):
                yield os.path.join(d, n)


def rel(path):
    return os.path.relpath(path, root)


def kotlin_code(text):
    """The text with comments, strings and character literals blanked."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise ValueError("unclosed comment")
            i = j + 2
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            if j < 0:
                raise ValueError("unclosed raw string")
            while text.startswith('"', j + 3):  # """ may end with more quotes
                j += 1
            out.append('""')
            i = j + 3
        elif text[i] == "`":  # a `name with spaces`, as test names are
            j = text.find("`", i + 1)
            if j < 0:
                raise ValueError("unclosed backtick name")
            out.append("name")
            i = j + 1
        elif text[i] in "\"'":
            q, j = text[i], i + 1
            while j < n and text[j] != q:
                if text[j] == "\n":
                    raise ValueError("unclosed literal")
                j += 2 if text[j] == "\\" else 1
            out.append(q + q)
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def balanced(code):
    stack, pairs = [], {")": "(", "]": "[", "}": "{"}
    for c in code:
        if c in "([{":
            stack.append(c)
        elif c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return False
    return not stack


def artifacts(pom):
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    tree = ET.parse(pom)
    return {a.text for a in tree.findall("m:dependencies/m:dependency/m:artifactId", ns)}


if what == "leftovers":
    # Argo Rollouts' own {{args.x}} placeholders are meant to stay.
    for f in files():
        for n, line in enumerate(open(f, encoding="utf-8"), 1):
            if re.search(r"\{\{(?!args\.)", line):
                problems.append(f"{rel(f)}:{n}: {line.strip()[:80]}")
elif what == "parse":
    for f in files((".yml", ".yaml", ".xml")):
        try:
            if f.endswith(".xml"):
                ET.parse(f)
            else:
                list(yaml.safe_load_all(open(f)))
        except Exception as e:
            problems.append(f"{rel(f)}: {e}")
elif what == "kotlin":
    found = 0
    for f in files((".kt",)):
        found += 1
        path = rel(f)
        m = re.match(r"src/(main|test)/kotlin/(.+)/[^/]+\.kt$", path)
        if not m:
            problems.append(f"{path}: not under src/main/kotlin or src/test/kotlin")
            continue
        text = open(f).read()
        pkg = re.search(r"^package\s+([\w.]+)\s*$", text, re.M)
        if not pkg or pkg.group(1) != m.group(2).replace("/", "."):
            problems.append(f"{path}: package {pkg and pkg.group(1)} is not its directory")
        try:
            if not balanced(kotlin_code(text)):
                problems.append(f"{path}: unbalanced brackets")
        except ValueError as e:
            problems.append(f"{path}: {e}")
    if found < 10:
        problems.append(f"only {found} .kt files")
elif what in ("files", "config"):
    db, kafka = sys.argv[3], sys.argv[4] == "1"
    postgres, redis = db in ("postgres", "both"), db in ("redis", "both")
    if what == "files":
        names = {os.path.basename(f) for f in files((".kt",))}
        must = {"Application.kt", "HealthController.kt", "HealthControllerTest.kt",
                "ReadinessService.kt", "StartupTracker.kt", "RequestLoggingFilter.kt",
                "ApplicationIT.kt"}
        when = {"DatabaseConfig.kt": postgres, "PostgresUrl.kt": postgres,
                "PostgresUrlTest.kt": postgres, "PostgresCheck.kt": postgres,
                "PostgresCheckTest.kt": postgres, "RedisCheck.kt": redis,
                "RedisCheckTest.kt": redis, "KafkaCheck.kt": kafka,
                "KafkaCheckTest.kt": kafka, "EventBridge.kt": kafka,
                "EventBridgeTest.kt": kafka, "WebSocketConfig.kt": kafka}
        for n in sorted(must - names):
            problems.append(f"{n} is missing")
        for n, wanted in sorted(when.items()):
            if (n in names) != wanted:
                problems.append(f"{n} {'is missing' if wanted else 'should not be there'}")
        for f in ("pom.xml", "Dockerfile", "README.md", "src/main/resources/application.yml",
                  "src/main/resources/logback-spring.xml"):
            if not os.path.isfile(os.path.join(root, f)):
                problems.append(f"{f} is missing")
    else:
        deps = artifacts(os.path.join(root, "pom.xml"))
        want = {"postgresql": postgres, "spring-boot-starter-jdbc": postgres,
                "spring-boot-starter-data-redis": redis, "spring-kafka": kafka,
                "spring-boot-starter-websocket": kafka,
                "micrometer-registry-prometheus": True, "logstash-logback-encoder": True,
                "springmockk": True, "mockk-jvm": True}
        for a, wanted in sorted(want.items()):
            if (a in deps) != wanted:
                problems.append(f"pom.xml: {a} {'missing' if wanted else 'present'}")
        app = yaml.safe_load(open(os.path.join(root, "src/main/resources/application.yml")))
        spring, custom = app.get("spring", {}), app.get("app") or {}
        if ("redis" in spring.get("data", {})) != redis:
            problems.append("application.yml: spring.data.redis does not follow the choice")
        if ("kafka" in spring) != kafka or ("kafka" in custom) != kafka:
            problems.append("application.yml: the Kafka settings do not follow the choice")
        if ("database-url" in custom) != postgres:
            problems.append("application.yml: app.database-url does not follow the choice")
        dist = app["management"]["metrics"]["distribution"]
        if dist["percentiles-histogram"].get("http.server.requests") is not True:
            problems.append("application.yml: no percentiles histogram for http.server.requests")
        if app["management"]["endpoints"]["web"]["exposure"]["include"] != "prometheus":
            problems.append("application.yml: /actuator/prometheus is not exposed")
        it = next(f for f in files(("ApplicationIT.kt",)))
        named = set(re.findall(r'^\s+"(kafka|postgres|redis)",$', open(it).read(), re.M))
        chosen = {d for d, on in (("kafka", kafka), ("postgres", postgres), ("redis", redis)) if on}
        if named != chosen:
            problems.append(f"ApplicationIT expects {sorted(named)} on /ready, not {sorted(chosen)}")
else:
    sys.exit(f"check.py: unknown check {what}")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF

# check WHAT DIR [ARGS]: one ok line, the problems as diagnostics.
check() {
	what=$1
	name=$2
	shift 2
	$PY "$CHECK" "$what" "$@" >"$TMP/problems" 2>&1
	st=$?
	exit_ok $st "$name"
	[ $st -eq 0 ] || sed 's/^/# /' "$TMP/problems"
}

for db in $CHOICES; do
	for kafka in 0 1; do
		flag=
		label="$db"
		if [ $kafka = 1 ]; then
			flag=--kafka
			label="$db + kafka"
		fi
		dir=$TMP/$db-$kafka
		bi-scaffold --template spring-boot --database "$db" $flag --dir "$dir" \
			shop-api >"$TMP/records" 2>"$TMP/err"
		st=$?
		exit_ok $st "$label: bi-scaffold renders the template"
		[ $st -eq 0 ] || sed 's/^/# /' "$TMP/err"
		check leftovers "$label: no {{ left" "$dir"
		check parse "$label: every .yml, .yaml and .xml parses" "$dir"
		check kotlin "$label: .kt files: brackets balance, package matches directory" "$dir"
		check files "$label: the Postgres, Redis and Kafka files only when chosen" "$dir" "$db" $kafka
		check config "$label: dependencies and application.yml follow the choice" "$dir" "$db" $kafka
	done
done

# template.yaml, and what the shared files make of it.
$PY - "$ROOT/templates/spring-boot/template.yaml" "$TMP/both-1" >"$TMP/problems" 2>&1 <<'EOF'
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
for key in ("description", "version", "language", "port", "metrics_path", "healthcheck",
            "build_cmd", "test_cmd", "integration_cmd", "requests_metric", "duration_metric"):
    if key not in t:
        print("template.yaml: no", key)
app = yaml.safe_load(open(sys.argv[2] + "/docker-compose.yaml"))["services"]["app"]
test = app["healthcheck"]["test"]
if test[0] != "CMD" or "http://127.0.0.1:8080/health" not in test:
    print("compose healthcheck:", test)
conf = yaml.safe_load(open(sys.argv[2] + "/blissful-infra.yaml"))
if conf["services"]["app"]["metrics"] != "/actuator/prometheus":
    print("blissful-infra.yaml: metrics at", conf["services"]["app"]["metrics"])
analysis = open(sys.argv[2] + "/k8s/overlays/production/analysis-template.yaml").read()
for name in ("http_server_requests_seconds_count{", "http_server_requests_seconds_bucket{"):
    if name not in analysis:
        print("the canary analysis does not query", name)
EOF
exit_ok $? "template.yaml: every key; health check, metrics path and Micrometer names rendered"
sed 's/^/# /' "$TMP/problems"

# The Dockerfile: JDK build stage, JRE runtime, not root.
df=$TMP/both-1/Dockerfile
grep -q '^FROM maven:3.9-eclipse-temurin-21 AS build$' "$df" &&
	grep -q '^FROM eclipse-temurin:21-jre$' "$df" &&
	grep -q '^USER 65534:65534$' "$df"
exit_ok $? "Dockerfile: Temurin 21 JDK build, Temurin 21 JRE runtime, non-root"

# --port reaches the image and the default of server.port.
bi-scaffold --template spring-boot --database none --port 9191 --dir "$TMP/port" \
	shop-api >/dev/null 2>"$TMP/err"
grep -q '^EXPOSE 9191$' "$TMP/port/Dockerfile" &&
	grep -q '^  port: "${PORT:9191}"$' "$TMP/port/src/main/resources/application.yml" &&
	grep -q '"http://127.0.0.1:9191/health"' "$TMP/port/docker-compose.yaml"
exit_ok $? "--port 9191: in the image, server.port's default and the health check"

# The package follows the project's name (templates/README.md: com.blissful.NAME).
test -f "$TMP/none-0/src/main/kotlin/com/blissful/shopapi/Application.kt"
exit_ok $? "the package path follows the project's name"
