"""Infrastructure components of multicloud-vpn.

`components.planning` is pure Python (no Pulumi import): settings, layouts and address plans.
The other modules are Pulumi component resources that turn those plans into resources.
"""
