// Package k8s reads Kubernetes nodes (kind "k8s"): `kubectl get nodes -o
// json`, the API NodeList, a single Node, or the `kubectl get nodes`
// table, into the host set k8s, the sets k8s.ready and k8s.unschedulable,
// and k8s.* attributes. See internal/ingest/testdata/fixtures/SOURCES.md §3.
package k8s
