#!/usr/bin/env python3
"""Deterministic generator of `ram eval --batch` input (JSON Lines).

Usage: gen_batch.py [--pool N] [LINES] [SEED] > batch.jsonl   (defaults: 1000000 lines, seed 1)

Each line carries 1-3 small policy documents (1-4 statements each, some with conditions)
and one request. By default every document is generated afresh, so almost every document
text is new (the worst case for `ram eval --batch`, which keeps documents it sees again);
with `--pool N` the documents of each line are drawn from N documents made up front (the
common case: many requests against the same few policies). The mix, by construction: requests that are allowed, explicitly denied and
implicitly denied (no match, or a failed condition), multi-valued context keys, and about
1% invalid lines (an invalid policy document, a bad action, a line that is not JSON, a
blank line). The same LINES and SEED always give the same bytes.
"""

import json
import random
import sys

SERVICES = ["oss", "ecs", "rds", "vpc", "slb", "kms", "ram", "sts", "log", "cms"]
VERBS = ["Get", "List", "Describe", "Put", "Delete", "Create", "Update", "Start", "Stop"]
NOUNS = ["Object", "Bucket", "Instance", "Disk", "Snapshot", "Key", "User", "Role", "Vpc", "Log"]
ACCOUNTS = ["123456", "234567", "345678"]


def action(rng):
    return f"{rng.choice(SERVICES)}:{rng.choice(VERBS)}{rng.choice(NOUNS)}"


def resource(rng, service):
    return f"acs:{service}:cn-hangzhou:{rng.choice(ACCOUNTS)}:bucket/b{rng.randrange(20)}/k{rng.randrange(1000)}"


def action_pattern(rng, service):
    r = rng.random()
    if r < 0.4:
        return f"{service}:{rng.choice(VERBS)}{rng.choice(NOUNS)}"
    if r < 0.8:
        return f"{service}:{rng.choice(VERBS)}*"
    if r < 0.95:
        return f"{service}:*"
    return "*"


def resource_pattern(rng, service):
    r = rng.random()
    if r < 0.3:
        return "*"
    if r < 0.7:
        return f"acs:{service}:*:{rng.choice(ACCOUNTS)}:bucket/b{rng.randrange(20)}/*"
    return f"acs:{service}:*:*:*"


def condition(rng):
    r = rng.random()
    if r < 0.3:
        return {"Bool": {"acs:SecureTransport": "true"}}
    if r < 0.55:
        return {"IpAddress": {"acs:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}
    if r < 0.75:
        return {"StringLike": {"oss:Prefix": ["logs/*", "tmp/*"]}}
    if r < 0.9:
        return {"NumericLessThan": {"oss:MaxKeys": "100"}}
    return {"DateLessThan": {"acs:CurrentTime": "2030-01-01T00:00:00Z"}}


def statement(rng, service):
    st = {"Effect": "Deny" if rng.random() < 0.2 else "Allow"}
    n = 1 if rng.random() < 0.7 else 2
    acts = [action_pattern(rng, service) for _ in range(n)]
    st["Action"] = acts[0] if n == 1 else acts
    st["Resource"] = resource_pattern(rng, service)
    if rng.random() < 0.35:
        st["Condition"] = condition(rng)
    return st


def policy(rng, service):
    other = rng.choice(SERVICES)
    return {
        "Version": "1",
        "Statement": [statement(rng, service if rng.random() < 0.7 else other) for _ in range(rng.randint(1, 4))],
    }


def context(rng):
    ctx = {}
    if rng.random() < 0.6:
        ctx["acs:SecureTransport"] = rng.choice(["true", "false"])
    if rng.random() < 0.5:
        ctx["acs:SourceIp"] = rng.choice(["10.1.2.3", "192.168.7.8", "203.0.113.9"])
    if rng.random() < 0.3:
        ctx["oss:Prefix"] = rng.choice(["logs/2024", "tmp/x", "data/y", ["logs/a", "data/b"]])
    if rng.random() < 0.2:
        ctx["oss:MaxKeys"] = str(rng.choice([10, 100, 1000]))
    if rng.random() < 0.2:
        ctx["acs:CurrentTime"] = "2024-05-01T12:00:00Z"
    return ctx


def line(rng, pool):
    r = rng.random()
    if r < 0.002:
        return ""
    if r < 0.004:
        return '{"policies":[{"Version":"1","Statement":[]}],"request":'  # not JSON
    act = action(rng)
    service = act.split(":")[0]
    if pool:
        docs = [json.loads(d) for d in rng.sample(pool, min(len(pool), rng.randint(1, 3)))]
    else:
        docs = [policy(rng, service) for _ in range(rng.randint(1, 3))]
    req = {"action": act, "resource": resource(rng, service), "context": context(rng)}
    if r < 0.007:
        docs[-1]["Statement"][0]["Effect"] = "allow"  # invalid document
    elif r < 0.010:
        req["action"] = service  # not <service>:<Name>
    return json.dumps({"policies": docs, "request": req}, separators=(",", ":"))


def main():
    args = sys.argv[1:]
    pool_size = 0
    if args[:1] == ["--pool"]:
        pool_size = int(args[1])
        args = args[2:]
    lines = int(args[0]) if len(args) > 0 else 1_000_000
    seed = int(args[1]) if len(args) > 1 else 1
    rng = random.Random(seed)
    pool = [json.dumps(policy(rng, rng.choice(SERVICES)), separators=(",", ":")) for _ in range(pool_size)]
    out = sys.stdout
    buf = []
    for _ in range(lines):
        buf.append(line(rng, pool))
        if len(buf) >= 10_000:
            out.write("\n".join(buf) + "\n")
            buf.clear()
    if buf:
        out.write("\n".join(buf) + "\n")


if __name__ == "__main__":
    main()
