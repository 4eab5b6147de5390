"""The example job files checked against the APIs they are written for, and against each other.

experiments/jobs/*.yaml against the Kubernetes OpenAPI schemas (the kubernetes-validate package,
strict: an unknown field fails), and the AWS Batch files against the Batch API model botocore ships
(data/batch/*/service-2.json), with botocore's own parameter validator: aws-batch-job-definition.json
is a RegisterJobDefinition request, the others SubmitJob requests (`aws batch ... --cli-input-json`).
Then what no schema knows: an array job's MRSIM_SHARD_COUNT must equal its number of tasks (Indexed
Job completions, Batch arrayProperties.size), since neither exports the count, and each submit-job
must name the job definition shipped beside it. Exit 1 naming the file and the problem.

    python experiments/jobs/validate.py [KUBERNETES_VERSION...]   # default: 1.28.0 and the newest
"""

import json
import sys
from pathlib import Path

import botocore.session
import kubernetes_validate
import yaml
from botocore.validate import ParamValidationError, validate_parameters

JOBS = Path(__file__).resolve().parent
# The oldest Kubernetes the Indexed Job is written for: backoffLimitPerIndex came in 1.28.
OLDEST_KUBERNETES = "1.28.0"
problems = []


def shard_count(env, where):
    """MRSIM_SHARD_COUNT from a list of {name, value} pairs (both APIs spell them so), or None."""
    values = [e.get("value") for e in env or [] if e.get("name") == "MRSIM_SHARD_COUNT"]
    if len(values) > 1:
        problems.append(f"{where}: MRSIM_SHARD_COUNT is set {len(values)} times")
    return values[0] if values else None


def check_kubernetes(path, version):
    for document in yaml.safe_load_all(path.read_text()):
        if document is None:
            continue
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            problems.append(f"{path.name} (Kubernetes {version}): {'.'.join(map(str, e.path))}: {e.message}")
            continue
        except kubernetes_validate.utils.SchemaNotFoundError as e:
            problems.append(f"{path.name}: no Kubernetes {version} schema for {e}")
            continue
        except kubernetes_validate.utils.VersionNotSupportedError:
            problems.append(f"{path.name}: kubernetes-validate has no schemas for Kubernetes {version}")
            return
        spec = document.get("spec", {})
        if document.get("kind") == "Job" and spec.get("completionMode") == "Indexed":
            for container in spec["template"]["spec"]["containers"]:
                count = shard_count(container.get("env"), f"{path.name}: container {container['name']}")
                if count != str(spec.get("completions")):
                    problems.append(
                        f"{path.name}: container {container['name']}: MRSIM_SHARD_COUNT={count} but "
                        f"spec.completions={spec.get('completions')} (the shard count must be the task count)"
                    )


def check_batch(path, batch):
    request = json.loads(path.read_text())
    operation = "RegisterJobDefinition" if "definition" in path.stem else "SubmitJob"
    try:
        validate_parameters(request, batch.operation_model(operation).input_shape)
    except ParamValidationError as e:
        problems.append(f"{path.name} (a Batch {operation} request): {e}")
        return None
    return operation, request


def main():
    versions = sys.argv[1:] or [OLDEST_KUBERNETES, kubernetes_validate.utils.latest_version()]
    for path in sorted(JOBS.glob("*.yaml")):
        for version in versions:
            check_kubernetes(path, version)
        print(f"{path.name}: checked against Kubernetes {', '.join(versions)} (strict)")

    batch = botocore.session.get_session().get_service_model("batch")
    checked = {path: check_batch(path, batch) for path in sorted(JOBS.glob("aws-batch-*.json"))}
    definitions = {r["jobDefinitionName"] for op, r in filter(None, checked.values()) if op == "RegisterJobDefinition"}
    for path, result in checked.items():
        print(f"{path.name}: checked against the Batch API {batch.api_version} (botocore)")
        if result is None or result[0] != "SubmitJob":
            continue
        request = result[1]
        if request["jobDefinition"] not in definitions:
            problems.append(f"{path.name}: jobDefinition {request['jobDefinition']!r} is none of the shipped {sorted(definitions)}")
        size = request.get("arrayProperties", {}).get("size")
        count = shard_count(request.get("containerOverrides", {}).get("environment"), path.name)
        if size is not None and count != str(size):
            problems.append(f"{path.name}: MRSIM_SHARD_COUNT={count} but arrayProperties.size={size} (the shard count must be the task count)")

    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


main()
