import Foundation
import KubeletTestSupport
import Model

/// A kubelet `/pods` body of real size. `KubeletPodListEncoder` writes the fields crisync reads
/// and a few more; a real kubelet's pods also carry what the API server stores: `managedFields`,
/// owner references, labels and annotations, and a spec with env, ports, resources, probes and
/// volumes. This adds those, with the real field names and shapes, so each pod of one to five
/// containers comes to 5–8.5 KB of compact JSON as on a real node, and the reader pays for parsing
/// what it skips.
enum PaddedPodList {
    static func encode(_ pods: [KubeletPod]) throws -> [UInt8] {
        let plain = KubeletPodListEncoder.encode(pods)
        guard var list = try JSONSerialization.jsonObject(with: Data(plain)) as? [String: Any],
            let items = list["items"] as? [[String: Any]]
        else { throw BenchError("KubeletPodListEncoder wrote something that is not a PodList") }
        list["items"] = items.map(pad)
        list["metadata"] = ["resourceVersion": "48213597"]
        return [UInt8](try JSONSerialization.data(withJSONObject: list, options: [.withoutEscapingSlashes, .sortedKeys]))
    }

    private static func pad(_ pod: [String: Any]) -> [String: Any] {
        var pod = pod
        var metadata = pod["metadata"] as? [String: Any] ?? [:]
        var spec = pod["spec"] as? [String: Any] ?? [:]
        let name = metadata["name"] as? String ?? "pod"
        let uid = metadata["uid"] as? String ?? ""
        let created = metadata["creationTimestamp"] as? String ?? "2026-01-01T00:00:00Z"
        let workload = String(name.prefix(while: { $0 != "-" }))
        let templateHash = String(uid.filter(\.isHexDigit).prefix(10))

        metadata["generateName"] = "\(workload)-\(templateHash)-"
        metadata["labels"] = [
            "app.kubernetes.io/name": workload, "app.kubernetes.io/instance": "\(workload)-prod",
            "app.kubernetes.io/component": "server", "app.kubernetes.io/part-of": "storefront",
            "pod-template-hash": templateHash, "version": "v2.14.3",
        ]
        var annotations = metadata["annotations"] as? [String: Any] ?? [:]
        annotations["kubectl.kubernetes.io/restartedAt"] = created
        annotations["prometheus.io/scrape"] = "true"
        annotations["prometheus.io/port"] = "9102"
        annotations["checksum/config"] = String(repeating: uid.replacingOccurrences(of: "-", with: ""), count: 2).prefix(64).description
        metadata["annotations"] = annotations
        metadata["ownerReferences"] = [
            [
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "\(workload)-\(templateHash)",
                "uid": uid.isEmpty ? "" : String(uid.reversed()), "controller": true, "blockOwnerDeletion": true,
            ]
        ]

        var containerFields: [String: Any] = [:]
        if var containers = spec["containers"] as? [[String: Any]] {
            for index in containers.indices {
                let containerName = containers[index]["name"] as? String ?? "c\(index)"
                containers[index]["resources"] = ["limits": ["memory": "256Mi"], "requests": ["cpu": "50m", "memory": "128Mi"]]
                // The main container carries the configuration; sidecars stay small, as they usually are.
                guard index == 0 else { continue }
                containers[index]["args"] = ["--config=/etc/\(workload)/config.yaml", "--port=8080"]
                containers[index]["env"] = [
                    ["name": "POD_NAME", "valueFrom": ["fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.name"]]],
                    ["name": "LOG_LEVEL", "value": "info"],
                ]
                containers[index]["ports"] = [["containerPort": 8080, "name": "http", "protocol": "TCP"]]
                containers[index]["readinessProbe"] = [
                    "httpGet": ["path": "/ready", "port": 8080, "scheme": "HTTP"], "periodSeconds": 10,
                    "failureThreshold": 3, "successThreshold": 1, "timeoutSeconds": 1,
                ]
                containers[index]["securityContext"] = [
                    "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": ["drop": ["ALL"]],
                ]
                containerFields["k:{\"name\":\"\(containerName)\"}"] = [
                    ".": [:], "f:args": [:], "f:env": [".": [:], "k:{\"name\":\"LOG_LEVEL\"}": [".": [:], "f:name": [:], "f:value": [:]]],
                    "f:image": [:], "f:name": [:], "f:ports": [:], "f:readinessProbe": [:], "f:resources": [:],
                ]
            }
            spec["containers"] = containers
        }
        spec["serviceAccountName"] = workload
        spec["serviceAccount"] = workload
        spec["volumes"] = [
            ["name": "config", "configMap": ["name": "\(workload)-config", "defaultMode": 420]],
            [
                "name": "kube-api-access",
                "projected": [
                    "defaultMode": 420,
                    "sources": [
                        ["serviceAccountToken": ["expirationSeconds": 3607, "path": "token"]],
                        ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                        [
                            "downwardAPI": [
                                "items": [["fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"], "path": "namespace"]]
                            ]
                        ],
                    ],
                ],
            ],
        ]
        metadata["managedFields"] = [
            [
                "apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kube-controller-manager", "operation": "Update",
                "time": created,
                "fieldsV1": [
                    "f:metadata": [
                        "f:annotations": [".": [:], "f:checksum/config": [:], "f:prometheus.io/scrape": [:]],
                        "f:generateName": [:], "f:labels": [".": [:], "f:app.kubernetes.io/name": [:], "f:pod-template-hash": [:]],
                        "f:ownerReferences": [".": [:], "k:{\"uid\":\"\(uid)\"}": [:]],
                    ],
                    "f:spec": [
                        "f:containers": containerFields, "f:dnsPolicy": [:], "f:enableServiceLinks": [:],
                        "f:restartPolicy": [:], "f:schedulerName": [:], "f:securityContext": [:],
                        "f:serviceAccount": [:], "f:terminationGracePeriodSeconds": [:], "f:volumes": [:],
                    ],
                ],
            ],
            [
                "apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kubelet", "operation": "Update",
                "subresource": "status", "time": created,
                "fieldsV1": [
                    "f:status": [
                        "f:conditions": [
                            "k:{\"type\":\"ContainersReady\"}": [".": [:], "f:status": [:], "f:type": [:]],
                            "k:{\"type\":\"Ready\"}": [".": [:], "f:status": [:], "f:type": [:]],
                        ],
                        "f:containerStatuses": [:], "f:hostIP": [:], "f:phase": [:], "f:podIP": [:], "f:startTime": [:],
                    ]
                ],
            ],
        ]
        pod["metadata"] = metadata
        pod["spec"] = spec
        return pod
    }
}
