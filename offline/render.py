"""Text and Markdown for one stack's summary, or for the difference between two."""

from __future__ import annotations

from typing import Any


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _signed(value: float, money: bool = False) -> str:
    text = _money(abs(value)) if money else f"{abs(value):g}"
    return ("+" if value > 0 else "-" if value < 0 else "±") + text


def _table(rows: list[list[str]], header: list[str], markdown: bool) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return lines
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header), fmt.format(*("-" * w for w in widths))] + [fmt.format(*r) for r in rows]


def _heading(text: str, markdown: bool, level: int = 2) -> str:
    return f"{'#' * level} {text}" if markdown else f"\n{text}\n{'=' * len(text)}"


def topology_words(t: dict[str, Any]) -> list[str]:
    dns = t["dns"]
    directions = [name for name, on in (("GCP -> AWS", dns["gcpToAws"]), ("AWS -> GCP", dns["awsToGcp"])) if on]
    return [
        f"Site-to-site: {t['layout']}, {t['tunnels']} GCP tunnel(s), external gateway "
        f"{t['redundancyType']}; SLA: {t['sla']}.",
        f"Bandwidth ceiling: {t['aggregateGbps']:g} Gbps aggregate with ECMP, "
        f"{t['singleFlowGbps']:g} Gbps per flow; "
        + ("survives AWS tunnel maintenance." if t["survivesAwsMaintenance"]
           else "a lone tunnel goes down during AWS maintenance."),
        f"Egress: {t['egressIpsToAllowlist']} Elastic IP(s) to allowlist; "
        + (f"Client VPN in {t['clientVpnAssociations']} zone(s), "
           + ("full tunnel." if t["clientVpnFullTunnel"] else "split tunnel.")
           if t["clientVpnAssociations"] else "Client VPN off.")
        + (f" Twingate: {t['twingateConnectors']} connectors behind the same NAT."
           if t.get("twingateConnectors") else ""),
        f"GCP spokes: {len(t['spokes'])}" + (f" ({', '.join(t['spokes'])})." if t["spokes"] else "."),
        "Private DNS: " + (", ".join(directions) if directions else "none") + ".",
    ]


def render(summary: dict[str, Any], markdown: bool = False) -> str:
    lines = [_heading(f"Offline plan: stack {summary['stack']}", markdown, 1 if markdown else 2)]
    lines.append(f"{summary['resourceCount']} resources; AWS {summary['regions']['aws']}, "
                 f"GCP {summary['regions']['gcp']}.")
    lines.append(_heading("Topology", markdown))
    lines += [("- " if markdown else "  ") + w for w in topology_words(summary["topology"])]
    lines.append(_heading("Resources by component", markdown))
    rows = [[c, t, str(n)] for c, types in summary["resources"].items() for t, n in types.items()]
    lines += _table(rows, ["component", "type", "count"], markdown)
    lines.append(_heading("Estimated monthly cost", markdown))
    c = summary["cost"]
    rows = [[i["item"], f"{i['quantity']:g}", f"${i['unit_price']:.3f} / {i['unit']}",
             _money(i["monthly"]), i["basis"]] for i in c["items"]]
    rows.append(["total", "", "", _money(c["monthlyTotal"]), ""])
    lines += _table(rows, ["item", "quantity", "unit price", "per month", "basis"], markdown)
    lines.append(f"Prices of {c['pricesRetrieved']} from offline/prices.json; usage assumptions: "
                 + ", ".join(f"{k}={v}" for k, v in c["assumptions"].items()) + ".")
    lines += _violations(summary["violations"], markdown)
    return "\n".join(lines) + "\n"


def _violations(violations: list[dict], markdown: bool) -> list[str]:
    lines = [_heading("Policy", markdown)]
    if not violations:
        return lines + ["No policy violations."]
    rows = [[v["level"], v["policy"], v["resource"], v["message"]] for v in violations]
    return lines + _table(rows, ["level", "policy", "resource", "message"], markdown)


def render_diff(before: dict[str, Any], after: dict[str, Any], markdown: bool = False,
                labels: tuple[str, str] = ("before", "after")) -> str:
    lines = [_heading(f"Offline plan diff: {labels[0]} -> {labels[1]}", markdown, 1 if markdown else 2)]
    delta = after["cost"]["monthlyTotal"] - before["cost"]["monthlyTotal"]
    lines.append(f"Resources: {before['resourceCount']} -> {after['resourceCount']} "
                 f"({_signed(after['resourceCount'] - before['resourceCount'])}); monthly cost: "
                 f"{_money(before['cost']['monthlyTotal'])} -> {_money(after['cost']['monthlyTotal'])} "
                 f"({_signed(delta, money=True)}).")
    lines.append(_heading("Topology", markdown))
    for old, new in zip(topology_words(before["topology"]), topology_words(after["topology"]), strict=True):
        lines.append(("- " if markdown else "  ") + (new if old == new else f"{old} -> {new}"))
    counts = lambda s: {(c, t): n for c, ts in s["resources"].items() for t, n in ts.items()}  # noqa: E731
    a, b = counts(before), counts(after)
    rows = [[c, t, str(a.get((c, t), 0)), str(b.get((c, t), 0)), _signed(b.get((c, t), 0) - a.get((c, t), 0))]
            for c, t in sorted(set(a) | set(b)) if a.get((c, t), 0) != b.get((c, t), 0)]
    lines.append(_heading("Resource changes", markdown))
    header = ["component", "type", labels[0], labels[1], "change"]
    lines += _table(rows, header, markdown) if rows else ["No change in resource counts."]
    ca = {i["item"]: i["monthly"] for i in before["cost"]["items"]}
    cb = {i["item"]: i["monthly"] for i in after["cost"]["items"]}
    rows = [[item, _money(ca.get(item, 0)), _money(cb.get(item, 0)), _signed(cb.get(item, 0) - ca.get(item, 0), True)]
            for item in list(dict.fromkeys([*ca, *cb])) if round(ca.get(item, 0), 2) != round(cb.get(item, 0), 2)]
    lines.append(_heading("Cost changes (per month)", markdown))
    lines += _table(rows, ["item", labels[0], labels[1], "change"], markdown) if rows else ["No cost change."]
    lines += _violations(after["violations"], markdown)
    return "\n".join(lines) + "\n"
