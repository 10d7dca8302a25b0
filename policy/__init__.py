"""Policy pack of multicloud-vpn (`pulumi preview --policy-pack policy`); rules in `rules.py`."""
