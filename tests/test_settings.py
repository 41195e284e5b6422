import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "PEACECASE_")) and k not in ("DATABASE_URL", "REDIS_URL")}


def _run_settings(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = _clean_env()
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_it_refuses_to_start_in_production_without_a_secret_key():
    result = _run_settings({"DJANGO_SETTINGS_MODULE": "peacecase.settings", "DJANGO_DEBUG": "0",
                            "DATABASE_URL": "postgres://u@127.0.0.1/x", "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_refuses_embedded_servers_in_production():
    result = _run_settings({"DJANGO_SETTINGS_MODULE": "peacecase.settings", "DJANGO_DEBUG": "0",
                            "DJANGO_SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "DATABASE_URL and REDIS_URL must be set" in result.stderr


def test_it_starts_in_production_with_secret_and_urls():
    result = _run_settings({"DJANGO_SETTINGS_MODULE": "peacecase.settings", "DJANGO_DEBUG": "0",
                            "DJANGO_SECRET_KEY": "x" * 60,
                            "DATABASE_URL": "postgres://u:secret@127.0.0.1/x", "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode == 0, result.stderr


def test_a_wrong_database_url_gives_one_line_with_the_password_hidden():
    env = _clean_env()
    env.update({"DJANGO_SETTINGS_MODULE": "peacecase.settings", "DJANGO_DEBUG": "1",
                "DATABASE_URL": "postgres://peace:hunter2@127.0.0.1:1/nowhere", "REDIS_URL": "redis://127.0.0.1:1/0"})
    result = subprocess.run([sys.executable, "manage.py", "migrate", "--check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "cannot reach the database at postgres://peace:***@127.0.0.1:1/nowhere" in result.stderr
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_importing_the_settings_in_development_starts_no_server(tmp_path):
    # Settings have no side effects: without the two URLs they refuse, even with DJANGO_DEBUG=1,
    # instead of starting the embedded servers (make run, manage.py and pytest start those).
    result = _run_settings({"DJANGO_SETTINGS_MODULE": "peacecase.settings", "DJANGO_DEBUG": "1",
                            "PEACECASE_VAR_DIR": str(tmp_path / "var")})
    assert result.returncode != 0
    assert "DATABASE_URL and REDIS_URL must be set" in result.stderr
    assert not (tmp_path / "var").exists()


def test_manage_py_in_development_starts_the_embedded_servers_and_passes_their_urls(tmp_path):
    from peacecase import devservers

    env = _clean_env()
    # Servers of its own under tmp_path, stopped at the end: nothing left running, nothing shared.
    env.update({"DJANGO_SETTINGS_MODULE": "peacecase.settings", "DJANGO_DEBUG": "1",
                "PEACECASE_VAR_DIR": str(tmp_path / "var")})
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings; print('URLS', settings.DATABASES['default']['NAME'], settings.REDIS_URL)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    subprocess.run([sys.executable, "-m", "peacecase.devservers", "stop"], cwd=ROOT, env=env,
                   capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("URLS "))
    _, name, redis_url = line.split()
    assert name == devservers.DB_NAME
    assert redis_url.startswith("unix://") and redis_url.endswith("redis.sock")
