"""Day-2 operations for a deployed stack: `python -m operate status <stack>` (docs/status.md).

Kept out of the Pulumi program (`__main__.py`, `components/`): nothing here declares resources, and
the program never imports it, so a `pulumi up` needs neither boto3 nor the GCP client library.
"""
