"""Pure planning: typed settings, tunnel layout, address allocation. No Pulumi import here."""
