"""`python -m operate status <stack>`: are the tunnels up, and if not, why (docs/status.md).
`python -m operate revocation-list <stack>`: Client VPN's certificate revocation list
(docs/remote-access.md).

Exit codes: 0 healthy, 1 degraded, 2 down (every tunnel of the site-to-site VPN down), 3 usage
error (argparse's own errors included, so 2 always means down), 4 missing or unusable credentials,
5 a cloud API refused or failed. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from operate import render
from operate.clients import AwsStatus, GcpStatus
from operate.diagnose import diagnose, find_gcp_tunnel
from operate.stack import UsageError, read_outputs_automation, read_outputs_file, stack_config

EXIT_USAGE, EXIT_CREDENTIALS, EXIT_API = 3, 4, 5
PROJECT_DIR = Path(__file__).resolve().parent.parent

AwsFactory = Callable[[str | None], AwsStatus]
GcpFactory = Callable[[str, str], GcpStatus]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m operate", description="Day-2 operations for a multicloud-vpn stack.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("status", help="live tunnel, BGP and route status, with diagnoses")
    s.add_argument("stack", help="stack name, e.g. prod")
    s.add_argument("--outputs", type=Path, help="JSON of `pulumi stack output --json [--show-secrets]` "
                   "(default: read through the Pulumi Automation API)")
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.add_argument("--gcp-project", help="default: gcp:project of Pulumi.<stack>.yaml")
    s.add_argument("--gcp-region", help="default: gcp:region of Pulumi.<stack>.yaml")
    s.add_argument("--aws-region", help="default: aws:region of Pulumi.<stack>.yaml, else boto3's default")
    s.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    r = sub.add_parser("revocation-list", help="write Client VPN's client certificate revocation list")
    r.add_argument("stack", help="stack name, e.g. prod")
    r.add_argument("--state", type=Path, help="JSON of `pulumi stack export --show-secrets` "
                   "(default: run that command)")
    r.add_argument("--out", type=Path, default=Path("crl.pem"), help="where to write the list (crl.pem)")
    r.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    return p


def revocation(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from operate.revocation import read_state_cli, read_state_file, revocation_list

    try:
        state = read_state_file(args.state) if args.state else read_state_cli(args.stack, args.project_dir)
        command = revocation_list(args.stack, state, args.project_dir, args.out)
    except UsageError as error:
        print(f"operate revocation-list: {error}", file=err)
        return EXIT_USAGE
    out.write(f"wrote {args.out}; import it (it replaces the endpoint's list):\n{command}\n")
    return 0


def collect(args: argparse.Namespace, aws_factory: AwsFactory, gcp_factory: GcpFactory) -> tuple[dict, Any]:
    """Outputs, then AWS, then GCP; returns the outputs and the report."""
    outputs = (read_outputs_file(args.outputs) if args.outputs
               else read_outputs_automation(args.stack, args.project_dir))
    if not outputs.get("tunnels"):
        raise UsageError(f"stack {args.stack!r} has no `tunnels` output: no site-to-site VPN to check")
    config = stack_config(args.stack, args.project_dir)
    project, region = args.gcp_project or config.get("gcp:project"), args.gcp_region or config.get("gcp:region")
    if not project or not region:
        raise UsageError("the GCP project and region are unknown: pass --gcp-project and --gcp-region")
    tunnels = outputs["tunnels"]
    aws = aws_factory(args.aws_region or config.get("aws:region"))
    ids = sorted({str(i) for i in [*(outputs.get("vpnConnectionIds") or []),
                                   *(t.get("vpnConnectionId") for t in tunnels)] if i})
    connections = aws.vpn_connections(outputs.get("transitGatewayId"), None if outputs.get("transitGatewayId")
                                      else ids)
    gcp_ips = {t.get("awsOutsideIp") for t in tunnels}
    gcp_vpn_ids = ids or sorted({c["VpnConnectionId"] for c in connections
                                 if any(v.get("OutsideIpAddress") in gcp_ips for v in c.get("VgwTelemetry") or [])})
    table = outputs.get("routeTableId") or aws.route_table_of(gcp_vpn_ids)
    routes = aws.routes(table) if table else None
    gcp = gcp_factory(str(project), str(region))
    gcp_tunnels = gcp.tunnels()
    routers = [t.get("gcpRouter") or (find_gcp_tunnel(t, gcp_tunnels) or {}).get("router") for t in tunnels]
    peers = gcp.bgp_peers([r for r in routers if r])
    return outputs, diagnose(outputs, connections, gcp_tunnels, peers, routes)


def _credential_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import NoCredentialsError, PartialCredentialsError
    from google.auth.exceptions import DefaultCredentialsError, RefreshError

    return NoCredentialsError, PartialCredentialsError, DefaultCredentialsError, RefreshError


def _api_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError
    from google.api_core.exceptions import GoogleAPIError

    return ClientError, BotoCoreError, GoogleAPIError


def main(argv: Sequence[str] | None = None, *, aws_factory: AwsFactory = AwsStatus.default,
         gcp_factory: GcpFactory = GcpStatus.default, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = parser().parse_args(argv)
    if args.command == "revocation-list":
        return revocation(args, out, err)
    try:
        _, report = collect(args, aws_factory, gcp_factory)
    except UsageError as error:
        print(f"operate status: {error}", file=err)
        return EXIT_USAGE
    except _credential_errors() as error:
        print(f"operate status: missing cloud credentials: {str(error).splitlines()[0]} "
              "(AWS: the usual boto3 chain, e.g. AWS_PROFILE; GCP: gcloud auth application-default login)",
              file=err)
        return EXIT_CREDENTIALS
    except _api_errors() as error:
        print(f"operate status: a cloud API call failed: {str(error).splitlines()[0] if str(error) else error!r}",
              file=err)
        return EXIT_API
    if args.format == "json":
        json.dump({"stack": args.stack, **report.to_dict()}, out, indent=2, default=str)
        out.write("\n")
    else:
        out.write(render.text(args.stack, report))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
