"""A prod stack joined to what a company already runs: an existing spoke in another project,
an attached VPC and two offices (one BGP, one static)."""

EXISTING_SPOKE = {"name": "spoke-prod-erp", "network": "erp-vpc", "project": "erp-team-prod",
                  "cidrs": ["10.103.0.0/20", "10.103.16.0/20"]}
ATTACHED_VPC = {"name": "shared-services", "vpcId": "vpc-0a1b2c3d4e5f60718",
                "subnetIds": ["subnet-0a1b2c3d4e5f60718", "subnet-1a1b2c3d4e5f60718"],
                "routeTableIds": ["rtb-0a1b2c3d4e5f60718"], "cidrs": ["10.20.0.0/16"]}
OFFICES = [
    {"name": "tokyo-office", "publicIp": "153.120.10.10", "cidrs": ["192.168.10.0/24"], "bgpAsn": 65010},
    {"name": "osaka-office", "publicIp": "126.200.20.20", "cidrs": ["192.168.20.0/24", "192.168.21.0/24"]},
]


def estate_config(base: dict) -> dict:
    import copy
    config = copy.deepcopy(base)
    config["multicloud-vpn:gcpHub"]["spokes"] = [*config["multicloud-vpn:gcpHub"].get("spokes", []),
                                                 copy.deepcopy(EXISTING_SPOKE)]
    config["multicloud-vpn:network"]["attachedVpcs"] = [copy.deepcopy(ATTACHED_VPC)]
    config["multicloud-vpn:offices"] = copy.deepcopy(OFFICES)
    return config
