"""Resource-by-resource difference between two evaluations of the program.

A *snapshot* is the JSON-ready record of one evaluation: each custom resource's type, name,
component, `protect`, inputs, and the handles other resources refer to it by (id, self link,
ARN, GCP name), plus the stack outputs. Secret values never enter a snapshot: each becomes
{"[secret]": <keyed digest>}, so two snapshots made with one key compare secrets by value
without holding them (a base revision is evaluated in another process, given the same key).

`compare` keys resources by (type, name) and says which are created, deleted, updated (which
top-level inputs) and replaced: a changed input the cloud cannot change in place
(offline/replacements.json, with sources), or a reference to a resource that is itself replaced
(a new id). It then raises flags: protected resources deleted or replaced (`pulumi up` stops)
and replaced or interrupted VPN / BGP resources (a connectivity interruption).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from offline.evaluate import Deployment, is_secret, reveal

SECRET = "[secret]"
REPLACEMENTS_FILE = Path(__file__).with_name("replacements.json")
EIP = "aws:ec2/eip:Eip"
HANDLE_KEYS = ("selfLink", "arn", "allocationId")


@cache
def load_replacements() -> dict[str, Any]:
    return json.loads(REPLACEMENTS_FILE.read_text())


# ------------------------------------------------------------------------------ snapshots
def _digest(key: bytes, value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:24]


def _secret_strings(d: Deployment) -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if is_secret(value):
            plain = reveal(value)
            if isinstance(plain, str) and len(plain) >= 4:
                found.add(plain)
            return
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for r in d.resources:
        walk(r.inputs)
        walk(r.state)
    walk(d.outputs)
    return found


def _masker(key: bytes, secrets: set[str]):
    def mask(value: Any) -> Any:
        if is_secret(value):
            return {SECRET: _digest(key, reveal(value))}
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        if isinstance(value, str) and any(s in value for s in secrets):
            return {SECRET: _digest(key, value)}  # a secret's value without its marker
        return value
    return mask


def component_of(parent_urn: str) -> str:
    from offline.summary import component_of as of
    return of(parent_urn)


def snapshot(d: Deployment, key: bytes) -> dict[str, Any]:
    """The JSON-ready, secret-free record of one evaluation (see the module docstring)."""
    mask = _masker(key, _secret_strings(d))
    resources = []
    for r in d.resources:
        if not r.custom:
            continue
        handles = {r.id} if r.id and not r.id.endswith("-id") else set()
        handles |= {r.state[k] for k in HANDLE_KEYS if isinstance(r.state.get(k), str)}
        if r.type.startswith("gcp:") and isinstance(r.state.get("name"), str):
            handles.add(r.state["name"])
        entry = {"type": r.type, "name": r.name, "component": component_of(r.parent),
                 "protect": bool(r.options.get("protect")), "inputs": mask(r.inputs),
                 "handles": sorted(h for h in handles if len(h) > 6)}
        if r.type == EIP and not is_secret(r.state.get("publicIp")):
            entry["address"] = r.state.get("publicIp")
        resources.append(entry)
    return {"resources": resources, "outputs": mask(d.outputs)}


# ------------------------------------------------------------------------------- compare
def _leaves(value: Any):
    if isinstance(value, dict):
        if set(value) == {SECRET}:
            return
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, str):
        yield value


def _rules(type_: str) -> dict[str, Any]:
    return load_replacements()["types"].get(type_, {})


def _force_new(type_: str, field: str) -> str | None:
    """The source saying a change of `field` replaces a `type_`, or None (updated in place)."""
    rules = _rules(type_)
    force = rules.get("forceNew", {})
    if field in force:
        return force[field]
    if "*" in force and field not in rules.get("inPlace", []):
        return force["*"]
    return None


def _interrupting(type_: str, field: str) -> str | None:
    rules = _rules(type_).get("interrupting", {})
    for pattern, source in rules.items():
        if field == pattern or (pattern.endswith("*") and field.startswith(pattern[:-1])):
            return source
    return None


def _expands(old: Any, new: Any) -> bool:
    """A GCP subnetwork range growing in place: same first address, shorter prefix."""
    try:
        a, b = ipaddress.ip_network(old), ipaddress.ip_network(new)
    except (TypeError, ValueError):
        return False
    return a.network_address == b.network_address and b.prefixlen < a.prefixlen


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def show(value: Any) -> str:
    """A short, secret-free rendering of an input value (structures are not spelled out)."""
    value = _ints(value)
    if isinstance(value, dict) and set(value) == {SECRET}:
        return SECRET
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
        if SECRET in text:
            return SECRET
        if len(text) <= 60:
            return text
        return "{" + ", ".join(sorted(value))[:57] + "...}" if isinstance(value, dict) else f"[{len(value)} items]"
    text = json.dumps(value) if not isinstance(value, str) else value
    if "\n" in text.strip():  # PEM and other multi-line text: its first line only
        text = text.strip().split("\n")[0] + " ..."
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


def _change(old: Any, new: Any) -> dict[str, Any]:
    return {"before": show(old), "after": show(new)}


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Compare two snapshots (made with one key): per-resource changes, output changes, flags."""
    a = {(r["type"], r["name"]): r for r in before["resources"]}
    b = {(r["type"], r["name"]): r for r in after["resources"]}
    changes: dict[tuple[str, str], dict[str, Any]] = {}
    for k in a.keys() - b.keys():
        changes[k] = {"action": "delete"}
    for k in b.keys() - a.keys():
        changes[k] = {"action": "create"}
    for k in a.keys() & b.keys():
        old, new = a[k]["inputs"], b[k]["inputs"]
        fields = sorted(f for f in old.keys() | new.keys() if old.get(f) != new.get(f))
        if a[k]["protect"] != b[k]["protect"]:
            fields.append("protect (option)")
        if not fields:
            continue
        entry: dict[str, Any] = {"action": "update", "changed": {}, "replaceBecause": {},
                                 "interrupting": {}}
        for f in fields:
            if f == "protect (option)":
                entry["changed"][f] = {"before": str(a[k]["protect"]).lower(),
                                       "after": str(b[k]["protect"]).lower()}
                continue
            entry["changed"][f] = _change(old.get(f), new.get(f))
            source = _force_new(k[0], f)
            if source and _rules(k[0]).get("expandInPlace") == f and _expands(old.get(f), new.get(f)):
                entry["changed"][f]["note"] = "range expanded in place"
            elif source:
                entry["replaceBecause"][f] = source
            elif (why := _interrupting(k[0], f)):
                entry["interrupting"][f] = why
        if entry["replaceBecause"]:
            entry["action"] = "replace"
        changes[k] = entry
    _cascade(a, b, changes)
    resources = []
    for (type_, name), c in sorted(changes.items(), key=lambda i: (i[1]["action"], i[0])):
        side = b.get((type_, name)) or a[(type_, name)]
        item = {"type": type_, "name": name, "component": side["component"],
                "protect": bool(a.get((type_, name), side)["protect"]), **c}
        if type_ == EIP:
            item["address"] = (a.get((type_, name)) or side).get("address")
        resources.append(item)
    outputs = _outputs(before["outputs"], after["outputs"])
    counts = {act: sum(1 for r in resources if r["action"] == act)
              for act in ("create", "delete", "replace", "update")}
    return {"flags": flags(resources, before, after), "counts": counts, "resources": resources,
            "outputs": outputs,
            "unchanged": not resources and not outputs}


def _cascade(a: dict, b: dict, changes: dict) -> None:
    """A replaced resource gets a new id: whatever refers to it is updated, or replaced when the
    referring input forces a new resource. Repeats until nothing more changes."""
    done: set = set()
    while True:
        replaced = [k for k, c in changes.items() if c["action"] == "replace" and k not in done]
        if not replaced:
            return
        for rk in replaced:
            done.add(rk)
            handles = set(b[rk]["handles"])
            if not handles:
                continue
            label = f"{rk[0]} {rk[1]}"
            for k in a.keys() & b.keys():
                if k == rk:
                    continue
                for f, value in b[k]["inputs"].items():
                    if not handles.intersection(_leaves(value)):
                        continue
                    entry = changes.setdefault(k, {"action": "update", "changed": {}, "replaceBecause": {},
                                                   "interrupting": {}})
                    if entry["action"] in ("create", "delete"):
                        continue
                    entry["changed"].setdefault(f, {"before": show(a[k]["inputs"].get(f)),
                                                    "after": f"new id of {label}"})
                    source = _force_new(k[0], f)
                    if source:
                        entry["replaceBecause"].setdefault(f, f"refers to {label}, which is replaced; {source}")
                        entry["action"] = "replace"
                    elif (why := _interrupting(k[0], f)):
                        entry["interrupting"].setdefault(f, why)


def _outputs(before: dict, after: dict) -> list[dict[str, Any]]:
    rows = []
    for name in sorted(before.keys() | after.keys()):
        if name not in after:
            rows.append({"name": name, "action": "removed", "before": show(before[name]), "after": ""})
        elif name not in before:
            rows.append({"name": name, "action": "added", "before": "", "after": show(after[name])})
        elif before[name] != after[name]:
            rows.append({"name": name, "action": "changed", "before": show(before[name]),
                         "after": show(after[name])})
    return rows


def flags(resources: list[dict[str, Any]], before: dict[str, Any] | None = None,
          after: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """What a reviewer must see first: `pulumi up` stopping, allowlisted addresses, outages, and
    client certificates that still sign in (`before`/`after`: the two snapshots)."""
    out = _unrevoked(resources, before or {}, after or {})
    protected = [r for r in resources if r["protect"] and r["action"] in ("delete", "replace")]
    for r in protected:
        verb = "deleted" if r["action"] == "delete" else "replaced"
        message = (f"PROTECTED {r['type']} {r['name']} would be {verb}: `pulumi up` will stop at it "
                   f"(protect: true) and the run fails")
        if r["type"] == EIP:
            message += (f"; this is an allowlisted egress address ({r.get('address') or 'unknown'}): "
                        "if it is unprotected and the run goes ahead, the address partners allowlist changes")
        out.append({"kind": f"protected-{verb}", "severity": "critical", "message": message + ".",
                    "resources": [f"{r['type']} {r['name']}"]})
    connectivity = set(load_replacements()["connectivity"])
    replaced = [r for r in resources if r["action"] == "replace" and r["type"] in connectivity]
    if replaced:
        names = [f"{r['type']} {r['name']}" for r in replaced]
        out.append({"kind": "connectivity-replaced", "severity": "warning",
                    "message": f"Connectivity interruption: {len(replaced)} VPN/BGP resource"
                               f"{'s are' if len(replaced) != 1 else ' is'} replaced (deleted and "
                               f"created again): {', '.join(r['name'] for r in replaced)}.",
                    "resources": names})
    for r in resources:
        note = _rules(r["type"]).get("impact") if r["action"] == "replace" else None
        if note and r["type"] not in connectivity:
            out.append({"kind": "replaced-with-impact", "severity": "warning",
                        "message": f"{r['type']} {r['name']} is replaced: {note}.",
                        "resources": [f"{r['type']} {r['name']}"]})
    interrupted = [r for r in resources if r["action"] == "update" and r.get("interrupting")]
    if interrupted:
        out.append({"kind": "connectivity-update", "severity": "warning",
                    "message": "Connectivity interruption: updated in place with the tunnel or BGP session "
                               "down while the change is applied: "
                               + ", ".join(f"{r['name']} ({', '.join(sorted(r['interrupting']))})"
                                           for r in interrupted) + ".",
                    "resources": [f"{r['type']} {r['name']}" for r in interrupted]})
    return out


CLIENT_CERT = "tls:index/locallySignedCert:LocallySignedCert"
ENDPOINT = "aws:ec2clientvpn/endpoint:Endpoint"
CLIENT_CERT_NAME = re.compile(r"-user-(?P<person>[a-z0-9-]+)-cert$")


def _cert_sign_in(snap: dict[str, Any]) -> bool:
    """Does an endpoint in this snapshot accept client certificates?"""
    return any(r["type"] == ENDPOINT and "certificate-authentication" in json.dumps(r["inputs"])
               for r in snap.get("resources") or [])


def _unrevoked(resources: list[dict[str, Any]], before: dict[str, Any],
               after: dict[str, Any]) -> list[dict[str, Any]]:
    """Deleting a client certificate from the state, or re-issuing it, does not stop the old one
    signing in: only the endpoint's revocation list does, so its serial must be listed in
    `revokedClientCertificates` (the CA signs on while an endpoint accepts certificates)."""
    if not _cert_sign_in(after):
        return []
    revoked = (after.get("outputs") or {}).get("revokedClientCertificates")
    revoked = revoked if isinstance(revoked, dict) else {}
    serials = {s for v in revoked.values() if isinstance(v, list) for s in v}
    issued = (before.get("outputs") or {}).get("clientCertificates")
    issued = issued if isinstance(issued, dict) else {}
    out = [{"kind": "revocation-list-lost", "severity": "warning",
            "message": "the Client VPN endpoint is replaced and starts without a revocation list: every revoked "
                       "certificate signs in again until `python -m operate revocation-list` is imported into "
                       "the new endpoint.",
            "resources": [f"{r['type']} {r['name']}"]}
           for r in resources if r["type"] == ENDPOINT and r["action"] == "replace" and serials]
    for r in resources:
        match = CLIENT_CERT_NAME.search(r["name"])
        if r["type"] != CLIENT_CERT or not match or r["action"] not in ("delete", "replace"):
            continue
        person, old = match["person"], issued.get(match["person"])
        old = old if isinstance(old, dict) else {}
        serial = old.get("serial")
        if serial in serials or (serial is None and person in revoked):
            continue
        what = f"serial {serial}" if serial else "its serial (the clientCertificates output)"
        if r["action"] == "delete":
            out.append({"kind": "certificate-not-revoked", "severity": "critical",
                        "message": f"client certificate {person!r} is removed but not revoked: it keeps signing "
                                   f"in until clientVpn.revokedClientCertificates lists {what} and `python -m "
                                   "operate revocation-list` is imported.",
                        "resources": [f"{r['type']} {r['name']}"]})
        else:
            out.append({"kind": "certificate-reissued", "severity": "warning",
                        "message": f"client certificate {person!r} is re-issued: the old one ({what}, until "
                                   f"{old.get('expires', 'its end')}) "
                                   "still signs in unless revokedClientCertificates lists it under the same name.",
                        "resources": [f"{r['type']} {r['name']}"]})
    return out


def blocking(diff: dict[str, Any]) -> list[dict[str, Any]]:
    """The flags that make `--fail-on-violation` fail: a protected resource deleted or replaced,
    a client certificate removed without being revoked."""
    return [f for f in diff["flags"] if f["kind"].startswith("protected-") or f["kind"] == "certificate-not-revoked"]
