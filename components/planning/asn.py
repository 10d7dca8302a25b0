"""BGP autonomous system numbers as each cloud takes them."""

from __future__ import annotations

PRIVATE_ASN_RANGES = ((64512, 65534), (4200000000, 4294967294))
ASN_ACCEPTED = "expected a private ASN: 64512-65534 or 4200000000-4294967294"
# aws.ec2.CustomerGateway: `bgp_asn` takes 1-2147483647, `bgp_asn_extended` 2147483648-4294967295.
AWS_BGP_ASN_MAX = 2_147_483_647


def is_private_asn(asn: int) -> bool:
    return any(low <= asn <= high for low, high in PRIVATE_ASN_RANGES)


def customer_gateway_asn(asn: int) -> dict[str, str]:
    """The customer gateway argument that holds `asn` (a 4-byte private ASN needs the extended one)."""
    return {"bgp_asn" if asn <= AWS_BGP_ASN_MAX else "bgp_asn_extended": str(asn)}
