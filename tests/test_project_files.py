"""README, docs/, Pulumi.yaml and both stack files say the same thing as the code."""

import re

import yaml

from components.planning import settings as s
from components.planning.fields import Section
from tests.harness import ROOT_DIR, stack_config

PROJECT_FILE = yaml.safe_load((ROOT_DIR / "Pulumi.yaml").read_text())
README = (ROOT_DIR / "README.md").read_text()
DOCS = ROOT_DIR / "docs"
CONFIGURATION = (DOCS / "configuration.md").read_text()
OUTPUTS = (DOCS / "outputs.md").read_text()
PROJECT_KEYS = {k.split(":", 1)[1] for k in s.CONFIG_KEYS if k.startswith("multicloud-vpn:")}


def test_project_file_runtime():
    assert PROJECT_FILE["name"] == "multicloud-vpn"
    runtime = PROJECT_FILE["runtime"]
    assert runtime["name"] == "python"
    assert runtime["options"] == {"toolchain": "pip", "virtualenv": ".venv"}


def test_every_project_setting_is_declared_typed_and_described():
    declared = PROJECT_FILE["config"]
    assert set(declared) == PROJECT_KEYS
    for key, spec in declared.items():
        assert spec["type"] in ("object", "array") and len(spec["description"]) > 40, key


def test_stack_files_use_only_declared_keys_and_set_the_required_ones():
    for stack in ("dev", "prod"):
        config = stack_config(stack)
        project_keys = {k.split(":", 1)[1] for k in config if k.startswith("multicloud-vpn:")}
        assert project_keys <= PROJECT_KEYS, stack
        for key in ("aws:region", "gcp:project", "gcp:region"):
            assert key in config, (stack, key)
        assert config["aws:region"] == "ap-northeast-1" and config["gcp:region"] == "asia-northeast1"


TWINGATE_EXAMPLE = {"enabled": True, "groups": ["eng"], "amiId": "ami-0123456789abcdef0",
                    "resources": [{"name": "portal", "address": "portal.example.com"}]}


def _fields(parse, key, *extra):
    value = stack_config("prod").get(key, TWINGATE_EXAMPLE if key.endswith(":twingate") else None)
    section = Section(key, value)
    parse(section, *extra)
    return section.fields_read


SECTION_PARSERS = (("multicloud-vpn:siteToSite", s.parse_site_to_site, ()),
                   ("multicloud-vpn:gcpHub", s.parse_gcp_hub, ("asia-northeast1",)),
                   ("multicloud-vpn:network", s.parse_network, ()),
                   ("multicloud-vpn:clientVpn", s.parse_client_vpn, (ROOT_DIR,)),
                   ("multicloud-vpn:dns", s.parse_dns, ()),
                   ("multicloud-vpn:twingate", s.parse_twingate, ()))


def test_readme_and_project_file_document_every_field():
    for key, parse, extra in SECTION_PARSERS:
        name = key.split(":")[1]
        description = PROJECT_FILE["config"][name]["description"]
        assert f"`{key}`" in CONFIGURATION
        for field in _fields(parse, key, *extra):
            assert f"`{field}`" in CONFIGURATION, (key, field)
            assert field in description, (key, field)


def test_readme_documents_every_output_and_the_commands():
    exported = set(re.findall(r'pulumi\.export\("(\w+)"', (ROOT_DIR / "__main__.py").read_text()))
    for name in exported:
        assert f"`{name}`" in OUTPUTS, name
    first_screen = "\n".join(README.splitlines()[:80])
    for command in ("pulumi up --stack dev", ".venv/bin/python -m pytest -q",
                    ".venv/bin/python -m offline.plan dev", "policy/venv/bin/pip install"):
        assert command in first_screen, command
    assert "python -m pytest -q" in (ROOT_DIR / ".ci" / "run").read_text()


def test_readme_remote_access_comparison_matches_the_price_file():
    from offline.cost import remote_access_monthly
    for users in (10, 50):
        one, two = (remote_access_monthly(users, "ap-northeast-1", zones) for zones in (1, 2))
        row = f"| {users} | ${one['clientVpn']:,.2f} | ${two['clientVpn']:,.2f} | ${one['twingate']:,.2f} |"
        assert row in (DOCS / "twingate.md").read_text(), row


def test_readme_links_every_docs_page_and_every_link_resolves():
    pages = sorted(p.name for p in DOCS.glob("*.md"))
    for page in pages:
        assert f"(docs/{page})" in README, page
    for source in (ROOT_DIR / "README.md", *DOCS.glob("*.md")):
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", source.read_text()):
            assert (source.parent / target).exists(), (source.name, target)


def test_pulumi_yaml_and_the_configuration_page_are_generated_from_the_reference_table():
    from components.planning import reference
    project = (ROOT_DIR / "Pulumi.yaml").read_text()
    assert reference.render_project_file(project) == project, \
        "Pulumi.yaml is stale: run python -m components.planning.reference"
    assert reference.render_docs(CONFIGURATION) == CONFIGURATION, \
        "docs/configuration.md is stale: run python -m components.planning.reference"


def test_every_field_a_parser_reads_is_in_the_reference_table_and_back():
    from components.planning import reference
    for key, parse, extra in SECTION_PARSERS:
        table = reference.section_for(key)
        read = _fields(parse, key, *extra)
        assert read == {f.name for f in table.fields}, (key, read ^ {f.name for f in table.fields})


def test_readme_shapes_table_matches_the_offline_plan():
    from offline.summary import summarise
    fixed_by_stack = {}
    for stack, path in (("examples/Pulumi.remote-access.yaml", "examples/Pulumi.remote-access.yaml"),
                        ("examples/Pulumi.site-to-site.yaml", "examples/Pulumi.site-to-site.yaml"),
                        ("examples/Pulumi.dev-cheapest.yaml", "examples/Pulumi.dev-cheapest.yaml"),
                        ("dev", "Pulumi.dev.yaml"), ("prod", "Pulumi.prod.yaml")):
        items = summarise(str(ROOT_DIR / stack) if stack.startswith("examples") else stack)["cost"]["items"]
        fixed = sum(i["monthly"] for i in items if i["basis"] == "fixed" and i["monthly"] is not None)
        row = next(line for line in README.splitlines() if f"`{path}`" in line)
        assert row.endswith(f"| ${fixed:,.2f} |"), (row, fixed)
        fixed_by_stack[stack] = fixed
    ratio = fixed_by_stack["dev"] / fixed_by_stack["prod"]
    assert ratio <= 0.35 and f"**{ratio:.2f} × prod's** fixed cost" in README, ratio
    cheapest = fixed_by_stack["examples/Pulumi.dev-cheapest.yaml"] / fixed_by_stack["prod"]
    assert f"**{cheapest:.2f} × prod's**" in README, cheapest
