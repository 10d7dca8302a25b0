"""Benchmark: evaluation speed under mocks, and the critical path of a first `pulumi up`.

    python bench/benchmark.py

Prints figures; asserts nothing. Evaluation times are wall-clock on this machine (median of
several runs); the ratios, all measured in the same run, are what carries to another machine.
The critical path uses the typical creation times in creation_times.json.
"""

from __future__ import annotations

import copy
import json
import statistics
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offline.evaluate import Deployment, run_program, stack_config  # noqa: E402

TIMES = json.loads((Path(__file__).with_name("creation_times.json")).read_text())["seconds"]
UNAVOIDABLE = ["gcp:compute/haVpnGateway:HaVpnGateway", "aws:ec2/customerGateway:CustomerGateway",
               "aws:ec2/vpnConnection:VpnConnection", "gcp:compute/externalVpnGateway:ExternalVpnGateway",
               "gcp:compute/vPNTunnel:VPNTunnel", "gcp:compute/routerPeer:RouterPeer"]
RUNS = 5


_FRESH = """
import json, time
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
from offline.evaluate import run_program, stack_config
run_program(stack_config("prod"), stack="prod")
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1]))
"""
# The provider modules the program uses. pulumi_aws and pulumi_gcp load a submodule on first
# attribute access, so one class of each is touched to really load it.
IMPORTS = ("import pulumi, pulumi_aws as a, pulumi_gcp as g, pulumi_random as r, pulumi_tls as t; "
           "[a.ec2.Vpc, a.ec2transitgateway.TransitGateway, a.ec2clientvpn.Endpoint, a.route53.Zone, "
           "a.acm.Certificate, a.iam.SamlProvider, a.cloudwatch.LogGroup, a.get_availability_zones, "
           "g.compute.Network, g.dns.ManagedZone, r.RandomPassword, t.PrivateKey]")


def evaluation_figures() -> None:
    """In fresh processes: importing the providers, then the first evaluation of prod."""
    imports, evaluations = [], []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", _FRESH.format(imports=IMPORTS)], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout
        t_import, t_eval = json.loads(out.strip().splitlines()[-1])
        imports.append(t_import)
        evaluations.append(t_eval)
    t_import, t_eval = statistics.median(imports), statistics.median(evaluations)
    print(f"Fresh process, median of {RUNS}:")
    print(f"  import pulumi + provider modules        {t_import:6.2f} s")
    print(f"  first evaluation of prod under mocks    {t_eval:6.2f} s "
          f"(= {t_eval / t_import:.2f} x the import time)")


def with_spokes(n: int) -> dict:
    config = copy.deepcopy(stack_config("prod"))
    hub = config["multicloud-vpn:gcpHub"]
    hub["spokes"] = [{"name": f"spoke-{i}", "cidr": f"10.{110 + i}.0.0/20"} for i in range(n)]
    hub["peeringLimit"] = max(25, n)
    return config


def spoke_growth() -> None:
    print("In-process evaluation of prod with N spokes (providers already imported), median of 3:")
    run_program(with_spokes(1), stack="prod")  # warm up imports
    base = None
    for n in (1, 10, 50):
        samples, count = [], 0
        for _ in range(3):
            start = time.perf_counter()
            d = run_program(with_spokes(n), stack="prod")
            samples.append(time.perf_counter() - start)
            count = len(d.resources)
        median = statistics.median(samples)
        base = base or (median, count)
        print(f"  {n:3d} spokes: {median:5.2f} s for {count} resources "
              f"(x{median / base[0]:.2f} the time for x{count / base[1]:.2f} the resources)")


@cache
def _weight(type_: str) -> int:
    if type_.startswith(("pulumi:providers:", "multicloud-vpn:")):
        return 0
    return TIMES.get(type_, 5)


def critical_path(d: Deployment, ending_in: str | None = None) -> tuple[int, list]:
    """Longest chain of dependent resources (optionally ending at a type), weighted by
    typical creation time."""
    by_urn = {r.urn: r for r in d.resources}
    best: dict[str, tuple[int, list]] = {}

    def finish(urn: str) -> tuple[int, list]:
        if urn not in best:
            r = by_urn[urn]
            deps = {u for u in (*r.options["dependencies"], *r.options["property_dependencies"])
                    if u in by_urn}
            before = max((finish(u) for u in deps), default=(0, []), key=lambda x: x[0])
            best[urn] = (before[0] + _weight(r.type), before[1] + [r])
        return best[urn]

    ends = [u for u, r in by_urn.items() if ending_in is None or r.type == ending_in]
    return max((finish(u) for u in ends), key=lambda x: x[0])


def show_chain(title: str, seconds: int, chain: list) -> None:
    print(f"{title}: {seconds / 60:.1f} min")
    for r in chain:
        if _weight(r.type):
            print(f"  {_weight(r.type):4d} s  {r.type.split(':')[-1]:<24} {r.name}")


def critical_path_figures() -> None:
    d = run_program(stack_config("prod"), stack="prod")
    seconds, chain = critical_path(d)
    show_chain("Critical path of a first `pulumi up` of prod", seconds, chain)
    show_chain("Longest chain to a BGP session (site-to-site VPN up)",
               *critical_path(d, ending_in="gcp:compute/routerPeer:RouterPeer"))
    floor = sum(TIMES[t] for t in UNAVOIDABLE)
    print(f"Unavoidable chain (HA VPN gateway -> customer gateway -> VPN connection -> external "
          f"gateway -> tunnel -> BGP peer): {floor / 60:.1f} min")
    print(f"Critical path / unavoidable chain: {seconds / floor:.2f}")


if __name__ == "__main__":
    evaluation_figures()
    print()
    spoke_growth()
    print()
    critical_path_figures()
