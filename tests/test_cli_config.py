"""The Pulumi CLI's config step (required keys, types, Pulumi.yaml defaults) before the program runs.

Expected messages are the CLI's, from pulumi/pulumi pkg/workspace/config.go and
sdk/go/common/workspace/project.go / project.json.
"""

import copy
import subprocess
import sys

import pytest
import yaml

from offline.cli_config import (
    CliConfigError,
    load_project,
    merge_stack_config,
    validate_project_config_schema,
    value_has_type,
)
from offline.plan import main
from tests.harness import ROOT_DIR, run_program, stack_config
from tests.stacks import ENDPOINT, TUNNEL, VPN

PROJECT = load_project(ROOT_DIR / "Pulumi.yaml")
NS = "multicloud-vpn"


def minimal_stack_text() -> str:
    """A new stack with only the required sections (values from Pulumi.dev.yaml)."""
    dev = stack_config("dev")
    keep = ("aws:region", "gcp:project", "gcp:region", f"{NS}:siteToSite", f"{NS}:gcpHub", f"{NS}:network")
    return yaml.safe_dump({"config": {k: dev[k] for k in keep}}, sort_keys=False)


def project(**config) -> dict:
    return {"name": "proj", "runtime": "python", "config": config}


def dev_without(*keys) -> dict:
    return {k: v for k, v in stack_config("dev").items() if k not in keys}


# ------------------------------------------------------------------------------ the real stacks
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_pass_the_cli_step(stack):
    config = stack_config(stack)
    merged = merge_stack_config(PROJECT, stack, config)
    assert {k: merged[k] for k in config} == config  # the stack's own values are untouched
    assert merged[f"{NS}:twingate"] == {}  # not in either stack file: Pulumi.yaml's default


def test_a_minimal_new_stack_passes_and_evaluates_with_the_defaults(tmp_path):
    path = tmp_path / "Pulumi.minimal.yaml"
    path.write_text(minimal_stack_text())
    config = stack_config(str(path))
    assert f"{NS}:clientVpn" not in config
    merged = merge_stack_config(PROJECT, "minimal", config)
    assert [merged[f"{NS}:{k}"] for k in ("clientVpn", "dns", "twingate")] == [{}, {}, {}]
    d = run_program(config, stack="minimal")
    assert d.count(VPN) == 1 and d.count(TUNNEL) == 1  # dev's one connection x one tunnel
    assert d.count(ENDPOINT) == 0  # clientVpn: {} leaves Client VPN off
    assert d.count("twingate:index/twingateConnector:TwingateConnector") == 0


def test_without_the_defaults_the_minimal_stack_is_refused():
    no_defaults = copy.deepcopy(PROJECT)
    for name in ("clientVpn", "dns", "twingate"):
        del no_defaults["config"][name]["default"]
    with pytest.raises(CliConfigError) as error:
        merge_stack_config(no_defaults, "minimal", yaml.safe_load(minimal_stack_text())["config"])
    assert str(error.value) == "Stack 'minimal' is missing configuration values 'clientVpn', 'dns' and 'twingate'"


# ------------------------------------------------------------------------------ missing keys
def test_a_missing_required_section_stops_before_the_program():
    # Every section of this project has a default (each capability stands alone), so a
    # project that declares two of them required shows the CLI's own check.
    strict = copy.deepcopy(PROJECT)
    for name in ("network", "gcpHub"):
        strict["config"][name].pop("default", None)
    with pytest.raises(CliConfigError) as error:
        merge_stack_config(strict, "dev", dev_without(f"{NS}:network"))
    assert str(error.value) == "Stack 'dev' is missing configuration value 'network'"
    assert error.value.cli_message == "validating stack config: Stack 'dev' is missing configuration value 'network'"
    with pytest.raises(CliConfigError, match=r"^Stack 'dev' is missing configuration values 'gcpHub' and 'network'$"):
        merge_stack_config(strict, "dev", dev_without(f"{NS}:network", f"{NS}:gcpHub"))


def test_the_project_requires_no_section_so_each_capability_stands_alone():
    assert all("default" in spec for spec in PROJECT["config"].values())


def test_provider_keys_are_not_required_by_the_cli():
    # aws:region is not declared in Pulumi.yaml: the CLI passes it through; the program checks it.
    assert "aws:region" not in merge_stack_config(PROJECT, "dev", dev_without("aws:region"))


def test_plan_prints_the_cli_error(tmp_path, capsys):
    text = (ROOT_DIR / "Pulumi.dev.yaml").read_text().replace("multicloud-vpn:network:", "multicloud-vpn:netwerk:")
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(text)
    # network has a default, so the CLI lets the misspelt key through and the program refuses it.
    with pytest.raises(SystemExit) as exit_:
        main([str(bad)])
    assert "multicloud-vpn:netwerk" in str(exit_.value.code)
    assert "did you mean multicloud-vpn:network?" in str(exit_.value.code)


def test_plan_command_exits_non_zero_with_the_message_on_stderr(tmp_path):
    stack = yaml.safe_load(minimal_stack_text())
    stack["config"][f"{NS}:siteToSite"] = "connections=1"
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(yaml.safe_dump(stack))
    result = subprocess.run([sys.executable, "-m", "offline.plan", str(bad)], cwd=ROOT_DIR,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == ("error: validating stack config: "
                                     "Stack 'bad' with configuration key 'siteToSite' must be of type 'object'")


# ------------------------------------------------------------------------------ types
def test_a_string_where_an_object_is_declared():
    config = stack_config("dev")
    config[f"{NS}:siteToSite"] = "connections=1"
    with pytest.raises(CliConfigError) as error:
        run_program(config, stack="dev")
    assert str(error.value) == "Stack 'dev' with configuration key 'siteToSite' must be of type 'object'"
    config[f"{NS}:siteToSite"] = [1, 1]
    with pytest.raises(CliConfigError, match="key 'siteToSite' must be of type 'object'$"):
        merge_stack_config(PROJECT, "dev", config)


def test_the_first_mistyped_key_in_sorted_order_is_reported():
    config = stack_config("dev")
    config[f"{NS}:siteToSite"] = "x"
    config[f"{NS}:dns"] = "y"
    with pytest.raises(CliConfigError, match="key 'dns' must"):
        merge_stack_config(PROJECT, "dev", config)


@pytest.mark.parametrize("value, ok", [
    (12, True), ("12", True), ("-3", True), ("+7", True), (2.0, True),
    ("1.5", False), (1.5, False), ("twelve", False), (" 12", False), ("1_000", False), (True, False), ({}, False),
])
def test_integer(value, ok):
    decl = project(count={"type": "integer"})
    if ok:
        assert merge_stack_config(decl, "s", {"proj:count": value})["proj:count"] == value
    else:
        with pytest.raises(CliConfigError) as error:
            merge_stack_config(decl, "s", {"count": value})
        assert str(error.value) == "Stack 's' with configuration key 'count' must be of type 'integer'"


@pytest.mark.parametrize("value, ok", [
    (True, True), (False, True), ("true", True), ("false", True),
    ("True", False), ("yes", False), (1, False), ("", False),
])
def test_boolean(value, ok):
    decl = project(on={"type": "boolean"})
    if ok:
        merge_stack_config(decl, "s", {"on": value})
    else:
        with pytest.raises(CliConfigError, match=r"^Stack 's' with configuration key 'on' must be of type 'boolean'$"):
            merge_stack_config(decl, "s", {"on": value})


def test_string_object_and_arrays():
    # Top-level scalars reach the check as text, so a number is a string; nested values keep their type.
    merge_stack_config(project(label={"type": "string"}), "s", {"label": 5})
    merge_stack_config(project(tags={"type": "object"}), "s", {"tags": {}})
    arrays = project(ports={"type": "array", "items": {"type": "integer"}},
                     grid={"type": "array", "items": {"type": "array", "items": {"type": "string"}}})
    merge_stack_config(arrays, "s", {"ports": [443, "8443"], "grid": [["a"], []]})
    with pytest.raises(CliConfigError, match=r"key 'grid' must be of type 'array<array<string>>'$"):
        merge_stack_config(arrays, "s", {"ports": [443], "grid": [["a", 1]]})
    with pytest.raises(CliConfigError, match=r"key 'ports' must be of type 'array<integer>'$"):
        merge_stack_config(arrays, "s", {"ports": [443.5], "grid": []})
    with pytest.raises(CliConfigError, match=r"key 'ports' must be of type 'array<integer>'$"):
        merge_stack_config(arrays, "s", {"ports": "443", "grid": []})
    assert not value_has_type("objekt", None, {})


def test_secret_keys_must_be_encrypted():
    decl = project(token={"type": "string", "secret": True})
    merge_stack_config(decl, "s", {"token": {"secure": "v1:AAAA"}})
    with pytest.raises(CliConfigError) as error:
        merge_stack_config(decl, "s", {"token": "plain"})
    assert str(error.value) == "Stack 's' with configuration key 'token' must be encrypted as it's secret"


# ------------------------------------------------------------------------------ merge
def test_merge_fills_defaults_and_values_and_keeps_the_stack_value():
    decl = project(size={"type": "string", "default": "t3.micro"}, zones={"default": {"a": 1}},
                   instanceSize="t4.large", **{"aws:region": "us-west-2", "gcp:project": {"value": "p"}})
    merged = merge_stack_config(decl, "s", {"zones": {"b": 2}, "aws:region": "eu-west-1", "other:key": 1})
    assert merged == {
        "proj:zones": {"b": 2},  # the stack's value replaces the default (no deep merge)
        "aws:region": "eu-west-1",  # shorthand value of another namespace, overridden by the stack
        "other:key": 1,  # undeclared keys pass through unchecked
        "proj:size": "t3.micro",
        "proj:instanceSize": "t4.large",  # shorthand of a project key is a default
        "gcp:project": "p",
    }


def test_merge_copies_defaults_and_other_namespaces_are_never_missing():
    decl = project(tags={"type": "object", "default": {"team": "net"}}, **{"gcp:zone": {"description": "x"}})
    merged = merge_stack_config(decl, "s", {})
    merged["proj:tags"]["team"] = "changed"
    assert decl["config"]["tags"]["default"] == {"team": "net"}
    assert "gcp:zone" not in merged


def test_missing_keys_are_sorted_and_joined_like_the_cli():
    decl = project(c={}, a={"type": "string"}, b={"description": "needed"}, d={"default": None}, e={"default": 0})
    with pytest.raises(CliConfigError) as error:
        merge_stack_config(decl, "prod", {"proj:x": 1})
    assert str(error.value) == "Stack 'prod' is missing configuration values 'a', 'b', 'c' and 'd'"
    # --skip-config-validation: defaults still merged, nothing refused
    assert merge_stack_config(decl, "prod", {}, validate=False) == {"proj:e": 0}


# ------------------------------------------------------------------------------ Pulumi.yaml schema
def test_the_project_file_passes_the_schema():
    assert validate_project_config_schema(PROJECT) == []
    assert validate_project_config_schema({"name": "p", "config": "./stacks"}) == []


def test_broken_declarations_are_reported():
    enum = 'value must be one of "string", "integer", "boolean", "array", "object"'
    assert validate_project_config_schema(project(
        a={"type": "objekt"},
        b={"type": "array"},
        c={"type": "object", "defualt": {}},
        d={"type": "array", "items": {"type": "array"}},
        e={"type": "integer", "default": "x"},
        f={"type": "string", "default": "x", "value": "y"},
        g=1.5,
        **{"aws:region": {"type": "string", "value": "us-west-2"}, "gcp:zone": {"default": "b"}},
    )) == [
        f"#/config/a/type: {enum}",
        "#/config/c: additionalProperties 'defualt' not allowed",
        "#/config/d/items: missing properties: 'items'",
        "#/config/g: oneOf failed",
        "#/config/g: expected string, but got number",
        "#/config/g: expected integer, but got number",
        "#/config/g: expected boolean, but got number",
        "#/config/g: expected array, but got number",
        "#/config/g: expected object, but got number",
        "The configuration key 'b' declares an array "
        "but does not specify the underlying type via the 'items' attribute",
        "The default value specified for configuration key 'e' is not of the expected type 'integer'",
        "project config 'f' cannot have both a 'default' and 'value' attribute",
        "Configuration key 'aws:region' is not namespaced by the project and should not define a type",
        "Configuration key 'gcp:zone' is not namespaced by the project and should not define a default value. "
        "Did you mean to use the 'value' attribute instead of 'default'?",
    ]


def test_a_broken_project_file_stops_the_evaluation(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\nconfig:\n  x:\n    type: map\n")
    with pytest.raises(CliConfigError) as error:
        run_program({}, stack="dev", project_dir=tmp_path)
    assert str(error.value) == (f"could not validate '{tmp_path / 'Pulumi.yaml'}': 1 error occurred:\n"
                                '\t* #/config/x/type: value must be one of "string", "integer", "boolean", '
                                '"array", "object"')
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\nconfig:\n  x:\n    type: array\n")
    with pytest.raises(CliConfigError, match="^could not unmarshal '.*': The configuration key 'x' declares an array"):
        load_project(tmp_path / "Pulumi.yaml")
