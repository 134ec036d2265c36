"""compose.yaml and deploy/Dockerfile against the code (docs/deployment.md, "Past one machine").

Nothing is built or started here: the file is parsed, its values interpolated the way compose does
with test secrets, and every command, variable, port, volume and store it names is checked against
what the code really runs, reads and writes: the gateway's RASA_URLS name the rasa-N services on their
ports, ACTIONS_URL and Rasa's ACTION_ENDPOINT_URL the action server, which listens beyond loopback
(ACTIONS_HOST). What the code still cannot do (draining marks shared across machines) must be said in
compose.yaml and docs/deployment.md."""

from __future__ import annotations

import ast
import ipaddress
import re
import shlex
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Set, Tuple
from urllib.parse import urlparse

import pytest
import yaml

from assistant.base.config import (
    ACTION_SECRET_ENV,
    CHANNEL_SECRET_ENV,
    CODE_SECRET_ENV,
    RASA_TOKEN_ENV,
    Settings,
)
from assistant.ops.stack.endpoints import MASKING_TRACKER_STORE, runtime_endpoints
from assistant.ops.stack.supervisor import rasa_command
from assistant.ops.steps.processes import child_env
from assistant.ops.training.live import LIVE_FILE, stack_rasa_urls

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "compose.yaml"
DOCKERFILE = REPO / "deploy" / "Dockerfile"
DEPLOYMENT_DOC = REPO / "docs" / "deployment.md"
CODE_PACKAGES = ("assistant", "actions", "search_index")
JWT_ENV = "ASSISTANT_JWT_SECRET"
SECRETS = (JWT_ENV, RASA_TOKEN_ENV, CHANNEL_SECRET_ENV, ACTION_SECRET_ENV, CODE_SECRET_ENV)
# What the env file gives compose in these tests (every secret long enough for the gateway's checks).
ENV_FILE = {
    JWT_ENV: "jwt-secret-of-the-compose-test-0123456789",
    RASA_TOKEN_ENV: "rasa-token-of-the-compose-test-0123456789",
    CHANNEL_SECRET_ENV: "channel-secret-of-the-compose-test-012345",
    ACTION_SECRET_ENV: "action-secret-of-the-compose-test-0123456",
    CODE_SECRET_ENV: "code-secret-of-the-compose-test-01234567",
    "POSTGRES_PASSWORD": "pg-password-of-the-test",
    "REDIS_PASSWORD": "redis-password-of-the-test",
}
# The secrets each part cannot run without, and those it must not be given.
NEEDS = {
    "gateway": {JWT_ENV, RASA_TOKEN_ENV, CHANNEL_SECRET_ENV},
    "rasa": {RASA_TOKEN_ENV, CHANNEL_SECRET_ENV, ACTION_SECRET_ENV},
    "actions": {ACTION_SECRET_ENV, CODE_SECRET_ENV},
    "setup": set(),
}
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


# ------------------------------------------------------------------ compose, read as compose reads it
@lru_cache(maxsize=1)
def compose() -> Dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict) and isinstance(loaded.get("services"), dict), "compose.yaml has no services"
    return loaded


def services() -> Dict[str, Dict[str, Any]]:
    return compose()["services"]


def interpolate(text: str, env: Mapping[str, str] = ENV_FILE) -> str:
    """Compose's interpolation: ``$$`` is a dollar, ``${X}``, ``${X:-default}``, ``${X:?error}``."""

    def one(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        value = env.get(name)
        if op in (":?", "?") and (value is None or (op == ":?" and not value)):
            raise AssertionError(f"compose would stop: {name} is required ({arg})")
        if op in (":-", "-") and (value is None or (op == ":-" and not value)):
            return arg
        return value or ""

    pieces = text.split("$$")
    for piece in pieces:
        left = INTERPOLATION.sub("", piece)
        assert "$" not in left, f"a bare $ that compose would interpolate: {text!r}"
    return "$".join(INTERPOLATION.sub(one, piece) for piece in pieces)


def is_project(service: Dict[str, Any]) -> bool:
    build = service.get("build")
    return isinstance(build, dict) and build.get("dockerfile") == "deploy/Dockerfile"


def project_services() -> Dict[str, Dict[str, Any]]:
    return {name: svc for name, svc in services().items() if is_project(svc)}


def rasa_services() -> List[str]:
    return sorted((n for n in services() if n.startswith("rasa-")), key=lambda n: int(n.split("-")[1]))


def role(name: str) -> str:
    return "rasa" if name.startswith("rasa-") else name


def env_of(name: str) -> Dict[str, str]:
    """The service's environment as its process sees it (values interpolated with ENV_FILE)."""
    environment = services()[name].get("environment", {})
    assert isinstance(environment, dict), f"{name}: write environment as a mapping"
    return {str(k): interpolate(str(v)) for k, v in environment.items()}


def commands(name: str) -> Iterator[List[str]]:
    """Every command line the service runs (its command, and the parts of an ``sh -c`` script)."""
    command = services()[name].get("command")
    assert isinstance(command, list) and command, f"{name}: command must be a non-empty list"
    argv = [interpolate(str(a)) for a in command]
    if argv[:2] != ["sh", "-c"]:
        yield argv
        return
    assert len(argv) == 3, f"{name}: sh -c takes one script"
    words: List[str] = []
    for word in [*shlex.split(argv[2]), "&&"]:  # quotes respected: the ; of a python -c stay inside it
        if word in ("&&", "||", ";"):
            yield words[1:] if words[:1] == ["exec"] else words
            words = []
        else:
            words.append(word)


def module_command(name: str, module: str) -> List[str]:
    """The arguments after ``python -m module`` in the service's commands."""
    for argv in commands(name):
        if argv[:3] == ["python", "-m", module]:
            return argv[3:]
    raise AssertionError(f"{name} does not run python -m {module}")


def mounts(name: str) -> Dict[str, str]:
    """Mount path → volume name (read-only or not)."""
    found = {}
    for entry in services()[name].get("volumes", []):
        source, target, *_ = str(entry).split(":")
        found[target] = source
    return found


# ------------------------------------------------------------------ what the code reads
def _is_environment(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id in ("env", "environ")) or (
        isinstance(node, ast.Attribute) and node.attr == "environ"
    )


def _python_files() -> Iterator[Path]:
    for package in CODE_PACKAGES:
        yield from (p for p in (REPO / package).rglob("*.py") if "__pycache__" not in p.parts)


class _EnvReads:
    """The environment variables one module reads or hands on (see ``code_env_names``)."""

    def __init__(self, tree: ast.Module) -> None:
        self.constants: Dict[str, str] = {}
        self.tables: Dict[str, List[str]] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                target, value = node.targets[0].id, node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    self.constants[target] = value.value
                elif isinstance(value, ast.Dict):
                    self.tables[target] = [v.value for v in value.values if isinstance(v, ast.Constant)]
        self.names = {v for k, v in self.constants.items() if k.endswith("_ENV") and ENV_NAME.match(v)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and _is_environment(node.value):
                self.names |= self.resolve(node.slice)
            elif isinstance(node, ast.Call):
                self.call(node)

    def resolve(self, node: ast.AST) -> Set[str]:
        """A variable's name: a literal, a module constant, or any value of a constant dict."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.Name) and node.id in self.constants:
            return {self.constants[node.id]}
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in self.tables:
            return {str(v) for v in self.tables[node.value.id]}
        return set()

    def call(self, node: ast.Call) -> None:
        func = node.func
        reads = isinstance(func, ast.Attribute) and (
            func.attr == "getenv" or (func.attr in ("get", "setdefault", "pop") and _is_environment(func.value))
        )
        if reads and node.args:
            self.names |= self.resolve(node.args[0])
        if any(_is_environment(a) for a in node.args):  # a helper given the environment: _int(env, "RASA_PORT", …)
            self.names |= {n for a in node.args for n in self.resolve(a) if ENV_NAME.match(n)}
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if called in ("child_env", "serving_env"):  # what the launcher adds to its children's environment
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    self.names |= {k.value for k in arg.keys if isinstance(k, ast.Constant)}


@lru_cache(maxsize=1)
def code_env_names() -> Set[str]:
    """Environment variables the project's code reads, or hands to the processes it starts: names
    given to os.environ / env .get/.setdefault/[...] (as literals, module constants or values of a
    constant dict), to helpers called with ``env``, the keys the launcher adds in child_env(...), and
    the code's ``*_ENV`` name constants."""
    names: Set[str] = set()
    for path in _python_files():
        names |= _EnvReads(ast.parse(path.read_text(encoding="utf-8"))).names
    return names


def endpoints_placeholders() -> Set[str]:
    """The ${VARIABLES} Rasa substitutes in endpoints.yml from its own environment."""
    return set(re.findall(r"\$\{([A-Z_]+)\}", (REPO / "endpoints.yml").read_text(encoding="utf-8")))


def module_file(module: str) -> Path:
    base = REPO.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    raise AssertionError(f"no module {module} in the repository")


def top_level_names(path: Path) -> Set[str]:
    names: Set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


# ------------------------------------------------------------------ the tests
def test_compose_parses_into_the_topology_of_the_deployment_doc() -> None:
    found = services()
    for name in ("postgres", "redis", "setup", "actions", "gateway"):
        assert name in found, f"compose.yaml has no {name} service"
    assert str(found["postgres"]["image"]).startswith("postgres:15")
    assert str(found["redis"]["image"]).startswith("redis:7")
    assert len(rasa_services()) >= 2, "two Rasa servers at least: the topology is about more than one"
    assert rasa_services() == [f"rasa-{i}" for i in range(len(rasa_services()))], "rasa-0, rasa-1, … without gaps"
    assert set(project_services()) == {"setup", "actions", "gateway", *rasa_services()}
    for name, svc in project_services().items():
        assert svc["build"].get("context", ".") in (".", "./"), f"{name} builds from the repository root"
    assert int(found["gateway"].get("deploy", {}).get("replicas", 1)) >= 2, "the gateway runs as replicas"


def test_every_command_runs_a_module_of_the_repository() -> None:
    for name in project_services():
        ran = 0
        for argv in commands(name):
            if argv[:2] == ["python", "-m"]:
                module = argv[2]
                base = REPO.joinpath(*module.split("."))
                assert base.with_suffix(".py").is_file() or (base / "__main__.py").is_file(), (
                    f"{name}: python -m {module} names no module of the repository"
                )
                ran += 1
            elif argv[:2] == ["python", "-c"]:
                for node in ast.walk(ast.parse(argv[2])):
                    if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in CODE_PACKAGES:
                        defined = top_level_names(module_file(node.module))
                        missing = [a.name for a in node.names if a.name not in defined]
                        assert not missing, f"{name}: {node.module} defines no {missing}"
            else:
                raise AssertionError(f"{name}: unexpected command {argv}")
        assert ran == 1, f"{name}: exactly one python -m of the repository, found {ran}"


def test_the_rasa_servers_run_what_the_launcher_runs() -> None:
    launcher = rasa_command(Settings.from_env({"ASSISTANT_DATA_DIR": "/tmp/compose-test"}), 5005, Path("m.tar.gz"))
    module = launcher[2]
    flags = [a for a in launcher[3:] if a.startswith("-")]
    for name in rasa_services():
        args = module_command(name, module)
        assert [a for a in args if a.startswith("-")] == flags, f"{name}: not the launcher's flags {flags}"
        value = {flag: args[args.index(flag) + 1] for flag in flags if flag != "--enable-api"}
        assert value["-i"] == "0.0.0.0", f"{name} must listen beyond its container"
        assert value["--credentials"] == launcher[launcher.index("--credentials") + 1]
        assert (REPO / value["--credentials"]).is_file()
        env = env_of(name)
        assert value["--endpoints"] == str(Path(env["ASSISTANT_DATA_DIR"]) / "endpoints.runtime.yml"), (
            f"{name}: --endpoints must be the file runtime_endpoints writes in its data folder"
        )
        models_mount = next(t for t, v in mounts(name).items() if v == "models")
        assert value["-m"].startswith(f"{models_mount}/") and f"cat {models_mount}/{LIVE_FILE}" in value["-m"], (
            f"{name}: the model models/{LIVE_FILE} names, from the models volume"
        )
        assert "--auth-token" not in " ".join(args), "the token travels in RASA_AUTH_TOKEN, never on a command line"


def test_every_variable_compose_sets_is_one_the_code_reads() -> None:
    known = code_env_names() | endpoints_placeholders()
    assert {"ASSISTANT_JWT_SECRET", "RASA_PORT", "BANK_TIMEZONE", "ASSISTANT_RATE_CHAT", "SANIC_BACKLOG"} <= known
    for name in project_services():
        unknown = sorted(set(env_of(name)) - known)
        assert not unknown, f"{name} sets variables no code reads: {unknown}"


def test_every_part_gets_the_secrets_it_needs_from_the_env_file_and_no_other() -> None:
    for name in project_services():
        raw = services()[name].get("environment", {})
        given = {k for k in raw if k in SECRETS}
        needed = NEEDS[role(name)]
        assert given == needed, f"{name} gets {sorted(given)}, needs exactly {sorted(needed)}"
        for secret in given:
            assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]+\}}", str(raw[secret])), (
                f"{name}: {secret} must come from the env file (${{{secret}:?…}}), the same value for every replica"
            )
    text = COMPOSE.read_text(encoding="utf-8")
    for value in ENV_FILE.values():
        assert value not in text
    gateway = Settings.from_env(env_of("gateway"))
    gateway.check_bind()  # prod may bind 0.0.0.0; dev would refuse
    assert gateway.effective_jwt_secret() == ENV_FILE[JWT_ENV]


def test_the_settings_every_part_must_share_are_the_same() -> None:
    for variable in ("ASSISTANT_ENV", "BANK_TIMEZONE", "DATABASE_URL", "REDIS_URL", "SEARCH_INDEX_DIR"):
        values = {env_of(n)[variable] for n in project_services() if variable in env_of(n)}
        assert len(values) <= 1, f"{variable} differs between services: {values}"
    for name in project_services():
        assert env_of(name).get("ASSISTANT_ENV") == "prod", f"{name}: ASSISTANT_ENV=prod everywhere"
        assert env_of(name).get("BANK_TIMEZONE"), f"{name}: BANK_TIMEZONE (a container's own zone is UTC)"
    for name in ("setup", "actions", "gateway"):
        assert env_of(name)["DATABASE_URL"].startswith("postgresql://"), f"{name}: the shared PostgreSQL"
    for name in rasa_services():
        assert env_of(name).get("REDIS_URL"), f"{name}: more than one Rasa server needs Redis (tracker + lock store)"


def listen_port(name: str, module: str, flag: str) -> int:
    """The port the service's ``python -m module`` listens on (``flag`` PORT), exposed to the network."""
    args = module_command(name, module)
    assert flag in args, f"{name}: {module} without {flag}"
    port = int(args[args.index(flag) + 1])
    assert str(port) in [str(p) for p in services()[name].get("expose", [])], f"{name} exposes {port}"
    health = " ".join(str(a) for a in services()[name].get("healthcheck", {}).get("test", []))
    assert f"http://127.0.0.1:{port}/" in health, f"{name}: its healthcheck asks the port it listens on"
    return port


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def test_the_gateway_reaches_every_rasa_server_by_rasa_urls(tmp_path: Path) -> None:
    assert "RASA_URLS" in code_env_names()
    raw = env_of("gateway").get("RASA_URLS", "")
    assert raw, "the gateway names its Rasa servers in RASA_URLS (else it would look on 127.0.0.1)"
    gateway = Settings.from_env(env_of("gateway"))  # the code's own parsing: http(s) URLs, comma-separated
    assert gateway.rasa_urls == [u.strip() for u in raw.split(",")], "RASA_URLS taken as written, in order"
    found = [(u.scheme, u.hostname, u.port, u.path) for u in map(urlparse, gateway.rasa_urls)]
    want = [("http", n, listen_port(n, "assistant.ops.stack.rasa_server", "-p"), "") for n in rasa_services()]
    assert found == want, "RASA_URLS: every rasa-N service once, on the port it listens on, in ring order"
    for variable in ("RASA_PORT", "RASA_SERVERS"):
        assert variable not in env_of("gateway"), f"RASA_URLS overrides {variable}: setting it would only mislead"
    # The publisher (trainer page, or publish.py in a gateway container) has no launcher's server file:
    # it falls back to the same list, so it swaps the very servers the gateways route to.
    publisher = Settings.from_env({**env_of("gateway"), "ASSISTANT_DATA_DIR": str(tmp_path)})
    assert stack_rasa_urls(publisher) == gateway.rasa_urls


def test_the_gateway_and_rasa_reach_the_action_server_that_listens_beyond_loopback() -> None:
    assert {"ACTIONS_URL", "ACTIONS_HOST"} <= code_env_names()
    port = listen_port("actions", "assistant.ops.stack.action_server", "--port")
    args = module_command("actions", "assistant.ops.stack.action_server")
    host = args[args.index("--host") + 1] if "--host" in args else env_of("actions").get("ACTIONS_HOST", "127.0.0.1")
    assert not is_loopback(host), f"the action server listens on {host}: the Rasa containers could not reach it"
    gateway = Settings.from_env(env_of("gateway"))
    assert "ACTIONS_URL" in env_of("gateway"), "/health would ask http://127.0.0.1:ACTIONS_PORT"
    url = urlparse(gateway.actions_url)
    assert (url.scheme, url.hostname, url.port, url.path) == ("http", "actions", port, ""), (
        f"ACTIONS_URL must be the actions service on its port {port}"
    )
    assert "ACTIONS_PORT" not in env_of("gateway"), "ACTIONS_URL overrides ACTIONS_PORT: setting it would only mislead"
    # Rasa reads ACTION_ENDPOINT_URL itself (endpoints.yml): the value the launcher derives from ACTIONS_URL.
    webhook = child_env(gateway)["ACTION_ENDPOINT_URL"]
    assert webhook == f"{gateway.actions_url}/webhook"
    for name in rasa_services():
        assert env_of(name)["ACTION_ENDPOINT_URL"] == webhook, f"{name}: Rasa's actions at {webhook}"


def test_the_gateway_listens_on_the_port_it_publishes() -> None:
    gateway = Settings.from_env(env_of("gateway"))
    assert not is_loopback(gateway.host), "the gateway listens beyond its container"
    assert str(gateway.port) in [str(p) for p in services()["gateway"].get("expose", [])]
    assert all(str(p).endswith(f":{gateway.port}") for p in services()["gateway"].get("ports", []))


def test_compose_and_the_doc_say_only_what_is_still_missing() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert "MISSING" not in text, "compose.yaml still calls something missing that the code now has"
    doc = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    assert "## What the code cannot do yet" in doc
    section = doc.split("## What the code cannot do yet", 1)[1].split("\n## ", 1)[0]
    gaps = "\n".join(re.findall(r"^\d+\. .*(?:\n {3}.*)*", section, flags=re.M))  # the numbered items
    assert gaps, "docs/deployment.md: the gaps as a numbered list"
    for done in ("`RASA_URLS`", "`ACTIONS_URL`", "`ACTIONS_HOST`", "--host"):
        assert done not in gaps, f"docs/deployment.md lists {done} as missing: the code has it"
    for still in ("rasa-draining.json", "Redis"):
        assert still in gaps and still in text, f"the draining marks across machines are not done: name {still}"


def test_the_stores_are_the_compose_services(tmp_path: Path) -> None:
    postgres = env_of("postgres")
    for name in ("setup", "actions", "gateway"):
        url = urlparse(env_of(name)["DATABASE_URL"])
        assert (url.hostname, url.username, url.password, url.path.lstrip("/")) == (
            "postgres",
            postgres["POSTGRES_USER"],
            postgres["POSTGRES_PASSWORD"],
            postgres["POSTGRES_DB"],
        )
    for name in rasa_services():
        env = {**env_of(name), "ASSISTANT_DATA_DIR": str(tmp_path / name)}
        config = yaml.safe_load(runtime_endpoints(Settings.from_env(env)).read_text(encoding="utf-8"))
        tracker, lock = config["tracker_store"], config["lock_store"]
        assert tracker["type"] == MASKING_TRACKER_STORE, "conversations masked before Redis keeps them"
        assert (tracker["store"]["type"], tracker["store"]["url"], lock["type"], lock["url"]) == (
            "redis",
            "redis",
            "redis",
            "redis",
        )
        assert lock["db"] == tracker["store"]["db"] + 1
        assert tracker["store"]["password"] == lock["password"] == ENV_FILE["REDIS_PASSWORD"]
        missing = endpoints_placeholders() - set(env)
        assert not missing, f"{name}: Rasa substitutes {missing} in endpoints.yml from its environment"


def test_volumes_carry_the_model_and_the_index_to_who_reads_them() -> None:
    declared = set(compose().get("volumes", {}))
    for name in services():
        for source in mounts(name).values():
            assert source in declared or source.startswith(("/", ".")), f"{name}: volume {source} is not declared"
    setup = env_of("setup")
    assert mounts("setup").get(setup["RASA_MODELS_DIR"]) == "models"
    assert mounts("setup").get(setup["SEARCH_INDEX_DIR"]) == "search-index"
    for name in ("actions", "gateway"):
        assert mounts(name).get(env_of(name)["SEARCH_INDEX_DIR"]) == "search-index", f"{name} reads the index"
    for name in rasa_services():
        assert "models" in mounts(name).values()
    assert mounts("gateway").get(env_of("gateway")["RASA_MODELS_DIR"]) == "models"


def test_only_the_gateway_is_reachable_from_outside() -> None:
    networks = compose().get("networks", {})
    for name, svc in services().items():
        if name != "gateway":
            assert "ports" not in svc, f"{name} must publish no port"
            for network in svc.get("networks", []):
                assert (networks.get(network) or {}).get("internal") is True, f"{name} on a non-internal network"


def test_setup_runs_once_before_every_part() -> None:
    assert str(services()["setup"].get("restart", "no")) == "no"
    assert module_command("setup", "assistant.ops.launcher") == ["setup"]
    assert services()["setup"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("actions", "gateway", *rasa_services()):
        assert services()[name]["depends_on"]["setup"]["condition"] == "service_completed_successfully", name
    for name in rasa_services():
        assert services()[name]["depends_on"]["redis"]["condition"] == "service_healthy", name


def dockerfile_instructions() -> List[Tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_image_installs_the_lock_file_then_copies_the_repository() -> None:
    steps = dockerfile_instructions()
    assert steps[0] == ("FROM", "python:3.10-slim")
    copies = [
        (i, [w for w in shlex.split(arg) if not w.startswith("--")])
        for i, (op, arg) in enumerate(steps)
        if op == "COPY"
    ]
    lock_copy = next(((i, words[-1]) for i, words in copies if "requirements.lock" in words[:-1]), None)
    assert lock_copy is not None, "requirements.lock is copied in"
    installs = [
        i
        for i, (op, arg) in enumerate(steps)
        if op == "RUN" and re.search(r"pip install[^&]*-r\s+(\S*/)?requirements\.lock", arg)
    ]
    assert installs, "the dependencies are installed from requirements.lock"
    install_cmd = steps[installs[0]][1]
    lock_path = lock_copy[1].rstrip("/") + ("/requirements.lock" if lock_copy[1].endswith("/") else "")
    assert re.search(rf"-r\s+{re.escape(lock_path)}\b", install_cmd) or (
        lock_copy[1] in ("./", ".") and "-r requirements.lock" in install_cmd
    ), f"pip installs the copied lock file {lock_path}"
    assert not re.search(r"pip install(?![^&]*-r)(?![^&]*pip==)", install_cmd), "nothing installed beside the lock"
    copied = {source.rstrip("/") for _, words in copies for source in words[:-1]}
    assert "." not in copied, "no COPY . : without a .dockerignore it would carry .venv, data/ and models/"
    needed = {*CODE_PACKAGES, "nlu_data", "config.yml", "domain.yml", "endpoints.yml", "credentials.yml"}
    assert needed <= copied, f"the image lacks {sorted(needed - copied)}"
    assert "tests" in copied or "tests/nlu" in copied, "the publish gate's held-out set (tests/nlu)"
    first_code = min(i for i, words in copies if {w.rstrip("/") for w in words[:-1]} & set(CODE_PACKAGES))
    assert installs[0] < first_code, "install before the code: a code change must not reinstall everything"
    for source in copied:
        assert (REPO / source).exists(), f"COPY {source}: no such path in the repository"


def test_the_deployment_doc_names_every_variable_of_the_compose_file() -> None:
    doc = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    from_env_file = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE.read_text(encoding="utf-8")))
    assert set(ENV_FILE) <= from_env_file | {"BANK_TIMEZONE"}
    set_here = {k for n in project_services() for k in services()[n].get("environment", {})}
    missing = sorted(v for v in from_env_file | set_here if f"`{v}`" not in doc)
    assert not missing, f"docs/deployment.md does not name {missing}"


@pytest.mark.parametrize("text", ["${NOPE:?needed}", "$HOME/x"])
def test_the_interpolation_here_refuses_what_compose_would(text: str) -> None:
    with pytest.raises(AssertionError):
        interpolate(text)


def test_the_image_serves_with_the_launchers_process_defaults() -> None:
    from assistant.ops.steps.processes import SERVING_DEFAULTS

    text = DOCKERFILE.read_text(encoding="utf-8")
    for name, value in SERVING_DEFAULTS.items():
        assert f"{name}={value}" in text, f"deploy/Dockerfile sets {name}={value} as the launcher does"
