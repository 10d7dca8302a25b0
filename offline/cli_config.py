"""The Pulumi CLI's configuration step before a program runs, done offline.

`pulumi up` / `preview` load Pulumi.yaml, check its `config:` declarations, merge each declared
`default` / `value` into the stack's configuration and stop, before the program starts, when a
required key is missing or a typed key holds the wrong type. The offline evaluator runs the
program without the CLI, so this module repeats that step with the CLI's rules and messages.

Sources (github.com/pulumi/pulumi at 1b5949891b, 2026-08; messages are copied verbatim):
  pkg/workspace/config.go               mergeConfig, formatMissingKeys, missingStackConfigurationKeysError,
                                        validateStackConfigValues, validateStackConfigValue, createConfigValue
  pkg/cmd/pulumi/operations/up.go       wraps those errors as "validating stack config: ..."
  sdk/go/common/workspace/project.json  $defs configTypeDeclaration, configItemsType, simpleConfigType
  sdk/go/common/workspace/project.go    ValidateProject, RewriteShorthandConfigValues, Project.Validate,
                                        ValidateConfigValue, InferFullTypeName, configKeyIsNamespacedByProject
  sdk/go/common/workspace/loaders.go    LoadProjectBytes ("could not validate '<path>': ..."),
                                        stackConfigNamespacedWithProject
  sdk/go/common/resource/config/object.go  top-level stack scalars become text; {secure: ...} is a secret
  santhosh-tekuri/jsonschema v5.0.0 schema.go  wording of the schema messages ("#/config/x/type: ...")

Not reproduced: ESC environments (stack `environment:`), property-path keys (`a.b`), decryption
(a secure value's plaintext is unknown offline, so it passes string/integer/boolean checks), and
the YAML 1.1 vs 1.2 difference (PyYAML reads `yes` as true, the CLI as the string "yes").
"""

from __future__ import annotations

import copy
import datetime
import re
from pathlib import Path
from typing import Any

import yaml

SIMPLE_TYPES = ("string", "integer", "boolean", "array", "object")  # project.json simpleConfigType
DECLARATION_PROPERTIES = ("type", "items", "description", "secret", "default", "value")  # configTypeDeclaration
_ENUM_MESSAGE = "value must be one of " + ", ".join(f'"{t}"' for t in SIMPLE_TYPES)
_INT64 = re.compile(r"[+-]?[0-9]+")  # strconv.Atoi, base 10, no spaces or underscores


class CliConfigError(Exception):
    """The CLI would stop here, before the program runs. `str()` is the CLI's own message;
    `cli_message` adds the prefix the CLI prints it with (e.g. "validating stack config: ")."""

    def __init__(self, message: str, context: str = ""):
        super().__init__(message)
        self.context = context

    @property
    def cli_message(self) -> str:
        return f"{self.context}: {self}" if self.context else str(self)


class _Secret:
    """A secure value's plaintext: a string the CLI would decrypt, unknown offline."""

    def __repr__(self) -> str:
        return "<secret>"


SECRET = _Secret()


# ---------------------------------------------------------------------------------------- keys
def full_key(project_name: str, key: str) -> str:
    """parseConfigKey: a key without a namespace belongs to the project (`twingate` -> `<project>:twingate`)."""
    return key if ":" in key else f"{project_name}:{key}"


def _namespace(key: str) -> str:
    return key.split(":", 1)[0]


def _in_project_namespace(project_name: str, key: str) -> bool:
    """configKeyIsNamespacedByProject: bare keys and `<project>:` keys are the project's own."""
    return ":" not in key or key.startswith(project_name + ":")


# --------------------------------------------------------------------------------------- values
def _is_secure(value: Any) -> bool:
    """isSecureValue: a map of exactly one string `secure` entry (ciphertext in a stack file)."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


def _contains_secure(value: Any) -> bool:
    """object.Secure: the value is, or contains, a secure value."""
    if _is_secure(value):
        return True
    if isinstance(value, dict):
        return any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def _plain(value: Any) -> Any:
    """A YAML value as the CLI's Go code sees it: secure leaves decrypted (unknown), dates as text."""
    if _is_secure(value):
        return SECRET
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):  # yaml.v3 keeps timestamps as strings in untyped values
        return str(value)
    return value


def _stack_content(value: Any) -> Any:
    """What validateStackConfigValue checks: a stack file's top-level scalar arrives as text (an
    Object() value is JSON and is decoded back); `key:` with no value is the empty string."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def type_name(type_: Any, items: Any) -> str:
    """InferFullTypeName: `array<string>`, `array<array<integer>>`, or the type itself."""
    if isinstance(items, dict):
        return f"array<{type_name(items.get('type'), items.get('items'))}>"
    return str(type_)


def value_has_type(type_: Any, items: Any, value: Any) -> bool:
    """ValidateConfigValue. integer: a whole number or decimal digits in a string ("12");
    boolean: true/false or the strings "true"/"false"; object: a map; array: a list whose
    elements all have `items`' type. Anything else (an unknown type) fails."""
    if type_ == "string":
        return isinstance(value, str) or value is SECRET
    if type_ == "integer":
        if _is_int(value) or value is SECRET:
            return True
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, str) and bool(_INT64.fullmatch(value)) and -2**63 <= int(value) < 2**63
    if type_ == "boolean":
        return isinstance(value, bool) or value in ("true", "false") or value is SECRET
    if type_ == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or not isinstance(items, dict):
        return False
    return all(value_has_type(items.get("type"), items.get("items"), v) for v in value)


# -------------------------------------------------------------------------------------- project
def declarations(project: dict) -> dict[str, dict]:
    """Pulumi.yaml `config:` after RewriteShorthandConfigValues: `key: 3` is `{default: 3}` for a
    project key and `{value: 3}` for another namespace's key (strings, integers, booleans, lists)."""
    config = project.get("config")
    if not isinstance(config, dict):  # absent, null, or the deprecated stackConfigDir string
        return {}
    name = str(project.get("name", ""))
    out = {}
    for key, decl in config.items():
        if isinstance(decl, (str, int, list)):  # int includes bool
            decl = {"default" if _in_project_namespace(name, str(key)) else "value": decl}
        if isinstance(decl, dict):
            out[str(key)] = decl
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _items_errors(loc: str, items: Any) -> list[str]:
    """configItemsType: an object with a `type` (a simple type or another items type); when the
    type is array (or absent: the schema's if/then then holds vacuously) `items` is required."""
    if not isinstance(items, dict):
        return [f"{loc}: expected object, but got {_json_type(items)}"]
    errors = []
    if "type" not in items:
        errors.append(f"{loc}: missing properties: 'type'")
    elif isinstance(items["type"], dict):
        # The schema allows it, but Go reads items.type into a string and fails (yaml.v3 wording).
        errors.append(f"{loc}/type: cannot unmarshal !!map into string")
    elif not isinstance(items["type"], str) or items["type"] not in SIMPLE_TYPES:
        errors.append(f"{loc}/type: {_ENUM_MESSAGE}")
    if "items" in items:
        errors += _items_errors(f"{loc}/items", items["items"])
    elif items.get("type", "array") == "array":
        errors.append(f"{loc}: missing properties: 'items'")
    return errors


def _declaration_errors(loc: str, decl: dict) -> list[str]:
    """configTypeDeclaration: additionalProperties false; `type` from the enum; `description` a
    string; `secret` a boolean; `items` an items type; `default` and `value` anything."""
    errors = []
    unknown = [k for k in decl if k not in DECLARATION_PROPERTIES]
    if unknown:
        # ValidateProject finds no attribute list for this path, so no "did you mean" is added.
        errors.append(f"{loc}: additionalProperties {', '.join(repr(str(k)) for k in unknown)} not allowed")
    if "type" in decl and (not isinstance(decl["type"], str) or decl["type"] not in SIMPLE_TYPES):
        errors.append(f"{loc}/type: {_ENUM_MESSAGE}")
    if "description" in decl and not isinstance(decl["description"], str):
        errors.append(f"{loc}/description: expected string, but got {_json_type(decl['description'])}")
    if "secret" in decl and not isinstance(decl["secret"], bool):
        errors.append(f"{loc}/secret: expected boolean, but got {_json_type(decl['secret'])}")
    if "items" in decl:
        errors += _items_errors(f"{loc}/items", decl["items"])
    return errors


def _semantic_errors(project_name: str, key: str, decl: dict) -> list[str]:
    """Project.Validate, run on the declarations after the schema passed."""
    has_default, has_value = decl.get("default") is not None, decl.get("value") is not None
    typed = decl.get("type") is not None
    if has_default and has_value:
        return [f"project config '{key}' cannot have both a 'default' and 'value' attribute"]
    if _in_project_namespace(project_name, key):
        if typed and decl["type"] == "array" and decl.get("items") is None:
            return [f"The configuration key '{key}' declares an array "
                    "but does not specify the underlying type via the 'items' attribute"]
        if typed and has_default and not value_has_type(decl["type"], decl.get("items"), _plain(decl["default"])):
            return [f"The default value specified for configuration key '{key}' is not of the expected type "
                    f"'{type_name(decl['type'], decl.get('items'))}'"]
        return []
    if typed:
        return [f"Configuration key '{key}' is not namespaced by the project and should not define a type"]
    if has_default:
        return [f"Configuration key '{key}' is not namespaced by the project and should not define a default value. "
                "Did you mean to use the 'value' attribute instead of 'default'?"]
    if not has_value:
        return [f"Configuration key '{key}' is namespaced and must provide an attribute 'value'"]
    return []


def _project_problems(project: dict) -> tuple[list[str], list[str]]:
    """(schema errors, Project.Validate errors) for Pulumi.yaml's `config:`."""
    config = project.get("config")
    if config is None or isinstance(config, str):
        return [], []
    if not isinstance(config, dict):
        return [f"#/config: expected object or string or null, but got {_json_type(config)}"], []
    name = str(project.get("name", ""))
    schema_errors, semantic = [], []
    for key, decl in config.items():
        if not isinstance(key, str):
            schema_errors.append(f"expected only string keys, got '{key}'")
            continue
        loc = _pointer("config", key)
        if key == "secret":  # project.json lists config.properties.secret as a boolean
            if not isinstance(decl, bool):
                schema_errors.append(f"{loc}: expected boolean, but got {_json_type(decl)}")
            continue
        if isinstance(decl, dict):
            errors = _declaration_errors(loc, decl)
        elif isinstance(decl, (str, bool, list)) or _is_int(decl) or (isinstance(decl, float) and decl.is_integer()):
            errors = []  # shorthand: a string, integer, boolean or array
        else:
            errors = [f"{loc}: oneOf failed"] + [f"{loc}: expected {t}, but got {_json_type(decl)}"
                                                 for t in SIMPLE_TYPES]
        schema_errors += errors
        if not errors:
            semantic += _semantic_errors(name, key, declarations({"name": name, "config": {key: decl}}).get(key, {}))
    return schema_errors, semantic


def validate_project_config_schema(project: dict) -> list[str]:
    """Problems the CLI finds in Pulumi.yaml's `config:` when it loads the project, each as the CLI
    words it: project.json schema errors ("#/config/<key>...: message"; the CLI also prints the
    failed oneOf branches around them) and then Project.Validate's (array without `items`, default
    of the wrong type, both default and value, typed or defaulted keys of other namespaces).
    The CLI accepts `items` on a non-array type (the type is then shown as array<...>), so this does too."""
    schema_errors, semantic = _project_problems(project)
    return schema_errors + semantic


def _multierror(errors: list[str]) -> str:
    """hashicorp/go-multierror's list format, as ValidateProject returns it."""
    if len(errors) == 1:
        return f"1 error occurred:\n\t* {errors[0]}"
    return f"{len(errors)} errors occurred:\n\t" + "\n\t".join(f"* {e}" for e in errors)


def load_project(path: Path) -> dict:
    """Read Pulumi.yaml and refuse it as LoadProject would (messages wrapped the same way)."""
    path = Path(path)
    if not path.exists():
        raise CliConfigError(f"no project file found: {path}")
    project = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    if not isinstance(project, dict):
        raise CliConfigError(f"could not validate '{path}': expected project to be an object")
    if "name" not in project:
        raise CliConfigError(f"could not validate '{path}': project is missing a 'name' attribute")
    if not isinstance(project["name"], str) or not project["name"]:
        raise CliConfigError(f"could not validate '{path}': project is missing a non-empty string 'name' attribute")
    schema_errors, semantic = _project_problems(project)
    if schema_errors:
        raise CliConfigError(f"could not validate '{path}': {_multierror(schema_errors)}")
    if semantic:  # Project.Validate stops at the first
        raise CliConfigError(f"could not unmarshal '{path}': {semantic[0]}")
    return project


# ---------------------------------------------------------------------------------------- merge
def _missing_message(stack: str, missing: list[str]) -> str:
    """missingStackConfigurationKeysError + formatMissingKeys: 'a', 'b' and 'c', sorted."""
    keys = sorted(missing)
    listed = ", ".join(f"'{k}'" for k in keys[:-2]) + (", " if len(keys) > 2 else "")
    listed += f"'{keys[-2]}' and '{keys[-1]}'" if len(keys) > 1 else f"'{keys[0]}'"
    return f"Stack '{stack}' is missing configuration {'values' if len(keys) > 1 else 'value'} {listed}"


def merge_stack_config(project: dict, stack: str, config: dict[str, Any], *, validate: bool = True) -> dict[str, Any]:
    """mergeConfig: the stack's config (stack-file keys, YAML values) with Pulumi.yaml's `default`
    / `value` filled in where the stack has no value, under full keys (`<project>:key`). With
    `validate` (the CLI's default; `--skip-config-validation` turns it off) raise CliConfigError,
    as the CLI does before the program starts, when a declared project key has no value anywhere,
    when a `secret: true` key is not encrypted, or when a typed key's value has another type.
    Keys Pulumi.yaml does not declare pass through unchecked."""
    name = str(project.get("name", ""))
    merged = {full_key(name, str(k)): v for k, v in config.items()}
    decls = declarations(project)
    missing = []
    for key in sorted(decls):
        decl, full = decls[key], full_key(name, key)
        if full in merged:
            continue
        if decl.get("default") is not None:  # default wins over value (Project.Validate forbids both)
            merged[full] = copy.deepcopy(decl["default"])
        elif decl.get("value") is not None:
            merged[full] = copy.deepcopy(decl["value"])
        elif _namespace(full) == name:
            missing.append(key)
    if not validate:
        return merged
    if missing:
        raise CliConfigError(_missing_message(stack, missing), "validating stack config")
    for key in sorted(decls):
        decl = decls[key]
        if decl.get("type") is None:  # only explicitly typed keys are checked
            continue
        value = merged.get(full_key(name, key))
        if decl.get("secret") and not _contains_secure(value):
            raise CliConfigError(f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret",
                                 "validating stack config")
        if not value_has_type(decl["type"], decl.get("items"), _stack_content(value)):
            raise CliConfigError(f"Stack '{stack}' with configuration key '{key}' must be of type "
                                 f"'{type_name(decl['type'], decl.get('items'))}'", "validating stack config")
    return merged
