"""multicloud-vpn policy pack: `pulumi preview --policy-pack policy`."""

import os
import sys

from pulumi_policy import PolicyPack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from policies import POLICIES  # noqa: E402

PolicyPack(name="multicloud-vpn", policies=POLICIES)
