"""deploy/: every Kubernetes manifest validates offline (strict), KEDA's and Cloud Run's are well
formed, the Dockerfile runs production as a non-root user, and the counts fit the connection budget."""

import shlex
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.core.management import get_commands

from vividly.checks import connection_budget

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
# The same version .ci/run validates against.
KUBERNETES_VERSION = "1.33.0"


def documents(path: Path) -> list[dict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def kubernetes_resources() -> list[tuple[str, dict]]:
    return [
        (f"{path.name}:{resource['kind']}/{resource['metadata']['name']}", resource)
        for path in sorted((DEPLOY / "kubernetes").glob("*.yaml"))
        for resource in documents(path)
    ]


def by_kind(kind: str) -> dict[str, dict]:
    return {
        resource["metadata"]["name"]: resource for _, resource in kubernetes_resources() if resource["kind"] == kind
    }


def pod_specs() -> list[tuple[str, dict]]:
    specs = [(f"Deployment/{name}", d["spec"]["template"]["spec"]) for name, d in by_kind("Deployment").items()]
    specs += [
        (f"CronJob/{name}", c["spec"]["jobTemplate"]["spec"]["template"]["spec"])
        for name, c in by_kind("CronJob").items()
    ]
    return specs


def config() -> dict[str, str]:
    return by_kind("ConfigMap")["vividly-config"]["data"]


@pytest.mark.parametrize(("name", "resource"), kubernetes_resources(), ids=[name for name, _ in kubernetes_resources()])
def test_every_kubernetes_manifest_validates_strictly(name, resource):
    kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_the_validator_is_strict():
    deployment = yaml.safe_load(yaml.safe_dump(by_kind("Deployment")["vividly-web"]))
    deployment["spec"]["replica"] = 2  # a typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_the_parts_are_all_there():
    assert set(by_kind("Deployment")) == {"vividly-web", "vividly-worker", "vividly-sweeper"}
    assert set(by_kind("Service")) == {"vividly-web"}
    assert by_kind("HorizontalPodAutoscaler")["vividly-web"]["spec"]["scaleTargetRef"]["name"] == "vividly-web"
    assert set(by_kind("PodDisruptionBudget")) == {"vividly-web", "vividly-worker"}
    commands = {
        name: c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
        for name, c in by_kind("CronJob").items()
    }
    assert sorted(command[2] for command in commands.values()) == ["purge_expired_data", "send_digests"]


def test_web_probes_and_resources():
    (web,) = by_kind("Deployment")["vividly-web"]["spec"]["template"]["spec"]["containers"]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    env = {item["name"]: item.get("value") for item in web["env"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")


@pytest.mark.parametrize(("name", "spec"), pod_specs(), ids=[name for name, _ in pod_specs()])
def test_every_pod_runs_as_the_images_non_root_user_with_bounded_resources(name, spec):
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == int(dockerfile_user())
    for container in spec["containers"]:
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]


@pytest.mark.parametrize(("name", "spec"), pod_specs(), ids=[name for name, _ in pod_specs()])
def test_every_command_is_a_management_command_of_the_project(name, spec):
    for container in spec["containers"]:
        command = container.get("command")
        if command is None:
            continue  # the image's CMD: gunicorn
        assert command[:2] == ["python", "manage.py"]
        assert command[2] in set(get_commands())


def keda_objects() -> dict[str, dict]:
    return {d["kind"]: d for d in documents(DEPLOY / "keda" / "worker-scaledobject.yaml")}


def test_the_keda_scaled_object_is_well_formed():
    """KEDA's CRDs have no schema in kubernetes-validate: checked by their documented structure."""
    objects = keda_objects()
    assert set(objects) == {"ScaledObject", "TriggerAuthentication"}
    for document in objects.values():
        assert document["apiVersion"] == "keda.sh/v1alpha1"
        assert document["metadata"]["name"]
    scaled = objects["ScaledObject"]["spec"]
    assert scaled["scaleTargetRef"]["name"] in by_kind("Deployment")
    assert scaled["scaleTargetRef"]["name"] == "vividly-worker"
    assert 1 <= scaled["minReplicaCount"] <= scaled["maxReplicaCount"]
    lists = set()
    for trigger in scaled["triggers"]:
        assert trigger["type"] == "redis"
        metadata = trigger["metadata"]
        assert all(isinstance(value, str) for value in metadata.values())  # KEDA's metadata is a string map
        assert int(metadata["listLength"]) > 0
        assert metadata["address"].rsplit(":", 1)[1].isdigit()
        assert trigger["authenticationRef"]["name"] == objects["TriggerAuthentication"]["metadata"]["name"]
        lists.add(metadata["listName"])
    assert lists == {"rq:queue:high", "rq:queue:default", "rq:queue:low"}
    secret_ref = objects["TriggerAuthentication"]["spec"]["secretTargetRef"]
    assert [ref["parameter"] for ref in secret_ref] == ["password"]


def test_the_cloud_run_service_and_worker_pools_are_well_formed():
    (service,) = documents(DEPLOY / "cloudrun" / "service.yaml")
    assert (service["apiVersion"], service["kind"]) == ("serving.knative.dev/v1", "Service")
    template = service["spec"]["template"]
    (container,) = template["spec"]["containers"]
    assert "command" not in container  # the image's gunicorn
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    pools = {pool["metadata"]["name"]: pool for pool in documents(DEPLOY / "cloudrun" / "worker-pool.yaml")}
    assert set(pools) == {"vividly-worker", "vividly-sweeper"}
    for pool in pools.values():
        assert (pool["apiVersion"], pool["kind"]) == ("run.googleapis.com/v1", "WorkerPool")
        (worker,) = pool["spec"]["template"]["spec"]["containers"]
        assert worker["command"][2] in {"rqworker", "run_sweeper"}
        names = {item["name"] for item in worker["env"]}
        assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "RQ_REDIS_URL", "SENDGRID_API_KEY"} <= names


def set_deployment(settings, values: dict[str, str]) -> None:
    for name in ("DEPLOY_WEB_INSTANCES", "DEPLOY_WEB_WORKERS", "DEPLOY_RQ_WORKERS", "DEPLOY_OTHER_PROCESSES"):
        setattr(settings, name, int(values[name]))
    settings.DB_MAX_CONNECTIONS = int(values["DB_MAX_CONNECTIONS"])
    settings.DB_CONNECTION_BUDGET = 0.8
    pool = {"min_size": int(values.get("DB_POOL_MIN_SIZE", 2)), "max_size": int(values["DB_POOL_MAX_SIZE"])}
    settings.DATABASES = {"default": {**settings.DATABASES["default"], "OPTIONS": {"pool": pool}}}


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_the_kubernetes_counts_are_the_ones_the_budget_checks_and_fit_it(settings):
    values = config()
    assert by_kind("HorizontalPodAutoscaler")["vividly-web"]["spec"]["maxReplicas"] == int(
        values["DEPLOY_WEB_INSTANCES"]
    )
    assert keda_objects()["ScaledObject"]["spec"]["maxReplicaCount"] == int(values["DEPLOY_RQ_WORKERS"])
    assert values["WEB_CONCURRENCY"] == values["DEPLOY_WEB_WORKERS"]
    # The sweeper and one process per CronJob.
    assert int(values["DEPLOY_OTHER_PROCESSES"]) >= 1 + len(by_kind("CronJob"))
    set_deployment(settings, values)
    budget = connection_budget()
    assert budget.total <= budget.limit


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_the_cloud_run_counts_fit_the_budget(settings):
    (service,) = documents(DEPLOY / "cloudrun" / "service.yaml")
    (container,) = service["spec"]["template"]["spec"]["containers"]
    values = {item["name"]: item["value"] for item in container["env"] if "value" in item}
    assert (
        service["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/maxScale"]
        == values["DEPLOY_WEB_INSTANCES"]
    )
    pools = {pool["metadata"]["name"]: pool for pool in documents(DEPLOY / "cloudrun" / "worker-pool.yaml")}
    workers = pools["vividly-worker"]["metadata"]["annotations"]["run.googleapis.com/manualInstanceCount"]
    assert workers == values["DEPLOY_RQ_WORKERS"]
    set_deployment(settings, values)
    budget = connection_budget()
    assert budget.total <= budget.limit


# --- the Dockerfile (no docker daemon here: read as the builder reads it) ----------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """Return (INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1].strip()) for text in logical]


def dockerfile_user() -> str:
    users = [arguments for instruction, arguments in dockerfile_instructions() if instruction == "USER"]
    assert users, "the image would run as root"
    return users[-1]


def dockerfile_env() -> dict[str, str]:
    env = {}
    for instruction, arguments in dockerfile_instructions():
        if instruction == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(arguments))
    return env


def test_the_image_runs_as_a_non_root_user():
    user = dockerfile_user().split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit()  # a numeric uid lets Kubernetes' runAsNonRoot verify it
    # The user is made before it is switched to.
    runs = " ".join(arguments for instruction, arguments in dockerfile_instructions() if instruction == "RUN")
    assert f"--uid {user}" in runs


def test_the_image_uses_the_production_settings():
    env = dockerfile_env()
    assert env["DJANGO_SETTINGS_MODULE"] == "vividly.settings.production"
    assert "DJANGO_SECRET_KEY" not in env  # never baked into the image
    # Set by gunicorn.conf.py for the web only: a worker or a CronJob must not need the folder.
    assert "PROMETHEUS_MULTIPROC_DIR" not in env


def test_static_files_are_collected_at_build_time_with_the_production_settings():
    instructions = dockerfile_instructions()
    order = [instruction for instruction, _ in instructions]
    (collect,) = [
        i
        for i, (instruction, arguments) in enumerate(instructions)
        if instruction == "RUN" and "manage.py collectstatic --noinput" in arguments
    ]
    copy_all = next(
        i for i, (instruction, arguments) in enumerate(instructions) if (instruction, arguments) == ("COPY", ". .")
    )
    settings_env = next(
        i
        for i, (instruction, arguments) in enumerate(instructions)
        if instruction == "ENV" and "vividly.settings.production" in arguments
    )
    assert copy_all < collect and settings_env < collect
    assert order.index("USER") > collect  # collected as root into the image, read-only at run time


def test_the_image_starts_gunicorn_with_the_repositorys_conf_file():
    (cmd,) = [arguments for instruction, arguments in dockerfile_instructions() if instruction == "CMD"]
    assert yaml.safe_load(cmd) == ["gunicorn", "vividly.wsgi:application"]  # exec form, a JSON array
    workdir = [arguments for instruction, arguments in dockerfile_instructions() if instruction == "WORKDIR"][-1]
    assert workdir == "/app"  # gunicorn.conf.py is read from the working directory, where COPY . . put it
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "var"} <= set(ignored)
