#!/usr/bin/env python3
"""k8s-schema.py: check Kubernetes manifests against k8s-schemas.yaml.

usage: k8s-schema.py [--allow KIND,...] [FILE...]   (no FILE: stdin)

Every document (the output of `kubectl kustomize`, say) must be of a kind
the schema file describes, or named by --allow (kinds checked elsewhere),
and must match that kind's schema: the fields and types of the Kubernetes
OpenAPI definitions, every object closed. One line per document on stdout,
"ok KIND NAME" or "bad KIND NAME: where: why". Exit 0 when all are ok, 1
when one is not, 2 on bad usage or input that is not YAML.
"""
import os
import sys

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    allow = set()
    files = []
    args = iter(argv)
    for a in args:
        if a == "--allow":
            allow |= set(next(args, "").split(","))
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        else:
            files.append(a)
    with open(os.path.join(HERE, "k8s-schemas.yaml")) as f:
        table = yaml.safe_load(f)
    docs = []
    try:
        for name in files or ["-"]:
            f = sys.stdin if name == "-" else open(name)
            docs += [d for d in yaml.safe_load_all(f) if d is not None]
    except (OSError, yaml.YAMLError) as e:
        print("k8s-schema: %s" % e, file=sys.stderr)
        return 2
    bad = 0
    for d in docs:
        api, kind = str(d.get("apiVersion", "")), str(d.get("kind", ""))
        name = (d.get("metadata") or {}).get("name", "?")
        key = "%s/%s" % (api, kind)
        if kind in allow:
            print("skip %s %s" % (kind, name))
            continue
        if key not in table["kinds"]:
            print("bad %s %s: no schema for %s" % (kind, name, key))
            bad += 1
            continue
        body = dict(table["kinds"][key] or {})
        props = {
            "apiVersion": {"const": api},
            "kind": {"const": kind},
            "metadata": {"$ref": "#/$defs/ObjectMeta"},
        }
        props.update(body.get("properties", {}))
        schema = {
            "$defs": table["$defs"],
            "type": "object",
            "additionalProperties": False,
            "required": ["apiVersion", "kind", "metadata"] + body.get("required", []),
            "properties": props,
        }
        errs = sorted(jsonschema.Draft202012Validator(schema).iter_errors(d),
                      key=lambda e: list(e.absolute_path))
        meta_name = str(name)
        if not errs and not all(c.isalnum() and c.islower() or c.isdigit() or c in "-."
                                for c in meta_name):
            print("bad %s %s: metadata.name: not a DNS-1123 name" % (kind, name))
            bad += 1
            continue
        if errs:
            e = errs[0]
            where = ".".join(str(p) for p in e.absolute_path) or "(top)"
            print("bad %s %s: %s: %s" % (kind, name, where, e.message))
            bad += 1
        else:
            print("ok %s %s" % (kind, name))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
