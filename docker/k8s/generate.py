#!/usr/bin/env python3
"""generate.py: the Kubernetes manifests of docker/k8s/, from one description.

    docker/k8s/generate.py            write configmap.yaml and qingfeng.yaml
    docker/k8s/generate.py --check    exit 1 if the committed files differ
    docker/k8s/generate.py --kube-play --prefix P --image IMG [--host-ports auto]
                                      print the same workload as one Pod for
                                      `podman kube play` (podman 4.3 plays
                                      Pods, Deployments, ConfigMaps and claims
                                      but silently skips StatefulSets)
    docker/k8s/generate.py --podman-secret DIR NAME [--raw]
                                      print a service's key directory as the
                                      Secret YAML `podman secret create` stores
                                      for kube play; --raw for podman < 4.4,
                                      which mounts `data` values without
                                      base64-decoding them (podman #16625)

Why a generator: the ConfigMap must hold exactly docker/config/*.cfg and
config/community.cfg (kustomize will not read files outside its folder), and
the podman check of the manifests must run the very container specs the
StatefulSets carry. One function makes each container spec; both outputs use
it. Standard library only (a small YAML writer below).

What the manifests hold, per service (intake, router, notifier, disclosure,
audit): a headless Service named after the service (the names the
configurations connect to: tcp://router:5561 ...; publishNotReadyAddresses,
because intake and router each wait for the other before reporting ready), a
StatefulSet of one replica with a claim for its LMDB store, probes on
/healthz (liveness) and /readyz (readiness), the ConfigMap qingfeng-config at
/etc/qingfeng and the Secret qingfeng-<service>-keys (docker/make-keys.sh
writes them under keys/k8s/) at /run/secrets/qingfeng. Plus ClusterIP
Services intake-http and disclosure-http for an Ingress or load balancer.
"""
import argparse
import json
import os
import re
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

# service -> (binary, http, pub, replay, claim size)
SERVICES = [
    ("intake", "qf-intake", 8080, 5551, 5552, "10Gi"),
    ("router", "qf-router", 8081, 5561, 5562, "2Gi"),
    ("notifier", "qf-notifier", 8082, 5571, 5572, "2Gi"),
    ("disclosure", "qf-disclosure", 8083, 5581, 5582, "2Gi"),
    ("audit", "qf-audit", 8084, 5591, 5592, "5Gi"),
]
PUBLIC = ("intake", "disclosure")  # the only HTTP meant for the outside
# ports beyond http/pub/replay: audit's public event stream (no CURVE)
EXTRA_PORTS = {"audit": [("public", 5593)]}
IMAGE = "localhost/qingfeng:latest"
UID = 10001


# ------------------------------------------------------------ YAML writer

_PLAIN = re.compile(r"^[A-Za-z_/.][A-Za-z0-9_./:@-]*$")
_SPECIAL = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _SPECIAL:
        return s
    return json.dumps(s, ensure_ascii=False)


def _dump(v, ind, out):
    pad = "  " * ind
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, str) and "\n" in x:
                out.append("%s%s: |\n" % (pad, k))
                for line in x.rstrip("\n").split("\n"):
                    out.append(("%s  %s\n" % (pad, line)) if line else "\n")
            elif isinstance(x, dict) and x:
                out.append("%s%s:\n" % (pad, k))
                _dump(x, ind + 1, out)
            elif isinstance(x, list) and x:
                out.append("%s%s:\n" % (pad, k))
                _dump(x, ind, out)
            elif isinstance(x, (dict, list)):
                out.append("%s%s: %s\n" % (pad, k, "{}" if isinstance(x, dict) else "[]"))
            else:
                out.append("%s%s: %s\n" % (pad, k, _scalar(x)))
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, dict) and x:
                sub = []
                _dump(x, ind + 1, sub)
                first = sub[0]
                sub[0] = pad + "- " + first[len(pad) + 2:]
                out.extend(sub)
            else:
                out.append("%s- %s\n" % (pad, _scalar(x)))
    else:
        out.append(pad + _scalar(v) + "\n")


def to_yaml(docs, header):
    out = [header]
    for d in docs:
        out.append("---\n")
        _dump(d, 0, out)
    return "".join(out)


# ------------------------------------------------------------ the workload

def labels(svc):
    return {"app.kubernetes.io/name": "qingfeng-" + svc,
            "app.kubernetes.io/component": svc,
            "app.kubernetes.io/part-of": "qingfeng"}


def container(svc, binary, http, pub, replay, image, pull, host_ports=None):
    """The container spec of one service, shared by both renderings."""
    ports = [{"name": "http", "containerPort": http},
             {"name": "pub", "containerPort": pub},
             {"name": "replay", "containerPort": replay}]
    ports += [{"name": n, "containerPort": p} for n, p in EXTRA_PORTS.get(svc, [])]
    if host_ports and svc in host_ports:
        ports[0]["hostIP"] = "127.0.0.1"
        ports[0]["hostPort"] = host_ports[svc]
    return {
        "name": svc,
        "image": image,
        "imagePullPolicy": pull,
        "command": [binary, "--config", "/etc/qingfeng/%s.cfg" % svc],
        "env": [{"name": "QF_HTTP_PORT", "value": str(http)}],
        "ports": ports,
        # ready: HTTP up and caught up with every stream once
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": http},
                           "periodSeconds": 5, "timeoutSeconds": 3,
                           "failureThreshold": 3},
        # alive: the HTTP thread answers (a service catching up is alive)
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": http},
                          "initialDelaySeconds": 10, "periodSeconds": 10,
                          "timeoutSeconds": 5, "failureThreshold": 6},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                      "limits": {"memory": "1Gi"}},
        "securityContext": {"runAsUser": UID, "runAsGroup": UID, "runAsNonRoot": True,
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/qingfeng", "readOnly": True},
            {"name": "keys", "mountPath": "/run/secrets/qingfeng", "readOnly": True},
            {"name": "data", "mountPath": "/var/lib/qingfeng"},
        ],
    }


def config_files():
    files = {"community.cfg": os.path.join(ROOT, "config", "community.cfg")}
    for svc, *_ in SERVICES:
        files["%s.cfg" % svc] = os.path.join(ROOT, "docker", "config", "%s.cfg" % svc)
    data = {}
    for name, path in files.items():
        with open(path, encoding="utf-8") as f:
            data[name] = f.read()
    return data


def configmap(name="qingfeng-config"):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "qingfeng"}},
            "data": config_files()}


def manifests(image):
    docs = []
    for svc, binary, http, pub, replay, size in SERVICES:
        docs.append({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": svc, "labels": labels(svc)},
            "spec": {"clusterIP": "None", "publishNotReadyAddresses": True,
                     "selector": {"app.kubernetes.io/name": "qingfeng-" + svc},
                     "ports": [{"name": "http", "port": http, "targetPort": http},
                               {"name": "pub", "port": pub, "targetPort": pub},
                               {"name": "replay", "port": replay, "targetPort": replay}] +
                     [{"name": n, "port": p, "targetPort": p}
                      for n, p in EXTRA_PORTS.get(svc, [])]},
        })
        if svc in PUBLIC:
            docs.append({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": svc + "-http", "labels": labels(svc)},
                "spec": {"type": "ClusterIP",
                         "selector": {"app.kubernetes.io/name": "qingfeng-" + svc},
                         "ports": [{"name": "http", "port": http, "targetPort": http}]},
            })
        docs.append({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": svc, "labels": labels(svc)},
            "spec": {
                "serviceName": svc,
                # one store per replica; a second replica needs its own node
                # name and sources in its consumers (docs/OPERATIONS.md)
                "replicas": 1,
                "podManagementPolicy": "Parallel",
                "selector": {"matchLabels": {"app.kubernetes.io/name": "qingfeng-" + svc}},
                "template": {
                    "metadata": {"labels": labels(svc)},
                    "spec": {
                        "terminationGracePeriodSeconds": 10,
                        "securityContext": {"fsGroup": UID,
                                            "seccompProfile": {"type": "RuntimeDefault"}},
                        "containers": [container(svc, binary, http, pub, replay, image,
                                                 "IfNotPresent")],
                        "volumes": [
                            {"name": "config", "configMap": {"name": "qingfeng-config"}},
                            {"name": "keys", "secret": {"secretName": "qingfeng-%s-keys" % svc,
                                                        "defaultMode": 0o440}},
                        ],
                    },
                },
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data", "labels": labels(svc)},
                    "spec": {"accessModes": ["ReadWriteOnce"],
                             "resources": {"requests": {"storage": size}}},
                }],
            },
        })
    return docs


def kube_play(prefix, image, host_ports):
    """The StatefulSets' pods as one Pod (names resolved on loopback, as in
    the pod of container-test.sh), with the same ConfigMap and claims."""
    docs = [configmap(prefix + "-config")]
    containers, volumes = [], [{"name": "config", "configMap": {"name": prefix + "-config"}}]
    for svc, binary, http, pub, replay, size in SERVICES:
        docs.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                     "metadata": {"name": "%s-%s-data" % (prefix, svc)},
                     "spec": {"accessModes": ["ReadWriteOnce"],
                              "resources": {"requests": {"storage": size}}}})
        c = container(svc, binary, http, pub, replay, image, "Never", host_ports)
        for m in c["volumeMounts"]:
            if m["name"] != "config":
                m["name"] = "%s-%s" % (m["name"], svc)
        containers.append(c)
        volumes.append({"name": "keys-" + svc,
                        "secret": {"secretName": "%s-%s-keys" % (prefix, svc),
                                   "defaultMode": 0o440, "optional": False}})
        volumes.append({"name": "data-" + svc,
                        "persistentVolumeClaim": {"claimName": "%s-%s-data" % (prefix, svc)}})
    docs.append({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": prefix + "-qingfeng", "labels": {"app.kubernetes.io/part-of": "qingfeng"}},
        "spec": {
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 10,
            "hostAliases": [{"ip": "127.0.0.1", "hostnames": [s[0] for s in SERVICES]}],
            "securityContext": {"fsGroup": UID},
            "containers": containers,
            "volumes": volumes,
        },
    })
    return to_yaml(docs, "# generated by docker/k8s/generate.py --kube-play\n")


HEADER_CM = """# configmap.yaml: qingfeng-config, the five container configurations
# (docker/config/*.cfg) and the community file (config/community.cfg).
# GENERATED by docker/k8s/generate.py from those files: edit them, then run it.
# Mounted read-only at /etc/qingfeng by every StatefulSet in qingfeng.yaml.
"""
HEADER_WL = """# qingfeng.yaml: the five services on Kubernetes. GENERATED by
# docker/k8s/generate.py (edit it, then run it).
#
#   docker/make-keys.sh keys                      # once: keys and Secrets
#   kubectl apply -f keys/k8s/                    # qingfeng-<service>-keys
#   kubectl apply -f docker/k8s/configmap.yaml -f docker/k8s/qingfeng.yaml
#
# Per service: a headless Service (the names the configurations connect to),
# a StatefulSet of one replica with a claim for its LMDB store, probes on
# /healthz and /readyz. intake-http and disclosure-http are the Services to
# put behind an Ingress. Scaling out: docs/OPERATIONS.md.
"""


def podman_secret(directory, name, raw):
    """A Secret of every file in directory (base64 data; raw text for old
    podman)."""
    import base64
    data = {}
    for f in sorted(os.listdir(directory)):
        path = os.path.join(directory, f)
        if os.path.isfile(path):
            with open(path, "rb") as fh:
                b = fh.read()
            data[f] = b.decode("utf-8") if raw else base64.b64encode(b).decode("ascii")
    doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
           "type": "Opaque", "data": data}
    if raw:  # JSON is YAML, and keeps every byte of the text exactly
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    return to_yaml([doc], "")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--kube-play", action="store_true")
    ap.add_argument("--prefix", default="qingfeng")
    ap.add_argument("--image", default=IMAGE)
    ap.add_argument("--host-ports", default="",
                    help="'auto': publish the HTTP ports of intake, router, disclosure "
                         "and audit on free loopback ports (kube play)")
    ap.add_argument("--podman-secret", nargs=2, metavar=("DIR", "NAME"))
    ap.add_argument("--raw", action="store_true")
    a = ap.parse_args()
    if a.podman_secret:
        sys.stdout.write(podman_secret(a.podman_secret[0], a.podman_secret[1], a.raw))
        return 0
    if a.kube_play:
        hp = {}
        if a.host_ports == "auto":
            hp = {s: free_port() for s in ("intake", "router", "disclosure", "audit")}
        sys.stdout.write(kube_play(a.prefix, a.image, hp))
        return 0
    want = {
        os.path.join(HERE, "configmap.yaml"): to_yaml([configmap()], HEADER_CM),
        os.path.join(HERE, "qingfeng.yaml"): to_yaml(manifests(IMAGE), HEADER_WL),
    }
    bad = 0
    for path, text in want.items():
        if a.check:
            try:
                with open(path, encoding="utf-8") as f:
                    have = f.read()
            except OSError:
                have = None
            if have != text:
                print("generate.py: %s is out of date" % os.path.relpath(path, ROOT))
                bad = 1
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    return bad


if __name__ == "__main__":
    sys.exit(main())
