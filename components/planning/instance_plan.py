"""What the small instances of the cheap options run: the DNS forwarder's unbound configuration
and the boot scripts, as plain text built from the plan (pure Python, tested without Pulumi).

Both instances run Amazon Linux 2023 for ARM, install only the distribution's packages, and
upgrade every package at every boot (`dnf --releasever=latest upgrade`: AL2023 images are locked
to their release's repository otherwise), so a recovery or reboot also patches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
ROOT_VOLUME_GB = 8          # the AL2023 image's own size; gp3, encrypted
CLOUD_DNS_FORWARDING_RANGE = "35.199.192.0/19"

# A oneshot unit that upgrades every package at every boot, before the service it protects starts.
PATCH_UNIT = """[Unit]
Description=Upgrade every package at boot (multicloud-vpn)
Wants=network-online.target
After=network-online.target
Before={before}

[Service]
Type=oneshot
ExecStart=/usr/bin/dnf -y --releasever=latest upgrade
TimeoutStartSec=300

[Install]
WantedBy=multi-user.target
"""


@dataclass(frozen=True)
class ForwardZone:
    name: str                  # with trailing dot; "." for everything else
    servers: tuple[str, ...]


def forward_zones(vpc_resolver: str, aws_domains: Sequence[str], gcp_domains: Sequence[str],
                  gcp_forwarders: Sequence[str],
                  on_premises: Sequence[tuple[str, Sequence[str]]] = ()) -> tuple[ForwardZone, ...]:
    """AWS names (and everything else) to the VPC resolver, GCP names to the hub's inbound
    forwarders, on-premises names to their servers. No GCP zone without forwarder addresses."""
    zones = [ForwardZone(d, (vpc_resolver,)) for d in aws_domains]
    if gcp_forwarders:
        zones += [ForwardZone(d, tuple(gcp_forwarders)) for d in gcp_domains]
    zones += [ForwardZone(d, tuple(servers)) for d, servers in on_premises]
    zones.append(ForwardZone(".", (vpc_resolver,)))
    return tuple(zones)


def unbound_config(listen: str, allowed: Sequence[str], zones: Sequence[ForwardZone]) -> str:
    """unbound as a pure forwarder on `listen`: answers only `allowed` sources, validates nothing
    (the private zones are unsigned and the VPC resolver is trusted), no remote control."""
    lines = [
        "server:",
        f"    interface: {listen}",
        "    ip-freebind: yes",
        "    port: 53",
        "    do-ip4: yes",
        "    do-ip6: no",
        "    do-udp: yes",
        "    do-tcp: yes",
        '    module-config: "iterator"',
        "    hide-identity: yes",
        "    hide-version: yes",
        "    access-control: 0.0.0.0/0 refuse",
        *(f"    access-control: {cidr} allow" for cidr in allowed),
        "remote-control:",
        "    control-enable: no",
    ]
    for zone in zones:
        lines += ["forward-zone:", f'    name: "{zone.name}"',
                  *(f"    forward-addr: {server}" for server in zone.servers)]
    return "\n".join(lines) + "\n"


# The network may not be ready at first boot (the NAT instance gets its Elastic IP just after it
# starts; the forwarder waits for the NAT): package steps are retried for up to 10 minutes.
RETRY = ('retry() { for attempt in $(seq 60); do "$@" && return 0; echo "retrying: $*" >&2; sleep 10; done; '
         'return 1; }')


def _file(path: str, text: str) -> list[str]:
    return [f"cat > {path} <<'MULTICLOUD_VPN_EOF'", text.rstrip("\n"), "MULTICLOUD_VPN_EOF"]


def forwarder_boot_script(config: str, vpc_resolver: str) -> str:
    """User data of the DNS forwarder: resolve through the VPC resolver itself (the VPC's DHCP
    options may name this very instance), upgrade, install unbound, start it, keep it running.

    A failed setup powers the instance off: a stopped instance reports no status checks, and
    the health alarm treats missing data as failing, so nobody mistakes it for a forwarder."""
    return "\n".join([
        "#!/bin/bash",
        "set -euo pipefail",
        "trap 'echo \"DNS forwarder setup failed; powering off\" >&2; systemctl poweroff' ERR",
        "mkdir -p /etc/systemd/resolved.conf.d /etc/systemd/system/unbound.service.d",
        *_file("/etc/systemd/resolved.conf.d/vpc-resolver.conf",
               f"[Resolve]\nDNS={vpc_resolver}\nDomains=~.\n"),
        "systemctl restart systemd-resolved",
        RETRY,
        *_file("/etc/systemd/system/multicloud-vpn-patch.service", PATCH_UNIT.format(before="unbound.service")),
        "retry dnf -y --releasever=latest upgrade",
        "retry dnf -y install unbound",
        *_file("/etc/unbound/unbound.conf", config),
        *_file("/etc/systemd/system/unbound.service.d/restart.conf", "[Service]\nRestart=always\nRestartSec=5\n"),
        "unbound-checkconf /etc/unbound/unbound.conf",
        "systemctl daemon-reload",
        "systemctl enable multicloud-vpn-patch.service",
        "systemctl enable --now unbound",
        "",
    ])


def nat_boot_script(vpc_cidr: str) -> str:
    """User data of the NAT instance: forward IPv4 and masquerade what leaves the VPC through the
    primary interface (the one holding the Elastic IP), restored at every boot."""
    return "\n".join([
        "#!/bin/bash",
        "set -euo pipefail",
        "trap 'echo \"NAT setup failed; powering off\" >&2; systemctl poweroff' ERR",
        RETRY,
        *_file("/etc/systemd/system/multicloud-vpn-patch.service", PATCH_UNIT.format(before="nftables.service")),
        "retry dnf -y --releasever=latest upgrade",
        "retry dnf -y install nftables",
        *_file("/etc/sysctl.d/90-nat.conf", "net.ipv4.ip_forward = 1\n"),
        "sysctl --system",
        *_file("/etc/sysconfig/nftables.conf", "\n".join([
            "flush ruleset",
            "table ip nat {",
            "    chain postrouting {",
            "        type nat hook postrouting priority srcnat; policy accept;",
            f"        ip saddr {vpc_cidr} ip daddr != {vpc_cidr} oifname != \"lo\" masquerade",
            "    }",
            "}",
        ]) + "\n"),
        "systemctl daemon-reload",
        "systemctl enable multicloud-vpn-patch.service",
        "systemctl enable --now nftables",
        "systemctl restart nftables",
        "",
    ])
