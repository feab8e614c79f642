"""Checks of deploy/: the Kubernetes manifests have the kinds and fields a node-level exporter
needs (and no more privilege), kustomize builds them, the PrometheusRule matches the rules, and
the Containerfile has the expected shape."""

import glob
import os
import re
import shutil
import tempfile

import yaml

from checks import CheckFailed, CheckSkipped, fail_if, require_success

KUBE_DIR = "deploy/kubernetes"
COMPONENTS_DIR = "deploy/components"
CONTAINERFILE = "deploy/Containerfile"
EXPECTED_KINDS = {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet",
                  "Service", "ServiceMonitor", "PrometheusRule"}
REQUIRED_ARGS = [
    "--web.listen-address=:9731",
    "--path.procfs=/host/proc",
    "--path.cgroupfs=/host/sys/fs/cgroup",
    "--runtime.endpoint=unix:///run/containerd/containerd.sock",
    "--kubelet.url=https://$(NODE_IP):10250",
    "--kubelet.token-file=/var/run/secrets/kubernetes.io/serviceaccount/token",
    "--kubelet.ca-file=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
    "--node.name=$(NODE_NAME)",
]
# hostPath -> where crisync expects it (the flags above point there).
HOST_PATHS = {"/proc": "/host/proc", "/sys/fs/cgroup": "/host/sys/fs/cgroup", "/run/containerd": "/run/containerd"}
METRICS_PORT = 9731
ALERT_JOB = "crisync"


def load_manifests(ctx):
    """{kind: [object]} over deploy/kubernetes/*.yaml (kustomization.yaml excluded)."""
    by_kind = {}
    for path in sorted(glob.glob(ctx.path(KUBE_DIR, "*.yaml"))):
        if os.path.basename(path) == "kustomization.yaml":
            continue
        with open(path, encoding="utf-8") as handle:
            for document in yaml.safe_load_all(handle):
                if document:
                    by_kind.setdefault(document.get("kind"), []).append(document)
    return by_kind


def only(by_kind, kind):
    objects = by_kind.get(kind) or []
    if len(objects) != 1:
        raise CheckFailed(f"expected exactly one {kind}, found {len(objects)}")
    return objects[0]


def daemonset_problems(daemonset):
    problems = []
    pod = daemonset.get("spec", {}).get("template", {}).get("spec", {})
    pod_security = pod.get("securityContext") or {}
    if pod_security.get("runAsNonRoot") is not True:
        problems.append("pod securityContext.runAsNonRoot is not true")
    if not isinstance(pod_security.get("runAsUser"), int) or pod_security.get("runAsUser") == 0:
        problems.append("pod securityContext.runAsUser must be a non-zero uid")
    if (pod_security.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append("pod seccompProfile is not RuntimeDefault")
    for field in ("hostPID", "hostNetwork", "hostIPC"):
        if pod.get(field):
            problems.append(f"pod {field} is set: crisync reads the host's /proc through a mount instead")
    if not pod.get("serviceAccountName"):
        problems.append("no serviceAccountName")
    containers = pod.get("containers") or []
    if len(containers) != 1:
        return problems + [f"expected one container, found {len(containers)}"]
    container = containers[0]

    security = container.get("securityContext") or {}
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append("container readOnlyRootFilesystem is not true")
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append("container allowPrivilegeEscalation is not false")
    if security.get("privileged"):
        problems.append("container is privileged")
    capabilities = security.get("capabilities") or {}
    if "ALL" not in (capabilities.get("drop") or []):
        problems.append("container capabilities do not drop ALL")
    if capabilities.get("add"):
        problems.append(f"container adds capabilities {capabilities['add']}: none are needed (see daemonset.yaml)")

    args = container.get("args") or []
    for required in REQUIRED_ARGS:
        if required not in args:
            problems.append(f"args lack {required}")
    env = {item.get("name"): item for item in container.get("env") or []}
    for name, field in (("NODE_NAME", "spec.nodeName"), ("NODE_IP", "status.hostIP")):
        path = (((env.get(name) or {}).get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        if path != field:
            problems.append(f"env {name} must come from the downward API fieldRef {field}, is {path!r}")

    ports = {port.get("name"): port for port in container.get("ports") or []}
    if (ports.get("metrics") or {}).get("containerPort") != METRICS_PORT:
        problems.append(f"no container port named metrics on {METRICS_PORT}")
    for probe_name in ("livenessProbe", "readinessProbe"):
        probe = (container.get(probe_name) or {}).get("httpGet") or {}
        if probe.get("path") != "/healthz" or probe.get("port") not in ("metrics", METRICS_PORT):
            problems.append(f"{probe_name} must be httpGet /healthz on the metrics port, is {probe!r}")
    resources = container.get("resources") or {}
    for section in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if not (resources.get(section) or {}).get(resource):
                problems.append(f"resources.{section}.{resource} is not set")

    volumes = {volume.get("name"): volume for volume in pod.get("volumes") or []}
    mounts = container.get("volumeMounts") or []
    host_volumes = {name: volume["hostPath"].get("path") for name, volume in volumes.items() if "hostPath" in volume}
    for host_path, mount_path in HOST_PATHS.items():
        matching = [name for name, path in host_volumes.items() if path == host_path]
        if not matching:
            problems.append(f"no hostPath volume for {host_path}")
            continue
        if not any(m.get("name") in matching and m.get("mountPath") == mount_path for m in mounts):
            problems.append(f"hostPath {host_path} is not mounted at {mount_path}")
    for mount in mounts:
        if mount.get("name") in host_volumes and mount.get("readOnly") is not True:
            problems.append(f"hostPath volume {mount.get('name')} ({host_volumes[mount['name']]}) is not mounted readOnly")
    return problems


def least_privilege_problems(ctx, daemonset):
    """What crisync needs and nothing more (README "Least privilege", deploy/README.md "Privileges, and why"):
    read-only host /proc, cgroup fs and containerd run directory, the socket's group, no capabilities,
    no writable host path; every exception documented."""
    problems = []
    pod = daemonset["spec"]["template"]["spec"]
    container = (pod.get("containers") or [{}])[0]
    pod_security = pod.get("securityContext") or {}
    security = container.get("securityContext") or {}
    # The container must not undo the pod's non-root settings.
    if security.get("runAsUser") == 0 or security.get("runAsNonRoot") is False or security.get("runAsGroup") == 0:
        problems.append("the container securityContext runs as root, overriding the pod's")
    # The image's USER and the pod's uid agree (no silent fallback to the image's root).
    with open(ctx.path(CONTAINERFILE), encoding="utf-8") as handle:
        users = re.findall(r"^USER\s+(\S+)", handle.read(), flags=re.M)
    image_uid = users[-1].split(":")[0] if users else None
    if image_uid != str(pod_security.get("runAsUser")):
        problems.append(f"runAsUser {pod_security.get('runAsUser')} differs from the Containerfile's USER {image_uid}")
    # Only the socket's group, and only documented.
    groups = pod_security.get("supplementalGroups") or []
    if any(group != 0 for group in groups):
        problems.append(f"supplementalGroups {groups}: only 0 (the containerd socket's group) is documented")
    with open(ctx.path("deploy/README.md"), encoding="utf-8") as handle:
        deploy_readme = handle.read()
    privileges = deploy_readme.split("### Privileges, and why", 1)[-1].split("\n## ", 1)[0]
    if "### Privileges, and why" not in deploy_readme:
        problems.append("deploy/README.md has no 'Privileges, and why' section")
    for needed in ("/proc", "/sys/fs/cgroup", "/run/containerd", "nodes/pods", "supplementalGroups: [0]",
                   "capabilities dropped", "read-only root filesystem"):
        if needed not in privileges:
            problems.append(f"deploy/README.md 'Privileges, and why' does not mention {needed!r}")
    # Host paths: exactly the three crisync reads, all read-only; nothing writable but a bounded emptyDir.
    volumes = {volume.get("name"): volume for volume in pod.get("volumes") or []}
    host_paths = sorted(volume["hostPath"].get("path") for volume in volumes.values() if "hostPath" in volume)
    if host_paths != sorted(HOST_PATHS):
        problems.append(f"hostPath volumes {host_paths}; crisync needs exactly {sorted(HOST_PATHS)}")
    for mount in container.get("volumeMounts") or []:
        volume = volumes.get(mount.get("name")) or {}
        if mount.get("readOnly") is True:
            continue
        if "emptyDir" not in volume or not (volume.get("emptyDir") or {}).get("sizeLimit"):
            problems.append(f"volume {mount.get('name')} is writable and is not an emptyDir with a sizeLimit")
    for port in container.get("ports") or []:
        if port.get("hostPort"):
            problems.append(f"container port {port.get('name')} binds hostPort {port['hostPort']}")
    if security.get("procMount") not in (None, "Default"):
        problems.append(f"procMount {security['procMount']} (Default only)")
    return problems


def service_problems(by_kind):
    problems = []
    daemonset = only(by_kind, "DaemonSet")
    service = only(by_kind, "Service")
    monitor = only(by_kind, "ServiceMonitor")
    pod_labels = daemonset["spec"]["template"]["metadata"].get("labels") or {}
    spec = service.get("spec") or {}
    if spec.get("clusterIP") != "None":
        problems.append("Service is not headless (clusterIP: None)")
    if not spec.get("selector") or any(pod_labels.get(k) != v for k, v in spec["selector"].items()):
        problems.append(f"Service selector {spec.get('selector')} does not select the DaemonSet's pods {pod_labels}")
    if not any(p.get("name") == "metrics" and p.get("port") == METRICS_PORT for p in spec.get("ports") or []):
        problems.append(f"Service has no port named metrics on {METRICS_PORT}")

    monitor_spec = monitor.get("spec") or {}
    service_labels = service["metadata"].get("labels") or {}
    selector = (monitor_spec.get("selector") or {}).get("matchLabels") or {}
    if not selector or any(service_labels.get(k) != v for k, v in selector.items()):
        problems.append(f"ServiceMonitor selector {selector} does not select the Service {service_labels}")
    job_label = monitor_spec.get("jobLabel")
    job = service_labels.get(job_label) if job_label else service["metadata"].get("name")
    if job != ALERT_JOB:
        problems.append(f"the scrape job would be {job!r}; the alerts expect job={ALERT_JOB!r}")
    endpoints = monitor_spec.get("endpoints") or []
    if len(endpoints) != 1 or endpoints[0].get("port") != "metrics":
        problems.append("ServiceMonitor must have one endpoint on port metrics")
    else:
        endpoint = endpoints[0]
        relabelings = endpoint.get("relabelings") or []
        if not any(r.get("sourceLabels") == ["__meta_kubernetes_pod_node_name"] and r.get("targetLabel") == "node"
                   for r in relabelings):
            problems.append("ServiceMonitor does not relabel __meta_kubernetes_pod_node_name into node")
        if endpoint.get("honorLabels") is not True:
            problems.append("ServiceMonitor honorLabels is not true (crisync's namespace/pod/container labels would be renamed)")
    return problems


def rbac_problems(by_kind):
    problems = []
    role = only(by_kind, "ClusterRole")
    binding = only(by_kind, "ClusterRoleBinding")
    account = only(by_kind, "ServiceAccount")
    daemonset = only(by_kind, "DaemonSet")
    rules = role.get("rules") or []
    granted = sorted((group, resource, verb) for rule in rules for group in rule.get("apiGroups") or []
                     for resource in rule.get("resources") or [] for verb in rule.get("verbs") or [])
    if granted != [("", "nodes/pods", "get")]:
        problems.append(f"ClusterRole must grant exactly get nodes/pods, grants {granted}")
    if binding.get("roleRef", {}).get("name") != role["metadata"]["name"]:
        problems.append("ClusterRoleBinding does not bind the ClusterRole")
    subjects = binding.get("subjects") or []
    if not any(s.get("kind") == "ServiceAccount" and s.get("name") == account["metadata"]["name"] for s in subjects):
        problems.append("ClusterRoleBinding does not bind the ServiceAccount")
    if daemonset["spec"]["template"]["spec"].get("serviceAccountName") != account["metadata"]["name"]:
        problems.append("the DaemonSet does not run as the ServiceAccount")
    return problems


def kustomization_problems(ctx):
    with open(ctx.path(KUBE_DIR, "kustomization.yaml"), encoding="utf-8") as handle:
        kustomization = yaml.safe_load(handle)
    listed = set(kustomization.get("resources") or [])
    present = {os.path.basename(p) for p in glob.glob(ctx.path(KUBE_DIR, "*.yaml"))} - {"kustomization.yaml"}
    problems = [f"{name} is not listed in kustomization.yaml" for name in sorted(present - listed)]
    problems += [f"kustomization.yaml lists {name}, which does not exist" for name in sorted(listed - present)]
    return problems


def prometheusrule_problems(ctx, by_kind):
    problems = []
    rule = only(by_kind, "PrometheusRule")
    with open(ctx.path("alerts/crisync.rules.yaml"), encoding="utf-8") as handle:
        rules = yaml.safe_load(handle)
    if (rule.get("spec") or {}).get("groups") != rules.get("groups"):
        problems.append("PrometheusRule spec.groups differ from alerts/crisync.rules.yaml")
    return problems


def kustomize_build(ctx):
    """kubectl kustomize builds the base, and the base with every opt-in component."""
    if not shutil.which("kubectl"):
        raise CheckSkipped("kubectl not found (it carries kustomize); install kubectl to run this check")
    base = require_success(["kubectl", "kustomize", ctx.path(KUBE_DIR)])
    kinds = {doc.get("kind") for doc in yaml.safe_load_all(base) if doc}
    problems = [] if kinds == EXPECTED_KINDS else [f"kustomize output kinds {sorted(kinds)} != {sorted(EXPECTED_KINDS)}"]
    workdir = tempfile.mkdtemp(prefix="crisync-kustomize.")
    try:
        # kustomize only accepts relative paths: copy deploy/ and put an overlay beside it.
        shutil.copytree(ctx.path("deploy"), os.path.join(workdir, "deploy"))
        components = sorted(os.path.basename(p) for p in glob.glob(ctx.path(COMPONENTS_DIR, "*")) if os.path.isdir(p))
        overlay = os.path.join(workdir, "deploy", "overlay-all-components")
        os.makedirs(overlay)
        with open(os.path.join(overlay, "kustomization.yaml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump({"resources": ["../kubernetes"],
                            "components": [f"../components/{name}" for name in components]}, handle)
        output = require_success(["kubectl", "kustomize", overlay])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    built = {doc.get("kind"): doc for doc in yaml.safe_load_all(output) if doc}
    resources = {r for rule in built["ClusterRole"]["rules"] for r in rule.get("resources") or []}
    if "kubelet-nodes-proxy" in components and "nodes/proxy" not in resources:
        problems.append("component kubelet-nodes-proxy did not add nodes/proxy")
    args = built["DaemonSet"]["spec"]["template"]["spec"]["containers"][0]["args"]
    if "kubelet-insecure-tls" in components and "--kubelet.insecure-skip-tls-verify" not in args:
        problems.append("component kubelet-insecure-tls did not add --kubelet.insecure-skip-tls-verify")
    return problems


RELEASE_FLAGS = "scripts/release.flags"


def read_release_flags(ctx):
    with open(ctx.path(RELEASE_FLAGS), encoding="utf-8") as handle:
        return handle.read().split()


def containerfile_problems(text, release_flags):
    """`release_flags` are scripts/release.flags, which the build stage reads with `$(cat ...)`."""
    problems = []
    # Comments do not build anything; the flags file is what the build command says.
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    text = text.replace(f"$(cat {RELEASE_FLAGS})", " ".join(release_flags))
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, flags=re.M | re.I)
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, flags=re.M))

    def resolve(image):
        return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), image)

    if len(stages) < 2:
        return [f"expected a build stage and a runtime stage, found {len(stages)} FROM lines"]
    build_image, runtime_image = resolve(stages[0][0]), resolve(stages[-1][0])
    if not re.search(r"(^|/)swift:6\.", build_image):
        problems.append(f"build stage image {build_image!r} is not swift:6.x")
    if not re.search(r"(^|/)debian:[\w.-]*slim", runtime_image):
        problems.append(f"runtime image {runtime_image!r} is not a slim Debian")
    release = re.search(r"(bookworm|trixie|bullseye)", build_image)
    if not release or release.group(1) not in runtime_image:
        problems.append("build and runtime stages must be the same Debian release (libmicrohttpd ABI)")
    if "--static-swift-stdlib" not in text and "/usr/lib/swift/linux" not in text:
        problems.append("neither --static-swift-stdlib nor a copy of the Swift runtime libraries")
    runtime_part = text.split(stages[-1][0], 1)[-1]
    if "libmicrohttpd" not in runtime_part:
        problems.append("runtime stage does not install libmicrohttpd")
    if "swift build" not in text or "-c release" not in text:
        problems.append("no release swift build")
    if not re.search(r"^COPY\s+--from=" + re.escape(stages[0][1] or "0"), text, flags=re.M):
        problems.append("runtime stage does not copy the binary from the build stage")
    user = re.findall(r"^USER\s+(\S+)", text, flags=re.M)
    if not user or user[-1].split(":")[0] in ("0", "root"):
        problems.append("image does not switch to a non-root USER")
    if not re.search(r'^ENTRYPOINT\s+\["[^"]*crisync-exporter"\]', text, flags=re.M):
        problems.append("no exec-form ENTRYPOINT for crisync-exporter")
    return problems


def checks(ctx):
    def parse():
        by_kind = load_manifests(ctx)
        found = set(by_kind)
        problems = []
        if found != EXPECTED_KINDS:
            problems.append(f"kinds {sorted(found)}; expected {sorted(EXPECTED_KINDS)}")
        problems += [f"{kind}: {len(objects)} objects" for kind, objects in by_kind.items() if len(objects) != 1]
        fail_if(problems)

    def daemonset():
        fail_if(daemonset_problems(only(load_manifests(ctx), "DaemonSet")))

    def least_privilege():
        fail_if(least_privilege_problems(ctx, only(load_manifests(ctx), "DaemonSet")))

    def service():
        fail_if(service_problems(load_manifests(ctx)))

    def rbac():
        fail_if(rbac_problems(load_manifests(ctx)))

    def kustomization():
        fail_if(kustomization_problems(ctx))

    def drift():
        require_success([ctx.path("scripts/sync-prometheusrule.sh"), "--check"])
        fail_if(prometheusrule_problems(ctx, load_manifests(ctx)))

    def build():
        fail_if(kustomize_build(ctx))

    def containerfile():
        with open(ctx.path(CONTAINERFILE), encoding="utf-8") as handle:
            fail_if(containerfile_problems(handle.read(), read_release_flags(ctx)))

    return [
        ("deploy: manifests parse and have the expected kinds", parse),
        ("deploy: DaemonSet security, host mounts, env, args, probes, resources", daemonset),
        ("deploy: least privilege: uid matches the image, group 0 only, three read-only host paths, documented", least_privilege),
        ("deploy: Service and ServiceMonitor select crisync, node label, job name", service),
        ("deploy: RBAC is get nodes/pods only, bound to the DaemonSet's account", rbac),
        ("deploy: kustomization lists every manifest", kustomization),
        ("deploy: PrometheusRule is in sync with alerts/ (no drift)", drift),
        ("deploy: kubectl kustomize builds the base and every component", build),
        ("deploy: Containerfile is multi-stage swift:6 -> slim Debian", containerfile),
    ]
