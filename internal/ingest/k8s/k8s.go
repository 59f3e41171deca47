package k8s

// The k8s ingester reads Kubernetes nodes: `kubectl get nodes -o json` (a
// "List" with sorted keys), the raw API body of GET /api/v1/nodes (a
// "NodeList" whose items lack kind/apiVersion), a single Node
// (`kubectl get node NAME -o json`), and, with fewer attributes, the
// `kubectl get nodes [-o wide] [--show-labels]` table. See
// fixtures/SOURCES.md §3.
//
// Attribute naming. Fixed attributes are k8s.ready, k8s.unschedulable,
// k8s.zone, k8s.region, k8s.instance_type, k8s.roles, k8s.kubelet_version,
// k8s.kernel, k8s.os_image, ... (see fill). Labels, taints and
// conditions become one attribute per key:
//
//	k8s.label.<key>      = label value (string; "" for role labels like node-role.kubernetes.io/gpu)
//	k8s.taint.<key>      = taint effect (string); a key with several effects
//	                       (unreachable: NoSchedule and NoExecute) gives the
//	                       effects sorted and joined by ",": "NoExecute,NoSchedule"
//	k8s.condition.<type> = condition status, "True", "False" or "Unknown"
//
// Attribute names in the query language may only contain letters, digits,
// '_', '.' and '-', so every other character of <key> is replaced by '_'
// (attrKey): the label topology.kubernetes.io/zone becomes the attribute
// k8s.label.topology.kubernetes.io_zone, and the taint
// node.kubernetes.io/unschedulable becomes
// k8s.taint.node.kubernetes.io_unschedulable. Two keys that differ only
// there (a/b and a_b) would share a name; the later key in sorted order
// wins and a warning says so.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// Parse parses Kubernetes node JSON (List, NodeList or a single Node) or
// the `kubectl get nodes` table. The host key is metadata.name; the
// InternalIP, InternalDNS and Hostname addresses are alternative identities.
//
// k8s.ready is true only when the Ready condition has status "True";
// "False", "Unknown" (the kubelet stopped reporting) or no Ready condition
// give false. k8s.unschedulable is spec.unschedulable or the
// node.kubernetes.io/unschedulable taint (they can briefly disagree).
//
// Malformed JSON returns a *source.LineError whose line is computed from the
// decoder's byte offset. A list with no items returns the empty source
// together with an error wrapping source.ErrEmpty; the caller accepts it with
// --allow-empty.
func Parse(file string, data []byte) (*store.SourceData, error) {
	if line, what := source.CheckText(data); line > 0 {
		return nil, source.Errorf(file, line, "%s, expected JSON from kubectl get nodes -o json", what)
	}
	body := bytes.TrimPrefix(data, source.BOM)
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	var src *store.SourceData
	var err error
	switch {
	case len(trimmed) == 0:
		return nil, source.Errorf(file, 1, "empty input, expected JSON from kubectl get nodes -o json")
	case trimmed[0] == '{':
		src, err = parseJSON(file, body)
	case looksLikeTable(body):
		src, err = parseTable(file, body)
	default:
		line := source.LineAt(body, len(body)-len(trimmed))
		return nil, source.Errorf(file, line, "expected a JSON object from kubectl get nodes -o json (or the kubectl get nodes table), found %q", source.Clip(firstLine(trimmed)))
	}
	if err != nil {
		return nil, err
	}
	if len(src.Hosts) == 0 {
		return src, fmt.Errorf("%s: %w (expected at least one node in \"items\")", file, source.ErrEmpty)
	}
	return src, nil
}

// Looks reports whether head (source.Head) starts like Kubernetes node JSON or the
// kubectl get nodes table.
func Looks(head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) > 0 && t[0] == '{' {
		return kindRE().Match(head)
	}
	return looksLikeTable(head)
}

// kindRE finds a Node or NodeList kind in the first few KB. kubectl
// sorts keys, so its List's own "kind" comes last, but each item starts
// with "apiVersion" and "kind": "Node".
var kindRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`"kind"\s*:\s*"(Node|NodeList)"`) })

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b))
}

// node is the part of a v1.Node the ingester reads.
type node struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name              string            `json:"name"`
		Labels            map[string]string `json:"labels"`
		CreationTimestamp string            `json:"creationTimestamp"`
	} `json:"metadata"`
	Spec struct {
		Unschedulable bool `json:"unschedulable"`
		Taints        []struct {
			Key    string `json:"key"`
			Value  string `json:"value"`
			Effect string `json:"effect"`
		} `json:"taints"`
	} `json:"spec"`
	Status struct {
		Conditions []struct {
			Type              string `json:"type"`
			Status            string `json:"status"`
			Reason            string `json:"reason"`
			LastHeartbeatTime string `json:"lastHeartbeatTime"`
		} `json:"conditions"`
		Addresses []struct {
			Type    string `json:"type"`
			Address string `json:"address"`
		} `json:"addresses"`
		NodeInfo struct {
			KernelVersion           string `json:"kernelVersion"`
			OSImage                 string `json:"osImage"`
			KubeletVersion          string `json:"kubeletVersion"`
			ContainerRuntimeVersion string `json:"containerRuntimeVersion"`
			Architecture            string `json:"architecture"`
		} `json:"nodeInfo"`
	} `json:"status"`
}

// envelope is the envelope: a List/NodeList with items, or a single Node.
type envelope struct {
	Kind  string            `json:"kind"`
	Items []json.RawMessage `json:"items"`
}

func parseJSON(file string, data []byte) (*store.SourceData, error) {
	var top envelope
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(file, data, 0, err)
	}
	b := source.NewBuilder("k8s", "k8s")
	switch {
	case top.Kind == "Node":
		if err := addNode(file, data, 1, 0, data, b); err != nil {
			return nil, err
		}
	case top.Kind == "NodeList" || top.Kind == "List" || (top.Kind == "" && top.Items != nil):
		offs, err := itemOffsets(data)
		if err != nil || len(offs) != len(top.Items) {
			return nil, source.Errorf(file, 1, "cannot locate the items of the JSON list, expected kubectl get nodes -o json")
		}
		lines := source.LineCounter{Data: data}
		for i, raw := range top.Items {
			if err := addNode(file, data, lines.At(int(offs[i])), offs[i], raw, b); err != nil {
				return nil, err
			}
		}
	case top.Kind != "":
		return nil, source.Errorf(file, 1, "JSON of kind %q, expected NodeList, List or Node from kubectl get nodes -o json", source.Clip(top.Kind))
	default:
		return nil, source.Errorf(file, 1, "JSON has no \"kind\" or \"items\", expected NodeList, List or Node from kubectl get nodes -o json")
	}
	return b.Finish(file, data)
}

// jsonError turns a decoding error into a *source.LineError. base is the
// offset in data of the value that was being decoded.
func jsonError(file string, data []byte, base int64, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		if syn.Offset+base >= int64(len(data)) {
			end := len(bytes.TrimRight(data, " \t\r\n"))
			return source.Errorf(file, source.LineAt(data, end), "JSON ends early (truncated?): %v", syn)
		}
		return source.Errorf(file, source.LineAt(data, int(base+syn.Offset)), "bad JSON: %v, expected kubectl get nodes -o json", syn)
	case errors.As(err, &typ):
		return source.Errorf(file, source.LineAt(data, int(base+typ.Offset)), "bad JSON value for %q: got %s, expected %v", typ.Field, typ.Value, typ.Type)
	}
	return source.Errorf(file, 0, "bad JSON: %v", err)
}

// itemOffsets returns the byte offset of each element of the top-level
// "items" array of a document already known to be valid JSON.
func itemOffsets(data []byte) ([]int64, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if key != "items" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		return arrayOffsets(dec, data)
	}
	return nil, io.ErrUnexpectedEOF
}

func arrayOffsets(dec *json.Decoder, data []byte) ([]int64, error) {
	if _, err := dec.Token(); err != nil { // '[' (or null)
		return nil, err
	}
	var offs []int64
	for dec.More() {
		off := dec.InputOffset()
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
			off++
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
		offs = append(offs, off)
	}
	return offs, nil
}

// addNode decodes one node (raw, found at offset off, line line of
// data) into b.
func addNode(file string, data []byte, line int, off int64, raw []byte, b *source.Builder) error {
	var n node
	if err := json.Unmarshal(raw, &n); err != nil {
		return jsonError(file, data, off, err)
	}
	if n.Kind != "" && n.Kind != "Node" {
		return source.Errorf(file, line, "item of kind %q, expected Node (kubectl get nodes -o json)", source.Clip(n.Kind))
	}
	if !source.IsWord(n.Metadata.Name) {
		return source.Errorf(file, line, "node has no usable metadata.name (%q), expected the node name", source.Clip(n.Metadata.Name))
	}
	b.Records(1)
	before := b.Len()
	if err := fill(file, line, &n, b); err != nil {
		return err
	}
	if b.Len() == before {
		b.Warn(fmt.Sprintf("k8s: node %s is listed twice; the later item wins", hostkey.Normalize(n.Metadata.Name)))
	}
	return nil
}

// altsOf lists the InternalIP, InternalDNS and Hostname addresses.
func altsOf(n *node) []string {
	var alts []string
	for _, a := range n.Status.Addresses {
		switch a.Type {
		case "InternalIP", "InternalDNS", "Hostname":
			if source.IsWord(a.Address) {
				alts = append(alts, a.Address)
			}
		}
	}
	return alts
}

// labelFallbacks name the attributes taken from well-known labels, the
// current label first and its deprecated beta form second.
var labelFallbacks = []struct{ attr, label, beta string }{
	{"k8s.zone", "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"},
	{"k8s.region", "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"},
	{"k8s.instance_type", "node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"},
}

// fill sets every attribute of one node.
func fill(file string, line int, n *node, b *source.Builder) error {
	i := b.Host(n.Metadata.Name, altsOf(n)...)
	ready, cordoned := false, n.Spec.Unschedulable
	for _, c := range n.Status.Conditions {
		if c.Type == "" {
			continue
		}
		b.SetString(i, "k8s.condition."+source.AttrName(c.Type), c.Status)
		if c.Type != "Ready" {
			continue
		}
		ready = c.Status == "True"
		if c.Reason != "" {
			b.SetString(i, "k8s.ready_reason", c.Reason)
		}
		if err := setTime(file, line, b, i, "k8s.last_heartbeat", c.LastHeartbeatTime); err != nil {
			return err
		}
	}
	for _, t := range n.Spec.Taints {
		cordoned = cordoned || t.Key == "node.kubernetes.io/unschedulable"
	}
	b.SetBool(i, "k8s.ready", ready)
	b.SetBool(i, "k8s.unschedulable", cordoned)
	setLabels(b, i, n.Metadata.Labels)
	setTaints(b, i, n)
	info := n.Status.NodeInfo
	for _, kv := range [][2]string{
		{"k8s.kubelet_version", info.KubeletVersion},
		{"k8s.kernel", info.KernelVersion},
		{"k8s.os_image", info.OSImage},
		{"k8s.container_runtime", info.ContainerRuntimeVersion},
		{"k8s.arch", info.Architecture},
		{"k8s.internal_ip", address(n, "InternalIP")},
	} {
		if kv[1] != "" {
			b.SetString(i, kv[0], kv[1])
		}
	}
	return setTime(file, line, b, i, "k8s.created", n.Metadata.CreationTimestamp)
}

func address(n *node, typ string) string {
	for _, a := range n.Status.Addresses {
		if a.Type == typ {
			return a.Address
		}
	}
	return ""
}

// setTime sets an RFC 3339 timestamp; an empty one is absent.
func setTime(file string, line int, b *source.Builder, i int, name, v string) error {
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return source.Errorf(file, line, "bad timestamp %q for %s, expected RFC 3339", source.Clip(v), name)
	}
	b.SetTime(i, name, t.Unix())
	return nil
}

// setLabels sets k8s.label.<key> for every label, the derived
// k8s.zone/region/instance_type, and k8s.roles.
func setLabels(b *source.Builder, i int, labels map[string]string) {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]string{}
	var roles []string
	for _, k := range keys {
		name := "k8s.label." + source.AttrName(k)
		if prev, ok := seen[name]; ok {
			b.Warn(fmt.Sprintf("k8s: labels %q and %q both map to attribute %s; %q wins", prev, k, name, k))
		}
		seen[name] = k
		b.SetString(i, name, labels[k])
		if role, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && role != "" {
			roles = append(roles, role)
		}
	}
	for _, f := range labelFallbacks {
		if v, ok := labels[f.label]; ok {
			b.SetString(i, f.attr, v)
		} else if v, ok := labels[f.beta]; ok {
			b.SetString(i, f.attr, v)
		}
	}
	if len(roles) > 0 {
		b.SetString(i, "k8s.roles", strings.Join(roles, ","))
	}
}

// setTaints sets k8s.taint.<key> = effect(s).
func setTaints(b *source.Builder, i int, n *node) {
	effects := map[string][]string{}
	for _, t := range n.Spec.Taints {
		if t.Key == "" {
			continue
		}
		name := "k8s.taint." + source.AttrName(t.Key)
		if !slices.Contains(effects[name], t.Effect) {
			effects[name] = append(effects[name], t.Effect)
		}
	}
	names := make([]string, 0, len(effects))
	for name := range effects {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sort.Strings(effects[name])
		b.SetString(i, name, strings.Join(effects[name], ","))
	}
}
