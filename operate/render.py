"""The report as text: one table, then the diagnoses in plain words, then the verdict."""

from __future__ import annotations

from operate.diagnose import Report

COLUMNS = ("TUNNEL", "AWS OUTSIDE IP", "AWS", "GCP", "BGP", "ROUTES GCP->AWS", "ROUTES AWS->GCP", "STATE")


def _cell(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


def text(stack: str, report: Report) -> str:
    rows = [COLUMNS] + [tuple(_cell(v) for v in (r.tunnel, r.aws_outside_ip, r.aws, r.gcp, r.bgp,
                                                   r.routes_to_aws, r.routes_to_gcp, r.state))
                        for r in report.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    problems = [f for f in report.findings if f.problem]
    notes = [f for f in report.findings if not f.problem]
    if problems:
        lines += ["", "Why:"] + [f"- {f.tunnel}: {f.message}" for f in problems]
    if notes:
        lines += ["", "Notes:"] + [f"- {f.message}" for f in notes]
    lines += ["", f"stack {stack}: {report.health}"]
    return "\n".join(lines) + "\n"
