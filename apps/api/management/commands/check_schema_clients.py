"""Check the OpenAPI schema with the tools partners use (issue #15): openapi-spec-validator must
accept it and ``openapi-python-client generate`` must build a client without a single warning.

    python manage.py check_schema_clients                 # CI: exit 1 on any error or warning
    python manage.py check_schema_clients --keep out/     # also keep the generated client there
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

# What openapi-python-client prints when it drops or degrades something (it still exits 0).
_GENERATOR_WARNINGS = ("warning", "will not be generated", "skipping", "not in path", "error", "unsupported")


def schema_document() -> dict[str, Any]:
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


def validate_schema(document: dict[str, Any]) -> list[str]:
    """openapi-spec-validator's errors and warnings, as text (empty: valid)."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            validate(document)
        except OpenAPIValidationError as exc:
            problems.append(f"openapi-spec-validator: {exc.message}")
    problems += [f"openapi-spec-validator warning: {w.message}" for w in caught]
    return problems


def generate_client(schema_path: Path, output: Path) -> tuple[list[str], str]:
    """Run openapi-python-client; returns the warnings it printed and its whole output."""
    executable = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    if executable is None:
        raise CommandError("openapi-python-client is not installed: pip install -e '.[dev]'")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(  # noqa: S603 - our own venv's tool, fixed arguments
        [executable, "generate", "--path", str(schema_path), "--output-path", str(output), "--meta", "none",
         "--overwrite"],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )
    text = f"{result.stdout}\n{result.stderr}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    problems = [line for line in lines if any(word in line.lower() for word in _GENERATOR_WARNINGS)]
    if result.returncode != 0:
        problems.append(f"openapi-python-client exited with {result.returncode}")
    return problems, text


class Command(BaseCommand):
    help = "Validate the OpenAPI schema and generate a Python client from it; fail on any warning."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--keep", help="A folder to keep the generated client in (its package).")

    def handle(self, *args: Any, keep: str | None = None, **options: Any) -> None:
        document = schema_document()
        problems = validate_schema(document)
        with tempfile.TemporaryDirectory() as tmp:
            schema_path = Path(tmp) / "openapi.json"
            schema_path.write_text(json.dumps(document))
            output = Path(keep) if keep else Path(tmp) / "peacecase_client"
            generator_problems, _text = generate_client(schema_path, output)
            problems += generator_problems
        if problems:
            raise CommandError("The schema is not clean for partners' tools:\n" + "\n".join(problems))
        operations = sum(len(item) for item in document["paths"].values())
        self.stdout.write(f"Schema valid (openapi-spec-validator) and a client generated without warnings "
                          f"(openapi-python-client), {operations} operations.")
