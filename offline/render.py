"""Text and Markdown for one stack's summary, or for the difference between two.

Both are a sequence of blocks (heading, paragraph, list, table) separated by a blank line, so a
Markdown renderer never runs a note into the table above it. In Markdown, a table longer than
FOLD_ROWS rows is folded into a <details> element.
"""

from __future__ import annotations

from typing import Any

from offline.cost import plural

FOLD_ROWS = 15
UNCONFIRMED = "†"
UNCONFIRMED_NOTE = (f"{UNCONFIRMED} Unconfirmed price: offline/prices.json has no primary source for "
                    "this figure in this region; check it before relying on it.")
NO_PRICE = "n/a"


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _signed(value: float, money: bool = False) -> str:
    text = _money(abs(value)) if money else f"{abs(value):g}"
    return ("+" if value > 0 else "-" if value < 0 else "±") + text


def _cell(value: str) -> str:
    return str(value).replace("|", "\\|")


def _table(rows: list[list[str]], header: list[str], markdown: bool, summary: str = "") -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
        table = "\n".join(lines)
        if len(rows) > FOLD_ROWS:
            return f"<details><summary>{summary or plural(len(rows), 'row')}</summary>\n\n{table}\n\n</details>"
        return table
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))] + [fmt.format(*r) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def _heading(text: str, markdown: bool, level: int = 2) -> str:
    return f"{'#' * level} {text}" if markdown else f"{text}\n{'=' * len(text)}"


def _list(items: list[str], markdown: bool) -> str:
    return "\n".join(("- " if markdown else "  ") + i for i in items)


def _join(blocks: list[str]) -> str:
    return "\n\n".join(b for b in blocks if b) + "\n"


def topology_words(t: dict[str, Any]) -> list[str]:
    dns = t["dns"]
    directions = [name for name, on in (("GCP -> AWS", dns["gcpToAws"]), ("AWS -> GCP", dns["awsToGcp"])) if on]
    return [
        f"Site-to-site: {t['layout']}, {plural(t['tunnels'], 'GCP tunnel')}, external gateway "
        f"{t['redundancyType']}; SLA: {t['sla']}.",
        f"Bandwidth ceiling: {t['aggregateGbps']:g} Gbps aggregate "
        + ("(virtual private gateway: no ECMP, one tunnel at a time), " if t.get("termination") == "vpnGateway"
           else "with ECMP, ")
        + f"{t['singleFlowGbps']:g} Gbps per flow; "
        + ("survives AWS tunnel maintenance." if t["survivesAwsMaintenance"]
           else "a lone tunnel goes down during AWS maintenance."),
        f"Egress: {plural(t['egressIpsToAllowlist'], 'Elastic IP')} to allowlist"
        + (" (on a NAT instance)" if t.get("nat") == "instance" else "") + "; "
        + (f"Client VPN in {plural(t['clientVpnAssociations'], 'zone')}, "
           + ("full tunnel." if t["clientVpnFullTunnel"] else "split tunnel.")
           if t["clientVpnAssociations"] else "Client VPN off.")
        + (f" Twingate: {plural(t['twingateConnectors'], 'connector')} behind the same NAT."
           if t.get("twingateConnectors") else ""),
        f"GCP spokes: {len(t['spokes'])}" + (f" ({', '.join(t['spokes'])})." if t["spokes"] else "."),
        *([f"Offices: {len(t['offices'])} ({', '.join(t['offices'])})."] if t.get("offices") else []),
        "Private DNS: " + (", ".join(directions) if directions else "none")
        + (" (DNS forwarder instance, not Route 53 endpoints)." if dns.get("resolver") == "instance" else "."),
    ]


def _unit_price(i: dict[str, Any], regions: dict[str, Any]) -> str:
    if i["unit_price"] is None:
        return "no price" + (f" ({i['missing']} {regions[i['missing']]})" if i.get("missing") in regions else "")
    return f"${i['unit_price']:.3f} / {i['unit']}" + (f" {UNCONFIRMED}" if i.get("unconfirmed") else "")


def _monthly(i: dict[str, Any] | None) -> str:
    if i is None:
        return _money(0)
    return NO_PRICE if i["monthly"] is None else _money(i["monthly"])


def _missing_prices(c: dict[str, Any], markdown: bool) -> list[str]:
    """The regions (or instance types) without prices, named; empty when everything is priced."""
    missing = c.get("missingPrices") or []
    if not missing:
        return []
    unpriced = sum(1 for i in c["items"] if i["monthly"] is None)
    lead = (f"Not priced: {plural(unpriced, 'item')}; the total leaves "
            f"{'it' if unpriced == 1 else 'them'} out and is not the full monthly cost.")
    return [lead, _list([m["message"] for m in missing], markdown)]


def _total_words(c: dict[str, Any]) -> str:
    words = f"{_money(c['monthlyTotal'])} per month ({c['currency']})"
    if c.get("missingPrices"):
        keys = ", ".join(f"{m['key']} {m['region']}" for m in c["missingPrices"])
        words += f", priced items only: no prices for {keys}"
    return words


def _fixed_words(before: dict[str, Any], after: dict[str, Any], labels: tuple[str, str]) -> str:
    """The fixed (idle) monthly cost of both sides and their ratio: what an environment costs
    against another before anyone uses it."""
    a, b = before.get("fixedMonthly", 0.0), after.get("fixedMonthly", 0.0)
    ratio = f", {labels[0]} at {a / b:.2f} x {labels[1]}" if b else ""
    return f" Fixed items alone (no usage): {_money(a)} -> {_money(b)}{ratio}."


def render(summary: dict[str, Any], markdown: bool = False) -> str:
    blocks = [_heading(f"Offline plan: stack {summary['stack']}", markdown, 1 if markdown else 2)]
    blocks.append(f"{plural(summary['resourceCount'], 'resource')}; AWS {summary['regions']['aws']}, "
                  f"GCP {summary['regions']['gcp']}.")
    blocks += [_heading("Topology", markdown), _list(topology_words(summary["topology"]), markdown)]
    blocks.append(_heading("Resources by component", markdown))
    rows = [[c, t, str(n)] for c, types in summary["resources"].items() for t, n in types.items()]
    blocks.append(_table(rows, ["component", "type", "count"], markdown,
                         f"{plural(summary['resourceCount'], 'resource')} of "
                         f"{plural(len(rows), 'type')} in "
                         f"{plural(len(summary['resources']), 'component')}"))
    blocks.append(_heading("Estimated monthly cost", markdown))
    c = summary["cost"]
    blocks.append(f"Total: {_total_words(c)}; fixed items alone (no usage): {_money(c['fixedMonthly'])}.")
    regions = {m["key"]: m["region"] for m in c.get("missingPrices") or []}
    rows = [[i["item"], f"{i['quantity']:g}", _unit_price(i, regions), _monthly(i), i["basis"]]
            for i in c["items"]]
    rows.append(["total" if not c.get("missingPrices") else "total (priced items only)", "", "",
                 _money(c["monthlyTotal"]), ""])
    blocks.append(_table(rows, ["item", "quantity", "unit price", "per month", "basis"], markdown,
                         f"{plural(len(c['items']), 'cost item')}, {_total_words(c)}"))
    blocks += _missing_prices(c, markdown)
    if any(i.get("unconfirmed") for i in c["items"]):
        blocks.append(UNCONFIRMED_NOTE)
    blocks.append(f"Prices of {c['pricesRetrieved']} from offline/prices.json; usage assumptions: "
                  + ", ".join(f"{k}={v}" for k, v in c["assumptions"].items()) + ".")
    blocks += _violations(summary["violations"], markdown)
    return _join(blocks)


def _violations(violations: list[dict], markdown: bool) -> list[str]:
    blocks = [_heading("Policy", markdown)]
    if not violations:
        return blocks + ["No policy violations."]
    rows = [[v["level"], v["policy"], v["resource"], v["message"]] for v in violations]
    mandatory = sum(1 for v in violations if v["level"] == "mandatory")
    return blocks + [_table(rows, ["level", "policy", "resource", "message"], markdown,
                            f"{plural(len(rows), 'policy violation')} ({mandatory} mandatory)")]


def _flags(diff: dict[str, Any] | None, markdown: bool) -> list[str]:
    """The flags, first thing after the title: `pulumi up` stopping, allowlisted addresses, outages."""
    if not diff or not diff["flags"]:
        return []
    mark = {"critical": "**STOP**" if markdown else "STOP", "warning": "**WARNING**" if markdown else "WARNING"}
    items = [f"{mark[f['severity']]} {f['message']}" for f in diff["flags"]]
    return [_heading("Flags", markdown), _list(items, markdown)]


ACTION_WORDS = {"create": "created", "delete": "deleted", "replace": "REPLACED", "update": "updated"}


def _detail(r: dict[str, Any]) -> str:
    parts = []
    if r["action"] in ("replace", "update"):
        because = r.get("replaceBecause", {})
        for field, change in r["changed"].items():
            text = field if change["before"] == change["after"] else \
                f"{field} {change['before']} -> {change['after']}"
            if change.get("note"):
                text += f" ({change['note']})"
            if field in because:
                text += " [forces replacement]"
            elif field in r.get("interrupting", {}):
                text += " [interrupts the tunnel/session]"
            parts.append(text)
    if r["protect"] and r["action"] in ("delete", "replace"):
        parts.insert(0, "PROTECTED")
    if r.get("address"):
        parts.append(f"address {r['address']}")
    return "; ".join(parts)


def _resource_changes(diff: dict[str, Any], markdown: bool) -> list[str]:
    blocks = [_heading("Changes by resource", markdown)]
    if diff["unchanged"]:
        return blocks + ["No changes: every resource's inputs and every stack output are the same."]
    n = diff["counts"]
    blocks.append(f"{n['create']} to create, {n['update']} to update, {n['replace']} to replace, "
                  f"{n['delete']} to delete.")
    by_component: dict[str, list[dict]] = {}
    for r in diff["resources"]:
        by_component.setdefault(r["component"], []).append(r)
    order = {"delete": 0, "replace": 1, "create": 2, "update": 3}
    for component, rows in sorted(by_component.items()):
        rows = sorted(rows, key=lambda r: (order[r["action"]], r["type"], r["name"]))
        blocks.append(_heading(component, markdown, 3) if markdown else f"{component}:")
        counts = ", ".join(f"{sum(1 for r in rows if r['action'] == a)} {w.lower()}"
                           for a, w in ACTION_WORDS.items() if any(r["action"] == a for r in rows))
        blocks.append(_table([[ACTION_WORDS[r["action"]], r["type"], r["name"], _detail(r)] for r in rows],
                             ["change", "type", "name", "detail"], markdown,
                             f"{plural(len(rows), 'resource')}: {counts}"))
    if diff["outputs"]:
        blocks.append(_heading("Stack outputs", markdown, 3) if markdown else "Stack outputs:")
        blocks.append(_table([[o["name"], o["action"], o["before"], o["after"]] for o in diff["outputs"]],
                             ["output", "change", "before", "after"], markdown,
                             plural(len(diff["outputs"]), "changed output")))
    return blocks


def render_diff(before: dict[str, Any], after: dict[str, Any], markdown: bool = False,
                labels: tuple[str, str] = ("before", "after"), diff: dict[str, Any] | None = None) -> str:
    blocks = [_heading(f"Offline plan diff: {labels[0]} -> {labels[1]}", markdown, 1 if markdown else 2)]
    blocks += _flags(diff, markdown)
    delta = after["cost"]["monthlyTotal"] - before["cost"]["monthlyTotal"]
    partial = [label for label, s in zip(labels, (before, after), strict=True) if s["cost"].get("missingPrices")]
    blocks.append(f"Resources: {before['resourceCount']} -> {after['resourceCount']} "
                  f"({_signed(after['resourceCount'] - before['resourceCount'])}); monthly cost: "
                  f"{_money(before['cost']['monthlyTotal'])} -> {_money(after['cost']['monthlyTotal'])} "
                  f"({_signed(delta, money=True)})"
                  + (f"; priced items only, prices are missing for {' and '.join(partial)}." if partial else ".")
                  + _fixed_words(before["cost"], after["cost"], labels))
    blocks.append(_heading("Topology", markdown))
    words = [new if old == new else f"{old} -> {new}"
             for old, new in zip(topology_words(before["topology"]), topology_words(after["topology"]), strict=True)]
    blocks.append(_list(words, markdown))
    counts = lambda s: {(c, t): n for c, ts in s["resources"].items() for t, n in ts.items()}  # noqa: E731
    a, b = counts(before), counts(after)
    rows = [[c, t, str(a.get((c, t), 0)), str(b.get((c, t), 0)), _signed(b.get((c, t), 0) - a.get((c, t), 0))]
            for c, t in sorted(set(a) | set(b)) if a.get((c, t), 0) != b.get((c, t), 0)]
    blocks.append(_heading("Resource changes", markdown))
    header = ["component", "type", labels[0], labels[1], "change"]
    if rows:
        blocks.append(_table(rows, header, markdown, plural(len(rows), "changed resource type")))
    elif diff is not None and not diff["unchanged"]:
        n = diff["counts"]
        blocks.append(f"No change in resource counts, but resources change: {n['create']} created, "
                      f"{n['delete']} deleted, {n['replace']} replaced, {n['update']} updated "
                      "(see Changes by resource).")
    else:
        blocks.append("No change in resource counts.")
    ca = {i["item"]: i for i in before["cost"]["items"]}
    cb = {i["item"]: i for i in after["cost"]["items"]}
    value = lambda items, item: (items[item]["monthly"] if item in items else 0)  # noqa: E731
    rows, unconfirmed = [], False
    for item in dict.fromkeys([*ca, *cb]):
        old, new = value(ca, item), value(cb, item)
        if old is None or new is None:
            if old is new:
                continue
            change = NO_PRICE
        elif round(old, 2) != round(new, 2):
            change = _signed(new - old, True)
        else:
            continue
        marked = any(side.get(item, {}).get("unconfirmed") for side in (ca, cb))
        unconfirmed |= marked
        rows.append([item + (f" {UNCONFIRMED}" if marked else ""), _monthly(ca.get(item)),
                     _monthly(cb.get(item)), change])
    blocks.append(_heading("Cost changes (per month)", markdown))
    blocks.append(_table(rows, ["item", labels[0], labels[1], "change"], markdown,
                         plural(len(rows), "changed cost item")) if rows else "No cost change.")
    for label, s in zip(labels, (before, after), strict=True):
        if s["cost"].get("missingPrices"):
            blocks.append(f"{label}: " + " ".join(m["message"] for m in s["cost"]["missingPrices"]))
    if unconfirmed:
        blocks.append(UNCONFIRMED_NOTE)
    if diff is not None:
        blocks += _resource_changes(diff, markdown)
    blocks += _violations(after["violations"], markdown)
    return _join(blocks)
